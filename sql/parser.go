package sql

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/mysql"
	_ "github.com/pingcap/tidb/pkg/parser/test_driver" // value expressions for the parser
	"github.com/weir-db/weir/types"
)

// Parse reads every statement of a query string. Like PostgreSQL, it fails
// as a whole on a syntax error anywhere in the text.
func Parse(text string) ([]*Parsed, error) { return parseText(text, false) }

// ParseHighNot parses as Weir did before NOT took PostgreSQL's precedence,
// binding tighter than comparisons, LIKE, IN, BETWEEN and IS (NOT b IS
// NULL meant (NOT b) IS NULL). Stored definitions from then keep their
// meaning with it.
func ParseHighNot(text string) ([]*Parsed, error) { return parseText(text, true) }

func parseText(text string, highNot bool) ([]*Parsed, error) {
	stmts, err := SplitStatements(text)
	if err != nil {
		return nil, (&Parsed{full: text}).fixPosition(err)
	}
	out := make([]*Parsed, 0, len(stmts))
	for _, toks := range stmts {
		if highNot {
			for i := range toks {
				toks[i].highNot = true
			}
		}
		p := &Parsed{full: text, base: toks[0].Pos, Text: text[toks[0].Pos:toks[len(toks)-1].Pos]}
		p.Text = strings.TrimSpace(p.Text)
		if err := p.parse(toks); err != nil {
			return nil, p.fixPosition(err)
		}
		out = append(out, p)
	}
	return out, nil
}

type tokStream struct {
	toks []Token
	i    int
}

func (s *tokStream) peek() Token       { return s.toks[s.i] }
func (s *tokStream) peekN(n int) Token { return s.toks[min(s.i+n, len(s.toks)-1)] }
func (s *tokStream) next() Token {
	t := s.toks[s.i]
	if t.Kind != TokEOF {
		s.i++
	}
	return t
}
func (s *tokStream) accept(words ...string) bool {
	for k, w := range words {
		if !s.peekN(k).Is(w) {
			return false
		}
	}
	s.i += len(words)
	return true
}
func (s *tokStream) expect(words ...string) error {
	for _, w := range words {
		if !s.peek().Is(w) {
			return syntaxErrorNear(s.peek())
		}
		s.i++
	}
	return nil
}
func (s *tokStream) ident() (string, Token, error) {
	t := s.next()
	switch t.Kind {
	case TokIdent:
		return strings.ToLower(t.Text), t, nil
	case TokQuotedIdent:
		return t.Text, t, nil
	}
	return "", t, syntaxErrorNear(t)
}

// name reads a possibly schema-qualified object name; the schema must be
// public (Weir has one schema for user objects).
func (s *tokStream) name() (string, error) {
	n, t, err := s.ident()
	if err != nil {
		return "", err
	}
	if s.peek().Is(".") {
		s.next()
		if n != "public" {
			return "", withCode(syntaxErrorAt(t, "schema \"%s\" does not exist", n), types.CodeUndefinedObject)
		}
		n, _, err = s.ident()
	}
	return n, err
}

func (s *tokStream) atEnd() bool { return s.peek().Kind == TokEOF }

