package sql

import (
	"math"
	"strconv"
	"strings"

	"github.com/weir-db/weir/types"
)

// PostgreSQL's cursor statements, with Materialize's FETCH timeout:
//
//	DECLARE name [BINARY] [ASENSITIVE | INSENSITIVE] [NO SCROLL | SCROLL]
//	    CURSOR [WITH HOLD | WITHOUT HOLD] FOR { query | SUBSCRIBE ... }
//	FETCH | MOVE [NEXT | PRIOR | FIRST | LAST | ABSOLUTE n | RELATIVE n |
//	    n | ALL | FORWARD [n | ALL] | BACKWARD [n | ALL]] [FROM | IN] name
//	    [WITH (timeout = 'interval')]
//	CLOSE name | ALL
//
// Every direction parses, so that the ones Weir's forward-only cursors
// cannot serve fail as PostgreSQL's NO SCROLL cursors do, once the cursor
// is known to exist.

// declareStmt is DECLARE name CURSOR FOR query.
type declareStmt struct {
	name   string
	binary bool
	scroll bool
	hold   bool
	query  *Parsed // a SELECT (VALUES, TABLE) or a SUBSCRIBE
}

// fetchStmt is FETCH or MOVE.
type fetchStmt struct {
	move bool
	// dir is the direction as written ("" when none), count its number.
	dir     string
	count   int64
	all     bool
	name    string
	options []Option
}

// closeStmt is CLOSE name, or CLOSE ALL (name "").
type closeStmt struct{ name string }

func (*declareStmt) parsedNode() {}
func (*fetchStmt) parsedNode()   {}
func (*closeStmt) parsedNode()   {}

// Declare opens a cursor over Query, a *Select or a *Subscribe.
type Declare struct {
	Name  string
	Hold  bool
	Query Statement
}

// Fetch is FETCH (or MOVE, which skips the rows): Count rows forward, or
// All of them. Backward is set for any direction a forward-only cursor
// cannot serve. Timeout (µs, with HasTimeout) bounds how long FETCH waits
// for a SUBSCRIBE cursor's rows.
type Fetch struct {
	Name       string
	Move       bool
	Count      int64
	All        bool
	Backward   bool
	Timeout    int64
	HasTimeout bool
}

// CloseCursor is CLOSE name; All for CLOSE ALL.
type CloseCursor struct {
	Name string
	All  bool
}

func (*Declare) statement()     {}
func (*Fetch) statement()       {}
func (*CloseCursor) statement() {}

// cursorName reads a cursor's name; ALL is reserved, as in PostgreSQL.
func (s *tokStream) cursorName() (string, error) {
	if s.peek().Is("all") {
		return "", syntaxErrorNear(s.peek())
	}
	n, _, err := s.ident()
	return n, err
}

func (p *Parsed) parseDeclare(s *tokStream) error {
	s.next()
	p.Tag = "DECLARE CURSOR"
	st := &declareStmt{}
	var err error
	if st.name, err = s.cursorName(); err != nil {
		return err
	}
	for {
		switch {
		case s.accept("binary"):
			st.binary = true
		case s.accept("insensitive"), s.accept("asensitive"), s.accept("no", "scroll"):
		case s.accept("scroll"):
			st.scroll = true
		default:
			goto options
		}
	}
options:
	if err := s.expect("cursor"); err != nil {
		return err
	}
	switch {
	case s.accept("with", "hold"):
		st.hold = true
	case s.accept("without", "hold"):
	}
	if err := s.expect("for"); err != nil {
		return err
	}
	if s.atEnd() {
		return syntaxErrorNear(s.peek())
	}
	first := s.peek()
	inner := &Parsed{full: p.full, base: first.Pos, Text: p.full[first.Pos:s.toks[len(s.toks)-1].Pos]}
	if err := inner.parse(append([]Token(nil), s.toks[s.i:]...)); err != nil {
		return err
	}
	switch inner.node.(type) {
	case *selectStmt, *subscribeStmt:
	default:
		return syntaxErrorNear(first)
	}
	st.query = inner
	p.node = st
	return nil
}

// fetchDirections are the words that start a direction; the forward ones
// map to true.
var fetchDirections = map[string]bool{"next": true, "forward": true, "prior": false, "first": false, "last": false, "absolute": false, "relative": false, "backward": false}

