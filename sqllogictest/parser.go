package sqllogictest

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// resultsDelimiter separates a record's SQL from its expected output.
const resultsDelimiter = "----"

// maxIncludeDepth bounds include nesting, which also stops include cycles.
const maxIncludeDepth = 16

// ParseError reports a malformed test file.
type ParseError struct {
	Pos Pos
	Msg string
}

func (e *ParseError) Error() string { return e.Pos.String() + ": " + e.Msg }

// ParseFile reads and parses the test file at path. Records of included files
// are spliced in place of their include line, with their own positions.
func ParseFile(path string) ([]Record, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading test file: %w", err)
	}
	return Parse(path, src)
}

// Parse parses the text of a test file; name is used in positions and include
// globs are resolved relative to its directory.
func Parse(name string, src []byte) ([]Record, error) {
	p := &parser{file: name}
	return p.parse(src)
}

// parser turns the lines of one file into records. Lines are consumed front to
// back; a record owns every line up to the blank line that ends it.
type parser struct {
	file  string
	depth int // include nesting; 0 for the file being run
	lines []string
	next  int // index of the next unread line

	records    []Record
	conditions []Condition // seen since the last record
	condPos    Pos         // position of the first pending condition
	connection string      // pending `connection` for the next statement or query
}

func (p *parser) parse(src []byte) ([]Record, error) {
	text := strings.ReplaceAll(string(src), "\r\n", "\n")
	p.lines = strings.Split(text, "\n")
	for p.next < len(p.lines) {
		lineNo := p.next + 1
		line := p.lines[p.next]
		p.next++
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		if err := p.directive(Pos{File: p.file, Line: lineNo}, stripInlineComment(trimmed)); err != nil {
			return nil, err
		}
	}
	if len(p.conditions) > 0 {
		return nil, p.errorf(p.condPos, "%s is not followed by a record", p.conditions[0])
	}
	return p.records, nil
}

// stripInlineComment drops a trailing `# ...` from a directive line; the '#'
// must follow whitespace so that it can still appear inside a token.
func stripInlineComment(line string) string {
	for i := 1; i < len(line); i++ {
		if line[i] == '#' && (line[i-1] == ' ' || line[i-1] == '\t') {
			return strings.TrimSpace(line[:i])
		}
	}
	return line
}