func (p *Parsed) parse(toks []Token) error {
	s := &tokStream{toks: toks}
	first := s.peek()
	switch {
	case first.Is("create"):
		return p.parseCreate(s)
	case first.Is("drop"):
		return p.parseDrop(s)
	case first.Is("flush"):
		s.next()
		p.Tag, p.node = "FLUSH", &flushStmt{}
		return s.end()
	case first.Is("select") || first.Is("with") || first.Is("values") || first.Is("("):
		q, err := parseQuery(toks)
		if err != nil {
			return err
		}
		p.Tag, p.node = "SELECT", &selectStmt{query: q}
		return nil
	case first.Is("table") && s.peekN(1).Kind == TokIdent:
		// TABLE name is SELECT * FROM name.
		rewritten := append([]Token{{Kind: TokIdent, Text: "SELECT", Pos: first.Pos}, {Kind: TokOp, Text: "*", Pos: first.Pos}, {Kind: TokIdent, Text: "FROM", Pos: first.Pos}}, toks[1:]...)
		q, err := parseQuery(rewritten)
		if err != nil {
			return err
		}
		p.Tag, p.node = "SELECT", &selectStmt{query: q}
		return nil
	case first.Is("insert") || first.Is("update") || first.Is("delete"):
		return p.parseDML(toks)
	case first.Is("show"):
		s.next()
		var parts []string
		for !s.atEnd() {
			parts = append(parts, strings.ToLower(s.next().Text))
		}
		if len(parts) == 0 {
			return syntaxErrorNear(s.peek())
		}
		p.Tag, p.node = "SHOW", &showStmt{name: strings.Join(parts, " ")}
		return nil
	case first.Is("set"):
		return p.parseSet(s)
	case first.Is("reset"):
		s.next()
		n, _, err := s.ident()
		if err != nil {
			return err
		}
		p.Tag, p.node = "RESET", &setStmt{name: n, reset: true}
		return s.end()
	case first.Is("explain"):
		s.next()
		for s.peek().Is("analyze") || s.peek().Is("verbose") {
			s.next()
		}
		if s.atEnd() {
			return syntaxErrorNear(s.peek())
		}
		inner := &Parsed{full: p.full, base: s.peek().Pos, Text: p.full[s.peek().Pos:toks[len(toks)-1].Pos]}
		if err := inner.parse(append([]Token(nil), toks[s.i:]...)); err != nil {
			return err
		}
		p.Tag, p.node = "EXPLAIN", &explainStmt{inner: inner}
		return nil
	case first.Is("alter"):
		return p.parseAlter(s)
	case first.Is("copy"):
		return p.parseCopy(s)
	case first.Is("subscribe"):
		st, err := parseSubscribe(s)
		if err != nil {
			return err
		}
		p.Tag, p.node = "SUBSCRIBE", st
		return s.end()
	case first.Is("declare"):
		return p.parseDeclare(s)
	case first.Is("fetch") || first.Is("move"):
		return p.parseFetch(s)
	case first.Is("close"):
		return p.parseClose(s)
	case first.Is("begin") || first.Is("start") || first.Is("commit") || first.Is("end") || first.Is("rollback") || first.Is("abort"):
		tag := map[string]string{"begin": "BEGIN", "start": "START TRANSACTION", "commit": "COMMIT", "end": "COMMIT", "rollback": "ROLLBACK", "abort": "ROLLBACK"}[strings.ToLower(first.Text)]
		p.Tag, p.node = tag, &txnStmt{tag: tag}
		return nil
	}
	return syntaxErrorNear(first)
}

func (s *tokStream) end() error {
	if !s.atEnd() {
		return syntaxErrorNear(s.peek())
	}
	return nil
}

func (p *Parsed) parseSet(s *tokStream) error {
	s.next()
	s.accept("session") // SET SESSION x = y
	s.accept("local")
	name, _, err := s.ident()
	if err != nil {
		return err
	}
	for s.peek().Is(".") {
		s.next()
		part, _, err := s.ident()
		if err != nil {
			return err
		}
		name += "." + part
	}
	if !s.accept("=") && !s.accept("to") {
		if name == "time" && s.accept("zone") {
			name = "timezone"
		} else {
			return syntaxErrorNear(s.peek())
		}
	}
	var vals []string
	for !s.atEnd() {
		vals = append(vals, s.next().Text)
	}
	if len(vals) == 0 {
		return syntaxErrorNear(s.peek())
	}
	p.Tag, p.node = "SET", &setStmt{name: name, value: strings.Join(vals, " ")}
	return nil
}

func (p *Parsed) parseCreate(s *tokStream) error {
	s.next()
	switch {
	case s.accept("stream"):
		p.Tag = "CREATE STREAM"
		return p.parseCreateRelation(s, RelStream)
	case s.accept("table"):
		p.Tag = "CREATE TABLE"
		return p.parseCreateRelation(s, RelTable)
	case s.accept("materialized", "view"):
		p.Tag = "CREATE MATERIALIZED VIEW"
		return p.parseCreateView(s, true)
	case s.accept("view"):
		p.Tag = "CREATE VIEW"
		return p.parseCreateView(s, false)
	case s.accept("source"):
		p.Tag = "CREATE SOURCE"
		st := &createSourceStmt{}
		st.ifNotExists = s.accept("if", "not", "exists")
		var err error
		if st.name, err = s.name(); err != nil {
			return err
		}
		if !s.accept("with") {
			return syntaxErrorNear(s.peek())
		}
		if st.with, err = parseOptions(s); err != nil {
			return err
		}
		p.node = st
		return s.end()
	case s.accept("sink"):
		return p.parseCreateSink(s)
	case s.peek().Is("index") || s.peek().Is("unique") && s.peekN(1).Is("index"):
		return p.parseCreateIndex(s)
	case s.accept("user") || s.accept("role"):
		p.Tag = "CREATE ROLE"
		st := &userStmt{create: true}
		var err error
		if st.name, _, err = s.ident(); err != nil {
			return err
		}
		s.accept("with")
		for !s.atEnd() {
			switch {
			case s.accept("login"), s.accept("nologin"), s.accept("superuser"), s.accept("nosuperuser"):
			case s.accept("password"):
				t := s.next()
				if t.Kind != TokString {
					return syntaxErrorNear(t)
				}
				pw := t.Text
				st.password = &pw
			default:
				return syntaxErrorNear(s.peek())
			}
		}
		p.node = st
		return nil
	}
	return syntaxErrorNear(s.peek())
}

