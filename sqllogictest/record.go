package sqllogictest

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Pos is the place in a test file where a record starts.
type Pos struct {
	File string
	Line int // 1-based
}

func (p Pos) String() string { return fmt.Sprintf("%s:%d", p.File, p.Line) }

// Condition is a `skipif <label>` or `onlyif <label>` line guarding the
// record that follows it.
type Condition struct {
	Skip  bool // skipif when true, onlyif when false
	Label string
}

func (c Condition) String() string {
	if c.Skip {
		return "skipif " + c.Label
	}
	return "onlyif " + c.Label
}

// Head holds what every record carries: where it starts and the conditions
// written before it.
type Head struct {
	Pos        Pos
	Conditions []Condition
}

// Position reports where the record starts.
func (h *Head) Position() Pos { return h.Pos }

func (h *Head) head() *Head { return h }

// Record is one parsed directive of a test file. The concrete types are
// *Statement, *Query, *HashThreshold, *Halt, *Sleep, *Subtest, *SortModeControl
// and *ResultModeControl; the set is closed.
type Record interface {
	Position() Pos
	head() *Head
}

// Retry asks the runner to rerun a failing statement or query up to Attempts
// more times, waiting Backoff before each new attempt.
type Retry struct {
	Attempts int
	Backoff  time.Duration
}

// ExpectedError is what a `statement error` or `query error` record accepts.
// With neither Pattern nor Message, any error is accepted.
type ExpectedError struct {
	// Pattern is the inline regex after `error`, searched for (unanchored) in
	// the error text.
	Pattern *regexp.Regexp
	// Message is a multi-line message written under `----`, compared with the
	// error text after trimming surrounding whitespace.
	Message string
}

// Matches reports whether an actual error text is acceptable.
func (e *ExpectedError) Matches(text string) bool {
	switch {
	case e.Pattern != nil:
		return e.Pattern.MatchString(text)
	case e.Message != "":
		return strings.TrimSpace(e.Message) == strings.TrimSpace(text)
	default:
		return true
	}
}

func (e *ExpectedError) String() string {
	switch {
	case e.Pattern != nil:
		return "error matching /" + e.Pattern.String() + "/"
	case e.Message != "":
		return fmt.Sprintf("error %q", e.Message)
	default:
		return "an error"
	}
}

// Statement is a `statement ok|count N|error [regex]` record.
type Statement struct {
	Head
	Connection string // "" for the default connection
	SQL        string
	// Count is the expected number of rows affected, or -1 when not checked.
	Count int64
	// Error is non-nil when the statement must fail.
	Error *ExpectedError
	Retry Retry
}

// SortMode says how result rows are ordered before they are compared.
type SortMode int

const (
	// SortDefault means the query did not name a mode; the file's
	// `control sortmode` (initially nosort) applies.
	SortDefault SortMode = iota
	NoSort
	RowSort
	ValueSort
)

func (m SortMode) String() string {
	switch m {
	case NoSort:
		return "nosort"
	case RowSort:
		return "rowsort"
	case ValueSort:
		return "valuesort"
	default:
		return "default"
	}
}

// ResultMode says how the expected output lays out values: one row per line
// (rowwise) or one value per line (valuewise).
type ResultMode int

const (
	RowWise ResultMode = iota
	ValueWise
)

func (m ResultMode) String() string {
	if m == ValueWise {
		return "valuewise"
	}
	return "rowwise"
}

// Query is a `query <types> [sortmode] [label]` or `query error [regex]`
// record.
type Query struct {
	Head
	Connection string // "" for the default connection
	SQL        string
	// Types holds one letter per expected column (I, R, T, ...); empty when the
	// header gave none, in which case the column count is not checked.
	Types    string
	SortMode SortMode
	Label    string
	// Expected holds the lines under `----`, verbatim.
	Expected []string
	// Error is non-nil for `query error`; Types and Expected are then unused.
	Error *ExpectedError
	Retry Retry
}

// HashThreshold is `hash-threshold N`: results with more than N values are
// compared by their MD5 hash. 0 disables hashing.
type HashThreshold struct {
	Head
	N int
}

// Halt is `halt`: the rest of the file is ignored.
type Halt struct{ Head }

// Sleep is `sleep <duration>`.
type Sleep struct {
	Head
	Duration time.Duration
}

// Subtest is `subtest <name>`: it names the records that follow in reports.
type Subtest struct {
	Head
	Name string
}

// SortModeControl is `control sortmode <mode>`: the default sort mode for the
// queries that follow.
type SortModeControl struct {
	Head
	Mode SortMode
}

// ResultModeControl is `control resultmode <mode>`.
type ResultModeControl struct {
	Head
	Mode ResultMode
}