func (p *Parsed) parseFetch(s *tokStream) error {
	st := &fetchStmt{move: s.next().Is("move"), count: 1}
	p.Tag = map[bool]string{true: "MOVE", false: "FETCH"}[st.move]
	// A direction word followed by the end (or WITH) is the cursor's name.
	t := s.peek()
	word := strings.ToLower(t.Text)
	if _, ok := fetchDirections[word]; ok && t.Kind == TokIdent && !s.peekN(1).Is("with") && s.peekN(1).Kind != TokEOF {
		s.next()
		st.dir = word
		switch word {
		case "absolute", "relative":
			n, err := s.signedCount()
			if err != nil {
				return err
			}
			st.count = n
		case "forward", "backward":
			switch {
			case s.accept("all"):
				st.all = true
			case s.peek().Kind == TokNumber || s.peek().Is("-") || s.peek().Is("+"):
				n, err := s.signedCount()
				if err != nil {
					return err
				}
				st.count = n
			}
		}
	} else if s.accept("all") {
		st.all = true
	} else if t.Kind == TokNumber || t.Is("-") || t.Is("+") {
		n, err := s.signedCount()
		if err != nil {
			return err
		}
		st.count = n
	}
	if !s.accept("from") {
		s.accept("in")
	}
	var err error
	if st.name, err = s.cursorName(); err != nil {
		return err
	}
	if s.accept("with") {
		if st.options, err = parseOptions(s); err != nil {
			return err
		}
	}
	p.node = st
	return s.end()
}

// signedCount reads a FETCH count: a 32-bit integer, as PostgreSQL's
// grammar has it.
func (s *tokStream) signedCount() (int64, error) {
	neg := false
	if s.peek().Is("-") || s.peek().Is("+") {
		neg = s.next().Is("-")
	}
	t := s.next()
	n, err := strconv.ParseInt(t.Text, 10, 64)
	if t.Kind != TokNumber || err != nil || n > math.MaxInt32 {
		return 0, syntaxErrorNear(t)
	}
	if neg {
		n = -n
	}
	return n, nil
}

func (p *Parsed) parseClose(s *tokStream) error {
	s.next()
	p.Tag = "CLOSE CURSOR"
	st := &closeStmt{}
	if !s.accept("all") {
		var err error
		if st.name, _, err = s.ident(); err != nil {
			return err
		}
	}
	p.node = st
	return s.end()
}

func bindDeclare(n *declareStmt, cat Catalog, params *[]*types.Type) (Statement, error) {
	if n.binary {
		return nil, types.Errorf(types.CodeFeatureNotSupported, "BINARY cursors are not supported")
	}
	if n.scroll {
		return nil, types.Errorf(types.CodeFeatureNotSupported, "SCROLL cursors are not supported")
	}
	q, err := bindWith(n.query, cat, params)
	if err != nil {
		return nil, err
	}
	return &Declare{Name: n.name, Hold: n.hold, Query: q}, nil
}

func bindFetch(n *fetchStmt) (Statement, error) {
	f := &Fetch{Name: n.name, Move: n.move, Count: n.count, All: n.all}
	forward, ok := fetchDirections[n.dir]
	switch {
	case ok && !forward, n.count < 0:
		f.Backward = true
	}
	for _, o := range n.options {
		if !strings.EqualFold(o.Name, "timeout") || f.HasTimeout {
			e := types.Errorf(types.CodeInvalidParameterValue, "unrecognized or repeated FETCH option \"%s\"", o.Name)
			e.Position = o.Pos
			return nil, e
		}
		v, err := types.ParseText(types.TInterval, o.Value)
		iv, _ := v.(types.DInterval)
		if err != nil || iv.Months != 0 || iv.Days < 0 || iv.Micros < 0 {
			e := types.Errorf(types.CodeInvalidParameterValue, "timeout must be a non-negative interval, got \"%s\"", o.Value)
			e.Position = o.Pos
			return nil, e
		}
		f.Timeout, f.HasTimeout = int64(iv.Days)*86_400_000_000+iv.Micros, true
	}
	return f, nil
}

// String prints the DECLARE canonically.
func (n *declareStmt) String() string {
	s := "DECLARE " + quoteCursor(n.name)
	if n.binary {
		s += " BINARY"
	}
	if n.scroll {
		s += " SCROLL"
	}
	s += " CURSOR"
	if n.hold {
		s += " WITH HOLD"
	}
	return s + " FOR " + n.query.String()
}

// String prints the FETCH or MOVE canonically.
func (n *fetchStmt) String() string {
	s := map[bool]string{true: "MOVE", false: "FETCH"}[n.move]
	switch {
	case n.dir == "next" || n.dir == "prior" || n.dir == "first" || n.dir == "last":
		s += " " + strings.ToUpper(n.dir)
	case n.dir != "" && n.all:
		s += " " + strings.ToUpper(n.dir) + " ALL"
	case n.dir != "":
		s += " " + strings.ToUpper(n.dir) + " " + strconv.FormatInt(n.count, 10)
	case n.all:
		s += " ALL"
	default:
		s += " " + strconv.FormatInt(n.count, 10)
	}
	s += " FROM " + quoteCursor(n.name)
	if len(n.options) > 0 {
		s += formatOptions(n.options)
	}
	return s
}

// String prints the CLOSE canonically.
func (n *closeStmt) String() string {
	if n.name == "" {
		return "CLOSE ALL"
	}
	return "CLOSE " + quoteCursor(n.name)
}

// quoteCursor quotes a cursor's name as quoteIdent does, and also "all",
// which is reserved where a cursor's name stands.
func quoteCursor(name string) string {
	if name == "all" {
		return `"all"`
	}
	return quoteIdent(name)
}