func (p *Parsed) parseCreateSink(s *tokStream) error {
	p.Tag = "CREATE SINK"
	st := &createSinkStmt{}
	st.ifNotExists = s.accept("if", "not", "exists")
	var err error
	if st.name, err = s.name(); err != nil {
		return err
	}
	switch {
	case s.accept("from"):
		if st.from, err = s.name(); err != nil {
			return err
		}
	case s.accept("as"):
		start, end := s.i, len(s.toks)-1
		depth := 0
		for j := start; j < end; j++ {
			switch {
			case s.toks[j].Is("("):
				depth++
			case s.toks[j].Is(")"):
				depth--
			case depth == 0 && s.toks[j].Kind == TokIdent && (s.toks[j].Is("with") && j > start || s.toks[j].Is("emit")):
				end = j
			}
			if end != len(s.toks)-1 {
				break
			}
		}
		q, err := parseQuery(append(append([]Token(nil), s.toks[start:end]...), Token{Kind: TokEOF, Pos: s.toks[end].Pos}))
		if err != nil {
			return err
		}
		st.query = q
		s.i = end
	default:
		return syntaxErrorNear(s.peek())
	}
	if s.accept("with") {
		if st.with, err = parseOptions(s); err != nil {
			return err
		}
	}
	if s.peek().Is("emit") {
		if st.emit, err = parseEmit(s); err != nil {
			return err
		}
	}
	p.node = st
	return s.end()
}

func (p *Parsed) parseCreateIndex(s *tokStream) error {
	if s.accept("unique") {
		return withCode(syntaxErrorAt(s.toks[s.i-1], "unique indexes are not supported"), types.CodeFeatureNotSupported)
	}
	s.next() // INDEX
	p.Tag = "CREATE INDEX"
	st := &createIndexStmt{}
	st.ifNotExists = s.accept("if", "not", "exists")
	var err error
	if !s.peek().Is("on") {
		if st.name, err = s.name(); err != nil {
			return err
		}
	}
	if err := s.expect("on"); err != nil {
		return err
	}
	if st.table, err = s.name(); err != nil {
		return err
	}
	if err := s.expect("("); err != nil {
		return err
	}
	for {
		c, _, err := s.ident()
		if err != nil {
			return err
		}
		ic := IndexColumn{Name: c}
		if s.accept("desc") {
			ic.Desc = true
		} else {
			s.accept("asc")
		}
		st.columns = append(st.columns, ic)
		if !s.accept(",") {
			break
		}
	}
	if err := s.expect(")"); err != nil {
		return err
	}
	p.node = st
	return s.end()
}

func (p *Parsed) parseAlter(s *tokStream) error {
	s.next()
	st := &alterStmt{}
	switch {
	case s.accept("stream"):
		st.kind, p.Tag = RelStream, "ALTER STREAM"
	case s.accept("table"):
		st.kind, p.Tag = RelTable, "ALTER TABLE"
	case s.accept("materialized", "view"):
		st.kind, p.Tag = RelMaterializedView, "ALTER MATERIALIZED VIEW"
	case s.accept("source"):
		st.kind, p.Tag = RelSource, "ALTER SOURCE"
	case s.accept("sink"):
		st.kind, p.Tag = RelSink, "ALTER SINK"
	default:
		return syntaxErrorNear(s.peek())
	}
	var err error
	if st.name, err = s.name(); err != nil {
		return err
	}
	switch {
	case s.accept("set"):
		if st.set, err = parseOptions(s); err != nil {
			return err
		}
	case s.accept("reset"):
		if err := s.expect("("); err != nil {
			return err
		}
		for {
			n, _, err := s.ident()
			if err != nil {
				return err
			}
			st.reset = append(st.reset, n)
			if !s.accept(",") {
				break
			}
		}
		if err := s.expect(")"); err != nil {
			return err
		}
	default:
		return syntaxErrorNear(s.peek())
	}
	p.node = st
	return s.end()
}