func (p *parser) errorf(pos Pos, format string, args ...any) error {
	return &ParseError{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

// add appends a record, handing it the pending conditions.
func (p *parser) add(h *Head, r Record) {
	h.Conditions = p.conditions
	p.conditions = nil
	p.records = append(p.records, r)
}

func (p *parser) directive(pos Pos, line string) error {
	tokens := strings.Fields(line)
	head := Head{Pos: pos}
	switch tokens[0] {
	case "statement":
		return p.statement(pos, line, tokens[1:])
	case "query":
		return p.query(pos, line, tokens[1:])
	case "skipif", "onlyif":
		if len(tokens) != 2 {
			return p.errorf(pos, "%s takes one engine label, got %q", tokens[0], line)
		}
		if len(p.conditions) == 0 {
			p.condPos = pos
		}
		p.conditions = append(p.conditions, Condition{Skip: tokens[0] == "skipif", Label: tokens[1]})
	case "connection":
		if len(tokens) != 2 {
			return p.errorf(pos, "connection takes one name, got %q", line)
		}
		p.connection = tokens[1]
		if p.connection == "default" {
			p.connection = ""
		}
	case "hash-threshold":
		if len(tokens) != 2 {
			return p.errorf(pos, "hash-threshold takes one number, got %q", line)
		}
		n, err := strconv.Atoi(tokens[1])
		if err != nil || n < 0 {
			return p.errorf(pos, "invalid hash-threshold %q", tokens[1])
		}
		r := &HashThreshold{Head: head, N: n}
		p.add(&r.Head, r)
	case "halt":
		if len(tokens) != 1 {
			return p.errorf(pos, "halt takes no arguments, got %q", line)
		}
		r := &Halt{Head: head}
		p.add(&r.Head, r)
	case "sleep":
		if len(tokens) != 2 {
			return p.errorf(pos, "sleep takes one duration, got %q", line)
		}
		d, err := time.ParseDuration(tokens[1])
		if err != nil || d < 0 {
			return p.errorf(pos, "invalid sleep duration %q", tokens[1])
		}
		r := &Sleep{Head: head, Duration: d}
		p.add(&r.Head, r)
	case "subtest":
		if len(tokens) < 2 {
			return p.errorf(pos, "subtest needs a name")
		}
		r := &Subtest{Head: head, Name: strings.Join(tokens[1:], " ")}
		p.add(&r.Head, r)
	case "control":
		return p.control(pos, line, tokens[1:])
	case "include":
		if len(tokens) != 2 {
			return p.errorf(pos, "include takes one file pattern, got %q", line)
		}
		return p.include(pos, tokens[1])
	default:
		return p.errorf(pos, "unknown record type %q", tokens[0])
	}
	return nil
}

func (p *parser) control(pos Pos, line string, args []string) error {
	if len(args) != 2 {
		return p.errorf(pos, "malformed control record %q", line)
	}
	switch args[0] {
	case "sortmode":
		m, ok := parseSortMode(args[1])
		if !ok {
			return p.errorf(pos, "invalid sort mode %q", args[1])
		}
		r := &SortModeControl{Head: Head{Pos: pos}, Mode: m}
		p.add(&r.Head, r)
	case "resultmode":
		var m ResultMode
		switch args[1] {
		case "rowwise":
			m = RowWise
		case "valuewise":
			m = ValueWise
		default:
			return p.errorf(pos, "invalid result mode %q", args[1])
		}
		r := &ResultModeControl{Head: Head{Pos: pos}, Mode: m}
		p.add(&r.Head, r)
	default:
		return p.errorf(pos, "unknown control %q", args[0])
	}
	return nil
}

func parseSortMode(s string) (SortMode, bool) {
	switch s {
	case "nosort":
		return NoSort, true
	case "rowsort":
		return RowSort, true
	case "valuesort":
		return ValueSort, true
	}
	return SortDefault, false
}

func (p *parser) statement(pos Pos, line string, args []string) error {
	s := &Statement{Head: Head{Pos: pos}, Connection: p.connection, Count: -1}
	if len(args) == 0 {
		return p.errorf(pos, "statement needs ok, count or error")
	}
	var rest []string
	switch args[0] {
	case "ok":
		rest = args[1:]
	case "count":
		if len(args) < 2 {
			return p.errorf(pos, "statement count needs a number")
		}
		n, err := strconv.ParseInt(args[1], 10, 64)
		if err != nil || n < 0 {
			return p.errorf(pos, "invalid statement count %q", args[1])
		}
		s.Count = n
		rest = args[2:]
	case "error":
		e, retry, err := p.errorHeader(pos, line)
		if err != nil {
			return err
		}
		s.Error, s.Retry = e, retry
	default:
		return p.errorf(pos, "statement needs ok, count or error, got %q", args[0])
	}
	if s.Error == nil {
		retry, err := p.retryClause(pos, rest)
		if err != nil {
			return err
		}
		s.Retry = retry
	}
	sql, hasResults, err := p.sql(pos, "statement")
	if err != nil {
		return err
	}
	s.SQL = sql
	if hasResults {
		if s.Error == nil {
			return p.errorf(pos, "statement has expected results; use query instead")
		}
		if s.Error.Pattern != nil {
			return p.errorf(pos, "statement error has both an inline regex and a message under %s", resultsDelimiter)
		}
		s.Error.Message = p.multilineError()
	}
	p.connection = ""
	p.add(&s.Head, s)
	return nil
}

func (p *parser) query(pos Pos, line string, args []string) error {
	q := &Query{Head: Head{Pos: pos}, Connection: p.connection}
	if len(args) > 0 && args[0] == "error" {
		e, retry, err := p.errorHeader(pos, line)
		if err != nil {
			return err
		}
		q.Error, q.Retry = e, retry
	} else if len(args) > 0 {
		q.Types = args[0]
		for _, c := range q.Types {
			if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z') {
				return p.errorf(pos, "invalid column type %q in %q", c, q.Types)
			}
		}
		rest := args[1:]
		if len(rest) > 0 {
			if m, ok := parseSortMode(rest[0]); ok {
				q.SortMode = m
				rest = rest[1:]
			}
		}
		// The label is any token but "retry", which starts the retry clause.
		if len(rest) > 0 && rest[0] != "retry" {
			q.Label = rest[0]
			rest = rest[1:]
		}
		retry, err := p.retryClause(pos, rest)
		if err != nil {
			return err
		}
		q.Retry = retry
	}
	sql, hasResults, err := p.sql(pos, "query")
	if err != nil {
		return err
	}
	q.SQL = sql
	if hasResults {
		if q.Error != nil {
			if q.Error.Pattern != nil {
				return p.errorf(pos, "query error has both an inline regex and a message under %s", resultsDelimiter)
			}
			q.Error.Message = p.multilineError()
		} else {
			q.Expected = p.results()
		}
	}
	p.connection = ""
	p.add(&q.Head, q)
	return nil
}

// trailingRetry matches a retry clause at the end of an error header.
var trailingRetry = regexp.MustCompile(`(^|\s)retry\s+(\S+)\s+backoff\s+(\S+)$`)

// errorHeader parses `statement error [regex] [retry N backoff D]` (or the
// query form) from the directive line. The regex is the rest of the line
// verbatim, so that runs of spaces in it survive.
func (p *parser) errorHeader(pos Pos, line string) (*ExpectedError, Retry, error) {
	_, after, _ := strings.Cut(line, "error")
	rest := strings.TrimSpace(after)
	var retry Retry
	if m := trailingRetry.FindStringSubmatchIndex(rest); m != nil {
		var err error
		retry, err = p.retryClause(pos, strings.Fields(rest[m[0]:]))
		if err != nil {
			return nil, Retry{}, err
		}
		rest = strings.TrimSpace(rest[:m[0]])
	}
	e := &ExpectedError{}
	if rest != "" {
		re, err := regexp.Compile(rest)
		if err != nil {
			return nil, Retry{}, p.errorf(pos, "invalid error regex %q: %v", rest, err)
		}
		e.Pattern = re
	}
	return e, retry, nil
}

// retryClause parses the optional `retry N backoff D` ending a header.
func (p *parser) retryClause(pos Pos, tokens []string) (Retry, error) {
	if len(tokens) == 0 {
		return Retry{}, nil
	}
	if len(tokens) != 4 || tokens[0] != "retry" || tokens[2] != "backoff" {
		return Retry{}, p.errorf(pos, "unexpected %q in header; want retry N backoff DURATION", strings.Join(tokens, " "))
	}
	n, err := strconv.Atoi(tokens[1])
	if err != nil || n < 0 {
		return Retry{}, p.errorf(pos, "invalid retry count %q", tokens[1])
	}
	d, err := time.ParseDuration(tokens[3])
	if err != nil || d < 0 {
		return Retry{}, p.errorf(pos, "invalid retry backoff %q", tokens[3])
	}
	return Retry{Attempts: n, Backoff: d}, nil
}

// sql reads the SQL lines of a record, up to a blank line, the end of the
// file or the results delimiter, which it reports having consumed.
func (p *parser) sql(pos Pos, kind string) (sql string, hasResults bool, err error) {
	var lines []string
	for p.next < len(p.lines) {
		line := p.lines[p.next]
		if strings.TrimSpace(line) == "" {
			break
		}
		p.next++
		if strings.TrimSpace(line) == resultsDelimiter {
			hasResults = true
			break
		}
		lines = append(lines, line)
	}
	if len(lines) == 0 {
		return "", false, p.errorf(pos, "%s has no SQL", kind)
	}
	return strings.Join(lines, "\n"), hasResults, nil
}

// results reads expected output lines up to a blank line or the end of the
// file.
func (p *parser) results() []string {
	var lines []string
	for p.next < len(p.lines) {
		line := p.lines[p.next]
		if strings.TrimSpace(line) == "" {
			break
		}
		p.next++
		lines = append(lines, line)
	}
	return lines
}

// multilineError reads an error message under the delimiter. As in
// sqllogictest-rs it may contain single blank lines and ends at two
// consecutive blank lines or the end of the file.
func (p *parser) multilineError() string {
	var lines []string
	for p.next < len(p.lines) {
		line := p.lines[p.next]
		p.next++
		if strings.TrimSpace(line) == "" &&
			(p.next >= len(p.lines) || strings.TrimSpace(p.lines[p.next]) == "") {
			p.next++
			break
		}
		lines = append(lines, line)
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

// include splices in the records of every file matching pattern, resolved
// relative to the including file.
func (p *parser) include(pos Pos, pattern string) error {
	if len(p.conditions) > 0 {
		return p.errorf(pos, "include cannot be guarded by %s", p.conditions[0])
	}
	if p.depth >= maxIncludeDepth {
		return p.errorf(pos, "includes nested more than %d deep; is %s part of a cycle?", maxIncludeDepth, p.file)
	}
	full := pattern
	if !filepath.IsAbs(full) {
		full = filepath.Join(filepath.Dir(p.file), pattern)
	}
	matches, err := filepath.Glob(full)
	if err != nil {
		return p.errorf(pos, "invalid include pattern %q: %v", pattern, err)
	}
	if len(matches) == 0 {
		return p.errorf(pos, "include %q matched no files", pattern)
	}
	for _, m := range matches {
		src, err := os.ReadFile(m)
		if err != nil {
			return p.errorf(pos, "including %s: %v", m, err)
		}
		sub := &parser{file: m, depth: p.depth + 1}
		records, err := sub.parse(src)
		if err != nil {
			return err
		}
		p.records = append(p.records, records...)
	}
	return nil
}