// parseEmit reads EMIT ON UPDATE | EMIT ON WINDOW CLOSE [EARLY EVERY i]
// [ALLOW LATENESS i] [LATE ROWS INTO name].
func parseEmit(s *tokStream) (Emit, error) {
	var e Emit
	if err := s.expect("emit"); err != nil {
		return e, err
	}
	switch {
	case s.accept("on", "update"):
		e.Policy = EmitOnUpdate
		return e, nil
	case s.accept("on", "window", "close"):
		e.Policy = EmitOnWindowClose
	default:
		return e, syntaxErrorNear(s.peek())
	}
	for !s.atEnd() {
		var err error
		switch {
		case s.accept("early", "every"):
			e.EarlyEvery, err = parseIntervalTokens(s)
		case s.accept("allow", "lateness"):
			e.AllowLateness, err = parseIntervalTokens(s)
		case s.accept("late", "rows", "into"):
			e.LateRowsInto, err = s.name()
		default:
			return e, syntaxErrorNear(s.peek())
		}
		if err != nil {
			return e, err
		}
	}
	return e, nil
}

// parseIntervalTokens reads INTERVAL '10' SECOND or INTERVAL '10 seconds'
// as microseconds.
func parseIntervalTokens(s *tokStream) (int64, error) {
	t := s.peek()
	if !s.accept("interval") {
		return 0, syntaxErrorNear(t)
	}
	v := s.next()
	if v.Kind != TokString {
		return 0, syntaxErrorNear(v)
	}
	text := v.Text
	if s.peek().Kind == TokIdent && isIntervalUnit(s.peek().Text) {
		text += " " + s.next().Text
	}
	iv, err := types.ParseInterval(text)
	if err != nil {
		return 0, types.AsError(err).WithPosition(v.Pos + 1)
	}
	if iv.Months != 0 || iv.FixedMicros() < 0 {
		return 0, withCode(syntaxErrorAt(v, "interval must be a non-negative fixed duration"), types.CodeInvalidParameterValue)
	}
	return iv.FixedMicros(), nil
}

func (p *Parsed) parseCreateRelation(s *tokStream, kind RelKind) error {
	st := &createRelationStmt{kind: kind}
	if s.accept("if", "not", "exists") {
		st.ifNotExists = true
	}
	var err error
	if st.name, err = s.name(); err != nil {
		return err
	}
	if err := s.expect("("); err != nil {
		return err
	}
	for {
		t := s.peek()
		switch {
		case t.Is("primary") && s.peekN(1).Is("key"):
			s.i += 2
			if st.primaryKey != nil {
				return withCode(syntaxErrorAt(t, "multiple primary keys for table \"%s\" are not allowed", st.name), types.CodeInvalidObjectDefinition)
			}
			st.pkPos = t.Pos
			if err := s.expect("("); err != nil {
				return err
			}
			for {
				c, _, err := s.ident()
				if err != nil {
					return err
				}
				st.primaryKey = append(st.primaryKey, c)
				if !s.accept(",") {
					break
				}
			}
			if err := s.expect(")"); err != nil {
				return err
			}
		case t.Is("watermark") && s.peekN(1).Is("for"):
			s.i += 2
			col, _, err := s.ident()
			if err != nil {
				return err
			}
			if err := s.expect("as"); err != nil {
				return err
			}
			start := s.i
			depth := 0
			for !s.atEnd() {
				if s.peek().Is("(") {
					depth++
				} else if s.peek().Is(")") {
					if depth == 0 {
						break
					}
					depth--
				} else if depth == 0 && s.peek().Is(",") {
					break
				}
				s.next()
			}
			if s.i == start {
				return syntaxErrorNear(s.peek())
			}
			expr, err := parseExpr(s.toks[start:s.i])
			if err != nil {
				return err
			}
			if st.watermark != nil {
				return syntaxErrorAt(t, "only one WATERMARK is allowed")
			}
			st.watermark = &watermarkDef{column: col, expr: expr, pos: t.Pos}
		default:
			name, nt, err := s.ident()
			if err != nil {
				return err
			}
			start := s.i
			end := typeNameEnd(s.toks, start)
			if end == start {
				return syntaxErrorNear(s.peek())
			}
			typ, err := types.ParseTypeName(typeText(s.toks[start:end]))
			if err != nil {
				return types.AsError(err).WithPosition(s.toks[start].Pos + 1)
			}
			s.i = end
			cd := columnDef{name: name, typ: typ, pos: nt.Pos}
			for {
				switch {
				case s.accept("not", "null"):
					cd.notNull = true
					continue
				case s.accept("null"):
					continue
				case s.peek().Is("primary") && s.peekN(1).Is("key"):
					if st.primaryKey != nil {
						return withCode(syntaxErrorAt(s.peek(), "multiple primary keys for table \"%s\" are not allowed", st.name), types.CodeInvalidObjectDefinition)
					}
					st.pkPos = s.peek().Pos
					s.i += 2
					st.primaryKey = []string{name}
					cd.notNull = true
					continue
				}
				break
			}
			st.columns = append(st.columns, cd)
		}
		if s.accept(",") {
			continue
		}
		if err := s.expect(")"); err != nil {
			return err
		}
		break
	}
	if kind == RelTable && s.accept("append", "only") {
		st.kind = RelStream
	}
	if s.peek().Is("with") {
		s.next()
		opts, err := parseOptions(s)
		if err != nil {
			return err
		}
		st.with = opts
	}
	p.node = st
	return s.end()
}

// parseOptions reads ( name = value [, ...] ).
func parseOptions(s *tokStream) ([]Option, error) {
	if err := s.expect("("); err != nil {
		return nil, err
	}
	var opts []Option
	for {
		nt := s.peek()
		name, _, err := s.ident()
		if err != nil {
			return nil, err
		}
		for s.peek().Is(".") {
			s.next()
			part, _, err := s.ident()
			if err != nil {
				return nil, err
			}
			name += "." + part
		}
		if err := s.expect("="); err != nil {
			return nil, err
		}
		v := s.next()
		val := v.Text
		if v.Is("-") && s.peek().Kind == TokNumber {
			val = "-" + s.next().Text
		} else if v.Kind != TokString && v.Kind != TokNumber && v.Kind != TokIdent {
			return nil, syntaxErrorNear(v)
		}
		opts = append(opts, Option{Name: name, Value: val, Pos: nt.Pos + 1})
		if s.accept(",") {
			continue
		}
		if err := s.expect(")"); err != nil {
			return nil, err
		}
		return opts, nil
	}
}

func (p *Parsed) parseCreateView(s *tokStream, materialized bool) error {
	st := &createViewStmt{materialized: materialized}
	if s.accept("if", "not", "exists") {
		st.ifNotExists = true
	}
	var err error
	if st.name, err = s.name(); err != nil {
		return err
	}
	if err := s.expect("as"); err != nil {
		return err
	}
	// The emit clause ends the statement; find a top-level EMIT.
	start, end := s.i, len(s.toks)-1
	depth := 0
	for j := start; j < end; j++ {
		switch {
		case s.toks[j].Is("("):
			depth++
		case s.toks[j].Is(")"):
			depth--
		case depth == 0 && s.toks[j].Is("emit") && s.toks[j].Kind == TokIdent:
			end = j
		}
	}
	q, err := parseQuery(append(append([]Token(nil), s.toks[start:end]...), Token{Kind: TokEOF, Pos: s.toks[end].Pos}))
	if err != nil {
		return err
	}
	st.query = q
	s.i = end
	if s.peek().Is("emit") {
		if !materialized {
			return syntaxErrorNear(s.toks[end])
		}
		if st.emit, err = parseEmit(s); err != nil {
			return err
		}
	}
	p.node = st
	return s.end()
}

func (p *Parsed) parseDrop(s *tokStream) error {
	s.next()
	st := &dropStmt{}
	switch {
	case s.accept("stream"):
		st.kind, p.Tag = RelStream, "DROP STREAM"
	case s.accept("table"):
		st.kind, p.Tag = RelTable, "DROP TABLE"
	case s.accept("materialized", "view"):
		st.kind, p.Tag = RelMaterializedView, "DROP MATERIALIZED VIEW"
	case s.accept("view"):
		st.kind, p.Tag = RelView, "DROP VIEW"
	case s.accept("source"):
		st.kind, p.Tag = RelSource, "DROP SOURCE"
	case s.accept("sink"):
		st.kind, p.Tag = RelSink, "DROP SINK"
	case s.accept("index"):
		st.kind, p.Tag = RelIndex, "DROP INDEX"
	case s.accept("user") || s.accept("role"):
		p.Tag = "DROP ROLE"
		u := &userStmt{}
		u.ifExists = s.accept("if", "exists")
		n, _, err := s.ident()
		if err != nil {
			return err
		}
		u.name = n
		p.node = u
		return s.end()
	default:
		return syntaxErrorNear(s.peek())
	}
	if s.accept("if", "exists") {
		st.ifExists = true
	}
	for {
		n, err := s.name()
		if err != nil {
			return err
		}
		st.names = append(st.names, n)
		if !s.accept(",") {
			break
		}
	}
	if s.accept("cascade") {
		st.cascade = true
	} else {
		s.accept("restrict")
	}
	p.node = st
	return s.end()
}

func (p *Parsed) parseDML(toks []Token) error {
	norm, err := normalize(toks)
	if err != nil {
		return err
	}
	node, err := tidbParse(norm)
	if err != nil {
		return err
	}
	switch node.(type) {
	case *ast.InsertStmt:
		p.Tag = "INSERT"
	case *ast.UpdateStmt:
		p.Tag = "UPDATE"
	case *ast.DeleteStmt:
		p.Tag = "DELETE"
	default:
		return syntaxErrorNear(toks[0])
	}
	p.node = &dmlStmt{node: node, norm: norm}
	return nil
}

func parseQuery(toks []Token) (*parsedQuery, error) {
	norm, err := normalize(toks)
	if err != nil {
		return nil, err
	}
	node, err := tidbParse(norm)
	if err != nil {
		return nil, err
	}
	switch node.(type) {
	case *ast.SelectStmt, *ast.SetOprStmt:
	default:
		return nil, syntaxErrorNear(toks[0])
	}
	return &parsedQuery{node: node, norm: norm}, nil
}

// parseExpr parses a lone expression by wrapping it in SELECT.
func parseExpr(toks []Token) (*parsedExpr, error) {
	norm, err := normalize(append(append([]Token(nil), toks...), Token{Kind: TokEOF}))
	if err != nil {
		return nil, err
	}
	const prefix = "SELECT "
	shifted := &normalized{text: prefix + norm.text, windows: norm.windows, highNot: norm.highNot}
	for _, sp := range norm.spans {
		shifted.spans = append(shifted.spans, span{norm: sp.norm + len(prefix), orig: sp.orig})
	}
	node, err := tidbParse(shifted)
	if err != nil {
		return nil, err
	}
	sel, ok := node.(*ast.SelectStmt)
	if !ok || len(sel.Fields.Fields) != 1 || sel.From != nil {
		return nil, syntaxErrorNear(toks[0])
	}
	return &parsedExpr{node: sel.Fields.Fields[0].Expr, norm: shifted}, nil
}

var tidbErrPos = regexp.MustCompile(`line (\d+) column (\d+) near "((?s).*)"`)

// tidbParse runs the TiDB parser on normalized text and turns its errors
// into PostgreSQL's syntax errors at the user's position.
func tidbParse(norm *normalized) (node ast.StmtNode, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = types.Errorf(types.CodeSyntaxError, "syntax error: %v", r)
		}
	}()
	p := parser.New()
	mode := mysql.ModePipesAsConcat | mysql.ModeNoBackslashEscapes | mysql.ModeIgnoreSpace
	if norm.highNot {
		mode |= mysql.ModeHighNotPrecedence
	}
	p.SetSQLMode(mode)
	stmts, _, perr := p.Parse(norm.text, "", "")
	if perr != nil {
		off := len(norm.text)
		if m := tidbErrPos.FindStringSubmatch(perr.Error()); m != nil {
			near := m[3]
			if near != "" {
				if i := strings.LastIndex(norm.text, near); i >= 0 {
					off = i
				}
			} else if c, cerr := strconv.Atoi(m[2]); cerr == nil {
				off = min(c, len(norm.text))
			}
		}
		return nil, nearError(norm, off)
	}
	if len(stmts) != 1 {
		return nil, types.Errorf(types.CodeSyntaxError, "syntax error: expected one statement")
	}
	rotated, _ := stmts[0].Accept(pipesPrecedence{})
	return rotated.(ast.StmtNode), nil
}

// nearError builds "syntax error at or near" for the normalized offset.
func nearError(norm *normalized, off int) error {
	if off >= len(norm.text) {
		e := types.Errorf(types.CodeSyntaxError, "syntax error at end of input")
		if len(norm.spans) > 0 {
			e.Position = norm.spans[len(norm.spans)-1].orig + 1
		}
		return e
	}
	word := norm.text[off:]
	if i := strings.IndexAny(word, " ,()"); i > 0 {
		word = word[:i]
	} else if i == 0 {
		word = word[:1]
	}
	e := types.Errorf(types.CodeSyntaxError, "syntax error at or near \"%s\"", word)
	e.Position = norm.origPos(off) + 1
	return e
}

func withCode(e *types.Error, code string) *types.Error { e.Code = code; return e }

// parseCopy reads COPY t [(cols)] FROM STDIN and COPY t|(query) TO STDOUT,
// with options in parentheses or PostgreSQL's older bare keywords.
func (p *Parsed) parseCopy(s *tokStream) error {
	s.next()
	p.Tag = "COPY"
	st := &copyStmt{}
	if s.peek().Is("(") && s.peekN(1).Is("subscribe") {
		end, err := matchParen(s.toks, s.i)
		if err != nil {
			return err
		}
		inner := &tokStream{toks: append(append([]Token(nil), s.toks[s.i+1:end]...), Token{Kind: TokEOF, Pos: s.toks[end].Pos})}
		if st.subscribe, err = parseSubscribe(inner); err != nil {
			return err
		}
		if err := inner.end(); err != nil {
			return err
		}
		s.i = end + 1
	} else if s.peek().Is("(") {
		end, err := matchParen(s.toks, s.i)
		if err != nil {
			return err
		}
		q, err := parseQuery(append(append([]Token(nil), s.toks[s.i+1:end]...), Token{Kind: TokEOF, Pos: s.toks[end].Pos}))
		if err != nil {
			return err
		}
		st.query = q
		s.i = end + 1
	} else {
		var err error
		if st.table, err = s.name(); err != nil {
			return err
		}
		if s.accept("(") {
			for {
				c, _, err := s.ident()
				if err != nil {
					return err
				}
				st.columns = append(st.columns, c)
				if !s.accept(",") {
					break
				}
			}
			if err := s.expect(")"); err != nil {
				return err
			}
		}
	}
	switch {
	case s.accept("from"):
		st.from = true
		if !s.accept("stdin") {
			return withCode(syntaxErrorAt(s.peek(), "COPY FROM supports only STDIN"), types.CodeFeatureNotSupported)
		}
		if st.query != nil || st.subscribe != nil {
			return syntaxErrorNear(s.toks[s.i-2])
		}
	case s.accept("to"):
		if !s.accept("stdout") {
			return withCode(syntaxErrorAt(s.peek(), "COPY TO supports only STDOUT"), types.CodeFeatureNotSupported)
		}
	default:
		return syntaxErrorNear(s.peek())
	}
	s.accept("with")
	if s.peek().Is("(") {
		s.next()
		for {
			nt := s.peek()
			name, _, err := s.ident()
			if err != nil {
				return err
			}
			val := "true"
			if !s.peek().Is(",") && !s.peek().Is(")") {
				v := s.next()
				val = v.Text
			}
			st.options = append(st.options, Option{Name: name, Value: val, Pos: nt.Pos + 1})
			if !s.accept(",") {
				break
			}
		}
		if err := s.expect(")"); err != nil {
			return err
		}
	}
	for !s.atEnd() {
		t := s.next()
		switch {
		case t.Is("csv"), t.Is("binary"):
			st.options = append(st.options, Option{Name: "format", Value: strings.ToLower(t.Text), Pos: t.Pos + 1})
		case t.Is("header"):
			st.options = append(st.options, Option{Name: "header", Value: "true", Pos: t.Pos + 1})
		case t.Is("delimiter") || t.Is("null") || t.Is("quote") || t.Is("escape"):
			s.accept("as")
			v := s.next()
			if v.Kind != TokString {
				return syntaxErrorNear(v)
			}
			st.options = append(st.options, Option{Name: strings.ToLower(t.Text), Value: v.Text, Pos: t.Pos + 1})
		default:
			return syntaxErrorNear(t)
		}
	}
	p.node = st
	return nil
}
