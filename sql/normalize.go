package sql

import (
	"strconv"
	"strings"

	"github.com/weir-db/weir/types"
)

// normalized is statement text rewritten for the TiDB parser, with a map
// back to the user's text.
type normalized struct {
	text    string
	highNot bool // parse with NOT binding tighter than comparisons
	// spans maps each emitted piece's start in text to the byte position of
	// the user's token it came from; sorted by normalized offset.
	spans []span
	// windows are the window table functions cut out of FROM clauses; the
	// placeholder table __weir_window_<i> stands for windows[i].
	windows []windowCall
	// aliases are the FROM aliases written with column names (`AS t(a,
	// b)`); the placeholder alias __alias_<i> stands for aliases[i].
	aliases []columnAlias
}

// columnAlias is an alias with the names it gives the item's columns.
type columnAlias struct {
	name string
	cols []string
}

type span struct{ norm, orig int }

// windowCall is TUMBLE/HOP/SESSION(...) as written: its kind and the tokens
// of each argument.
type windowCall struct {
	kind string // "tumble", "hop", "session"
	args [][]Token
	pos  int
	text string // the call as written, for printing
}

// mysqlOnlyReserved are words MySQL's grammar reserves that PostgreSQL
// users write as plain identifiers (columns named key, partition, rank).
var mysqlOnlyReserved = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`partition key keys rank dense_rank groups row_number lag lead usage rows range
		schema index release read write sql match option optionally procedure trigger change load lock unlock dual
		linear lines require spatial ssl starting terminated zerofill generated stored virtual exit high_priority
		infile outfile leave iterate while elseif cursor continue call database databases describe distinctrow
		enclosed escaped explain force fulltext ignore inout kill low_priority maxvalue optimize out rename revoke
		rlike schemas show straight_join unsigned use varbinary xor last_value first_value nth_value ntile cume_dist
		percent_rank div`) {
		mysqlOnlyReserved[w] = true
	}
}

// isKeywordBeforeParen reports words that may precede "(" in FROM without
// being a table function.
func isKeywordBeforeParen(w string) bool {
	switch strings.ToLower(w) {
	case "join", "on", "using", "from", "in", "exists", "select", "values", "where", "and", "or", "not", "as", "lateral", "any", "all", "some":
		return true
	}
	return false
}

// tokensText prints tokens back as SQL.
func tokensText(toks []Token) string {
	var b strings.Builder
	for i, t := range toks {
		if i > 0 && t.Pos > toks[i-1].End {
			b.WriteByte(' ')
		}
		switch t.Kind {
		case TokString:
			b.WriteString(quoteString(t.Text))
		case TokQuotedIdent:
			b.WriteString(`"` + strings.ReplaceAll(t.Text, `"`, `""`) + `"`)
		default:
			b.WriteString(t.Text)
		}
	}
	return b.String()
}

// origPos maps an offset in the normalized text back to the user's text.
func (n *normalized) origPos(off int) int {
	best := 0
	for _, s := range n.spans {
		if s.norm > off {
			break
		}
		best = s.orig
	}
	return best
}

// normalizer rewrites PostgreSQL token streams into text the TiDB parser
// (in PIPES_AS_CONCAT, ANSI_QUOTES-free, no-backslash-escape mode) reads:
//
//	x::type, CAST(x AS type)        → __cast(x, 'type')
//	INTERVAL '10' SECOND            → __interval('10 second')
//	INTERVAL '10 seconds'           → __interval('10 seconds')
//	TIMESTAMP '...', DATE '...'     → __cast('...', 'timestamp')
//	agg(...) FILTER (WHERE c)       → __filter(agg(...), c)
//	concat(...)                     → __concat(...) (concat is ||)
//	agg(a ORDER BY k DESC)          → __ordered(agg(a), __agg_order(k, 'desc'))
//	string_agg(DISTINCT a, d)       → __agg_distinct(string_agg(a, d))
//	(composite).field               → __field((composite), 'field')
//	"Ident"                         → `Ident`
//	TUMBLE/HOP/SESSION(...) in FROM → __weir_window_<i>
type normalizer struct {
	out     []piece
	windows []windowCall
	aliases []columnAlias
}

// piece is one emitted token; group marks the start of the primary
// expression it belongs to, for casts that wrap what precedes them.
type piece struct {
	text string
	orig int
}

// afterIs reports whether toks[i] follows IS or IS NOT: x IS TRUE is the
// parser's own test, not a comparison with a boolean constant.
func afterIs(toks []Token, i int) bool {
	return i > 0 && toks[i-1].Is("is") || i > 1 && toks[i-1].Is("not") && toks[i-2].Is("is")
}

// anyHighNot reports whether toks come from ParseHighNot (rewrites may
// add tokens of their own).
func anyHighNot(toks []Token) bool {
	for _, t := range toks {
		if t.highNot {
			return true
		}
	}
	return false
}

func normalize(toks []Token) (*normalized, error) {
	n := &normalizer{}
	if err := n.emitRange(toks); err != nil {
		return nil, err
	}
	var b strings.Builder
	res := &normalized{windows: n.windows, aliases: n.aliases, highNot: anyHighNot(toks)}
	for i, p := range n.out {
		if i > 0 {
			b.WriteByte(' ')
		}
		res.spans = append(res.spans, span{norm: b.Len(), orig: p.orig})
		b.WriteString(p.text)
	}
	res.text = b.String()
	return res, nil
}

func (n *normalizer) emit(text string, orig int) { n.out = append(n.out, piece{text, orig}) }

// matchParen returns the index of the ')' closing the '(' at toks[i].
func matchParen(toks []Token, i int) (int, error) {
	depth := 0
	for j := i; j < len(toks); j++ {
		switch {
		case toks[j].Kind == TokOp && (toks[j].Text == "(" || toks[j].Text == "["):
			depth++
		case toks[j].Kind == TokOp && (toks[j].Text == ")" || toks[j].Text == "]"):
			depth--
			if depth == 0 {
				return j, nil
			}
		}
	}
	return 0, syntaxErrorAt(toks[i], "unbalanced parentheses")
}

func syntaxErrorAt(t Token, format string, args ...any) *types.Error {
	e := types.Errorf(types.CodeSyntaxError, format, args...)
	e.Position = t.Pos + 1
	return e
}

// syntaxErrorNear is PostgreSQL's usual message.
func syntaxErrorNear(t Token) error {
	if t.Kind == TokEOF {
		e := types.Errorf(types.CodeSyntaxError, "syntax error at end of input")
		e.Position = t.Pos + 1
		return e
	}
	return syntaxErrorAt(t, "syntax error at or near \"%s\"", tokenText(t))
}

func tokenText(t Token) string {
	switch t.Kind {
	case TokString:
		return "'" + t.Text + "'"
	case TokQuotedIdent:
		return `"` + t.Text + `"`
	}
	return t.Text
}

func quoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// emitRange normalizes toks (excluding a trailing EOF token).
func (n *normalizer) emitRange(toks []Token) error {
	fromClause := false
	fromDepth := 0 // the paren depth the FROM clause is at
	depth := 0
	// orderItem[d] is where the current ORDER BY item at paren depth d
	// starts in n.out, -1 outside ORDER BY.
	orderItem := map[int]int{}
	// wrapOn is the marker function the next ON condition is wrapped in
	// (a FULL JOIN or a temporal join the TiDB grammar cannot express).
	wrapOn := ""
	limitSeen := map[int]bool{}
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if t.Kind == TokEOF {
			break
		}
		next := Token{Kind: TokEOF}
		if i+1 < len(toks) {
			next = toks[i+1]
		}
		switch {
		case t.Kind == TokOp && strings.HasPrefix(t.Text, "#"):
			// The TiDB parser would read # as a comment to the end of
			// the line, dropping the rest of the expression silently.
			e := syntaxErrorAt(t, "operator %s is not supported", t.Text)
			e.Code = types.CodeFeatureNotSupported
			return e
		case t.Kind == TokIdent && t.Is("full") && (next.Is("join") || next.Is("outer") && i+2 < len(toks) && toks[i+2].Is("join")):
			n.emit("LEFT", t.Pos)
			if next.Is("outer") {
				i++
			}
			wrapOn = "__full_join("
			continue
		case t.Kind == TokIdent && t.Is("for") && next.Is("system_time") && fromClause:
			// FOR SYSTEM_TIME AS OF PROCTIME(): a temporal join.
			j := i + 2
			if !(j+2 < len(toks) && toks[j].Is("as") && toks[j+1].Is("of")) {
				return syntaxErrorNear(next)
			}
			j += 2
			end := j
			if toks[j].Is("proctime") && j+2 < len(toks) && toks[j+1].Is("(") && toks[j+2].Is(")") {
				end = j + 2
			} else {
				return withCode(syntaxErrorAt(toks[j], "FOR SYSTEM_TIME AS OF supports only PROCTIME()"), types.CodeFeatureNotSupported)
			}
			wrapOn = "__temporal_join("
			i = end
			continue
		case t.Kind == TokIdent && t.Is("on") && wrapOn != "":
			end := joinCondEnd(toks, i+1)
			n.emit("ON "+wrapOn, t.Pos)
			wrapOn = ""
			if err := n.emitRange(append(append([]Token(nil), toks[i+1:end]...), Token{Kind: TokEOF})); err != nil {
				return err
			}
			n.emit(")", toks[end-1].Pos)
			i = end - 1
			continue
		case t.Kind == TokIdent && t.Is("order") && next.Is("by"):
			n.emit(t.Text, t.Pos)
			n.emit(next.Text, next.Pos)
			orderItem[depth] = len(n.out)
			fromClause = false
			i++
			continue
		case t.Kind == TokOp && t.Text == "," && orderItem[depth] > 0:
			n.emit(",", t.Pos)
			orderItem[depth] = len(n.out)
			continue
		case t.Kind == TokIdent && t.Is("nulls") && (next.Is("first") || next.Is("last")) && orderItem[depth] > 0:
			start, end := orderItem[depth], len(n.out)
			if end > start && (strings.EqualFold(n.out[end-1].text, "asc") || strings.EqualFold(n.out[end-1].text, "desc")) {
				end--
			}
			if end <= start {
				return syntaxErrorNear(t)
			}
			fn := "__nulls_first("
			if next.Is("last") {
				fn = "__nulls_last("
			}
			wrapped := append([]piece{{text: fn, orig: n.out[start].orig}}, n.out[start:end]...)
			wrapped = append(wrapped, piece{text: ")", orig: t.Pos})
			n.out = append(append(n.out[:start:start], wrapped...), n.out[end:]...)
			i++
			continue
		case t.Kind == TokIdent && t.Is("limit") && next.Is("all"):
			orderItem[depth] = 0
			i++ // LIMIT ALL is no limit
			continue
		case t.Kind == TokIdent && t.Is("limit"):
			orderItem[depth] = 0
			limitSeen[depth] = true
			n.emit(t.Text, t.Pos)
			continue
		case t.Kind == TokIdent && t.Is("offset") && !limitSeen[depth]:
			// PostgreSQL allows OFFSET without LIMIT; MySQL's grammar does not.
			orderItem[depth] = 0
			n.emit("LIMIT 9223372036854775807 OFFSET", t.Pos)
			if i+2 < len(toks) && toks[i+1].Kind == TokNumber && (toks[i+2].Is("row") || toks[i+2].Is("rows")) {
				n.emit(toks[i+1].Text, toks[i+1].Pos)
				i += 2
			}
			continue
		case t.Kind == TokIdent && (t.Is("limit") || t.Is("offset") || t.Is("fetch") || t.Is("union") || t.Is("except") || t.Is("intersect") || t.Is("rows") || t.Is("range")) && orderItem[depth] > 0:
			orderItem[depth] = 0
			if t.Is("limit") && next.Is("all") {
				i++ // LIMIT ALL is no limit
				continue
			}
			if t.Is("fetch") {
				if err := n.fetchFirst(toks, &i); err != nil {
					return err
				}
				continue
			}
			n.emit(t.Text, t.Pos)
			continue
		case t.Kind == TokIdent && t.Is("fetch") && (next.Is("first") || next.Is("next")):
			if err := n.fetchFirst(toks, &i); err != nil {
				return err
			}
			continue
		case t.Kind == TokIdent && t.Is("operator") && next.Is("("):
			// OPERATOR(pg_catalog.~) is the operator itself.
			end, err := matchParen(toks, i+1)
			if err != nil {
				return err
			}
			if end < i+3 {
				return syntaxErrorNear(next)
			}
			op := toks[end-1]
			n.emitOperator(op, toks, &end)
			i = end
			continue
		case t.Kind == TokOp && (t.Text == "~" || t.Text == "~*" || t.Text == "!~" || t.Text == "!~*" || t.Text == "~~" || t.Text == "~~*" || t.Text == "!~~" || t.Text == "!~~*") && len(n.out) > 0 && !isOperatorPiece(n.out[len(n.out)-1].text):
			j := i
			n.emitOperator(t, toks, &j)
			i = j
			continue
		case t.Kind == TokIdent && t.Is("collate"):
			// COLLATE "C" / pg_catalog.default: Weir compares by bytes.
			j := i + 2 // COLLATE name
			if j+1 < len(toks) && toks[j].Is(".") {
				j += 2 // COLLATE schema.name
			}
			i = j - 1
			continue
		case t.Kind == TokIdent && t.Is("is") && (next.Is("distinct") || next.Is("not") && i+2 < len(toks) && toks[i+2].Is("distinct")):
			neg := next.Is("not")
			j := i + 2
			if neg {
				j++
			}
			if j >= len(toks) || !toks[j].Is("from") {
				return syntaxErrorNear(toks[min(j, len(toks)-1)])
			}
			end := operandEnd(toks, j+1)
			if end == j+1 {
				return syntaxErrorNear(toks[end])
			}
			fn := "__distinct("
			if neg {
				fn = "__not_distinct("
			}
			n.emit("<=> "+fn, t.Pos)
			if err := n.emitRange(append(append([]Token(nil), toks[j+1:end]...), Token{Kind: TokEOF})); err != nil {
				return err
			}
			n.emit(")", toks[end-1].Pos)
			i = end - 1
			continue
		case t.Kind == TokIdent && t.Is("array") && next.Is("["):
			end, err := matchParen(toks, i+1)
			if err != nil {
				return err
			}
			n.emit("__array(", t.Pos)
			if err := n.emitRange(append(append([]Token(nil), toks[i+2:end]...), Token{Kind: TokEOF})); err != nil {
				return err
			}
			n.emit(")", toks[end].Pos)
			i = end
			continue
		case t.Kind == TokOp && t.Text == "[" && len(n.out) > 0:
			end, err := matchParen(toks, i)
			if err != nil {
				return err
			}
			start := n.primaryStart()
			if start < 0 {
				return syntaxErrorNear(t)
			}
			n.out = append(n.out[:start], append([]piece{{text: "__subscript(", orig: n.out[start].orig}}, n.out[start:]...)...)
			n.emit(",", t.Pos)
			if err := n.emitRange(append(append([]Token(nil), toks[i+1:end]...), Token{Kind: TokEOF})); err != nil {
				return err
			}
			n.emit(")", toks[end].Pos)
			i = end
			continue
		case t.Is(".") && len(n.out) > 0 && n.out[len(n.out)-1].text == ")" && (next.Kind == TokIdent || next.Kind == TokQuotedIdent):
			// (composite).field → __field((composite), 'field')
			start := n.parenStart()
			if start < 0 {
				return syntaxErrorNear(t)
			}
			n.out = append(n.out[:start], append([]piece{{text: "__field(", orig: n.out[start].orig}}, n.out[start:]...)...)
			name := next.Text
			if next.Kind == TokIdent {
				name = strings.ToLower(name)
			}
			n.emit(", "+quoteString(name)+")", next.Pos)
			i++
			continue
		case t.Kind == TokIdent && t.Is("extract") && next.Is("(") && i+3 < len(toks) && toks[i+3].Is("from"):
			end, err := matchParen(toks, i+1)
			if err != nil {
				return err
			}
			field := toks[i+2].Text
			n.emit("__extract("+quoteString(strings.ToLower(field))+",", t.Pos)
			if err := n.emitRange(append(append([]Token(nil), toks[i+4:end]...), Token{Kind: TokEOF})); err != nil {
				return err
			}
			n.emit(")", toks[end].Pos)
			i = end
			continue
		case t.Kind == TokIdent && (t.Is("from") || t.Is("join")):
			fromClause, fromDepth = true, depth
			n.emit(t.Text, t.Pos)
			continue
		case t.Kind == TokIdent && (t.Is("where") || t.Is("group") || t.Is("having") || t.Is("order") || t.Is("limit") || t.Is("on") || t.Is("union") || t.Is("select")):
			fromClause = t.Is("on") && false
			n.emit(t.Text, t.Pos)
			continue
		case t.Kind == TokIdent && fromClause && t.Is("table") && next.Is("("):
			// Flink's TABLE(TUMBLE(TABLE rel, DESCRIPTOR(ts), size)).
			end, err := matchParen(toks, i+1)
			if err != nil {
				return err
			}
			inner := append(append([]Token{{Kind: TokIdent, Text: "FROM", Pos: t.Pos}}, toks[i+2:end]...), Token{Kind: TokEOF})
			saved := len(n.out)
			if err := n.emitRange(inner); err != nil {
				return err
			}
			n.out = append(n.out[:saved], n.out[saved+1:]...)
			i = end
			continue
		case t.Kind == TokIdent && t.Is("values") && next.Is("(") && n.queryPosition():
			// VALUES (...), (...) as a query: the TiDB grammar spells its
			// rows ROW(...).
			n.emit(t.Text, t.Pos)
			j := i + 1
			for {
				end, err := matchParen(toks, j)
				if err != nil {
					return err
				}
				n.emit("ROW(", toks[j].Pos)
				if err := n.emitRange(append(append([]Token(nil), toks[j+1:end]...), Token{Kind: TokEOF})); err != nil {
					return err
				}
				n.emit(")", toks[end].Pos)
				i = end
				if end+2 < len(toks) && toks[end+1].Is(",") && toks[end+2].Is("(") {
					n.emit(",", toks[end+1].Pos)
					j = end + 2
					continue
				}
				break
			}
			continue
		case t.Kind == TokIdent && fromClause && next.Is("(") && n.aliasPosition() && !isKeywordBeforeParen(t.Text):
			// An alias with column names: t(a, b) after a table, a
			// subquery or a table function.
			end, err := matchParen(toks, i+1)
			if err != nil {
				return err
			}
			var names []string
			for _, part := range splitArgs(toks[i+2 : end]) {
				if len(part) != 1 || part[0].Kind != TokIdent && part[0].Kind != TokQuotedIdent {
					return syntaxErrorNear(toks[i+1])
				}
				name := part[0].Text
				if part[0].Kind == TokIdent {
					name = strings.ToLower(name)
				}
				names = append(names, name)
			}
			n.emit("`__alias_"+strconv.Itoa(len(n.aliases))+"`", t.Pos)
			n.aliases = append(n.aliases, columnAlias{name: strings.ToLower(t.Text), cols: names})
			i = end
			continue
		case t.Kind == TokIdent && fromClause && !(t.Is("tumble") || t.Is("hop") || t.Is("session")) && !t.Is("table") && !t.Is("lateral") &&
			(next.Is("(") || next.Is(".") && i+3 < len(toks) && toks[i+2].Kind == TokIdent && toks[i+3].Is("(")) && !isKeywordBeforeParen(t.Text):
			// A table function in FROM (generate_series, unnest, ...).
			j := i
			if next.Is(".") {
				j = i + 2
			}
			end, err := matchParen(toks, j+1)
			if err != nil {
				return err
			}
			wc := windowCall{kind: strings.ToLower(toks[j].Text), pos: t.Pos, args: splitArgs(toks[j+2 : end]), text: tokensText(toks[i : end+1])}
			n.emit("__weir_window_"+strconv.Itoa(len(n.windows)), t.Pos)
			n.windows = append(n.windows, wc)
			i = end
			continue
		case t.Kind == TokIdent && (t.Is("array")) && next.Is("(") && i+2 < len(toks) && (toks[i+2].Is("select") || toks[i+2].Is("with")):
			end, err := matchParen(toks, i+1)
			if err != nil {
				return err
			}
			n.emit("__array_subquery((", t.Pos)
			if err := n.emitRange(append(append([]Token(nil), toks[i+2:end]...), Token{Kind: TokEOF})); err != nil {
				return err
			}
			n.emit("))", toks[end].Pos)
			i = end
			continue
		case t.Kind == TokIdent && (t.Is("any") || t.Is("some") || t.Is("all")) && next.Is("(") && i+2 < len(toks) && !toks[i+2].Is("select") && !toks[i+2].Is("with") && !toks[i+2].Is("values"):
			// x op ANY(array): the array form, which the TiDB grammar lacks.
			end, err := matchParen(toks, i+1)
			if err != nil {
				return err
			}
			fn := "__any("
			if t.Is("all") {
				fn = "__all("
			}
			n.emit(fn, t.Pos)
			if err := n.emitRange(append(append([]Token(nil), toks[i+2:end]...), Token{Kind: TokEOF})); err != nil {
				return err
			}
			n.emit(")", toks[end].Pos)
			i = end
			continue
		case t.Kind == TokIdent && fromClause && (t.Is("tumble") || t.Is("hop") || t.Is("session")) && next.Is("("):
			end, err := matchParen(toks, i+1)
			if err != nil {
				return err
			}
			wc := windowCall{kind: strings.ToLower(t.Text), pos: t.Pos, args: splitArgs(toks[i+2 : end]), text: tokensText(toks[i : end+1])}
			n.emit("__weir_window_"+strconv.Itoa(len(n.windows)), t.Pos)
			n.windows = append(n.windows, wc)
			i = end
			continue
		case t.Kind == TokIdent && t.Is("interval") && next.Kind == TokString:
			val := next.Text
			j := i + 2
			if j < len(toks) && toks[j].Kind == TokIdent && isIntervalUnit(toks[j].Text) {
				val += " " + strings.ToLower(toks[j].Text)
				j++
			}
			n.emit("__interval("+quoteString(val)+")", t.Pos)
			i = j - 1
			continue
		case t.Kind == TokIdent && next.Is("(") && (aggregateOrderBy(toks, i) >= 0 || callAggregateDistinct(toks, i)):
			if err := n.aggregateCall(toks, &i); err != nil {
				return err
			}
			continue
		case t.Kind == TokIdent && t.Is("concat") && next.Is("("):
			// The TiDB parser reads a || b as concat(a, b): a call as
			// written is told apart by its name.
			n.emit("__concat", t.Pos)
			continue
		case t.Kind == TokIdent && (t.Is("true") || t.Is("false")) && !next.Is("(") && !afterIs(toks, i):
			n.emit("__bool('"+strings.ToLower(t.Text[:1])+"')", t.Pos)
			continue
		case t.Kind == TokIdent && (t.Is("timestamp") || t.Is("date") || t.Is("timestamptz")) && next.Kind == TokString:
			n.emit("__cast("+quoteString(next.Text)+", "+quoteString(strings.ToLower(t.Text))+")", t.Pos)
			i++
			continue
		case t.Kind == TokIdent && t.Is("cast") && next.Is("("):
			end, err := matchParen(toks, i+1)
			if err != nil {
				return err
			}
			as := -1
			depth := 0
			for j := i + 2; j < end; j++ {
				if toks[j].Is("(") {
					depth++
				} else if toks[j].Is(")") {
					depth--
				} else if depth == 0 && toks[j].Kind == TokIdent && toks[j].Is("as") {
					as = j
				}
			}
			if as < 0 {
				return syntaxErrorNear(toks[end])
			}
			n.emit("__cast(", t.Pos)
			if err := n.emitRange(toks[i+2 : as]); err != nil {
				return err
			}
			n.emit(", "+quoteString(typeText(toks[as+1:end])), toks[as].Pos)
			n.emit(")", toks[end].Pos)
			i = end
			continue
		case t.Kind == TokOp && t.Text == "::":
			j := i + 1
			tEnd := typeNameEnd(toks, j)
			if tEnd == j {
				return syntaxErrorNear(next)
			}
			start := n.primaryStart()
			if start < 0 {
				return syntaxErrorNear(t)
			}
			n.out = append(n.out[:start], append([]piece{{text: "__cast(", orig: n.out[start].orig}}, n.out[start:]...)...)
			n.emit(", "+quoteString(typeText(toks[j:tEnd]))+")", t.Pos)
			i = tEnd - 1
			continue
		case t.Kind == TokIdent && t.Is("filter") && next.Is("(") && i+2 < len(toks) && toks[i+2].Is("where"):
			end, err := matchParen(toks, i+1)
			if err != nil {
				return err
			}
			start := n.primaryStart()
			if start < 0 {
				return syntaxErrorNear(t)
			}
			n.out = append(n.out[:start], append([]piece{{text: "__filter(", orig: n.out[start].orig}}, n.out[start:]...)...)
			n.emit(",", t.Pos)
			if err := n.emitRange(toks[i+3 : end]); err != nil {
				return err
			}
			n.emit(")", toks[end].Pos)
			i = end
			continue
		case t.Kind == TokOp && t.Text == "(" && fromClause:
			// A parenthesized subquery in FROM: its own clauses follow.
			end, err := matchParen(toks, i)
			if err != nil {
				return err
			}
			n.emit("(", t.Pos)
			if err := n.emitRange(toks[i+1 : end]); err != nil {
				return err
			}
			n.emit(")", toks[end].Pos)
			i = end
			continue
		}
		switch t.Kind {
		case TokString:
			n.emit(quoteString(t.Text), t.Pos)
		case TokQuotedIdent:
			n.emit("`"+strings.ReplaceAll(t.Text, "`", "``")+"`", t.Pos)
		case TokIdent:
			if len(n.out) > 0 && strings.EqualFold(n.out[len(n.out)-1].text, "as") && !next.Is("(") && !strings.HasPrefix(t.Text, "__") {
				// An alias may be any word in PostgreSQL (AS default).
				n.emit("`"+strings.ToLower(t.Text)+"`", t.Pos)
				continue
			}
			if mysqlOnlyReserved[strings.ToLower(t.Text)] && !next.Is("(") && !next.Is(".") &&
				!(t.Is("partition") && next.Is("by")) &&
				!((t.Is("rows") || t.Is("range")) && (next.Is("between") || next.Is("unbounded") || next.Is("current"))) {
				// A word MySQL reserves but PostgreSQL lets you use as a
				// name: quote it for the TiDB grammar.
				n.emit("`"+strings.ToLower(t.Text)+"`", t.Pos)
				continue
			}
			n.emit(t.Text, t.Pos)
		case TokParam:
			n.emit("__param("+t.Text[1:]+")", t.Pos)
		default:
			switch t.Text {
			case "(":
				depth++
				orderItem[depth] = 0
			case ")":
				orderItem[depth] = 0
				depth--
				if depth < fromDepth {
					fromClause, fromDepth = false, 0
				}
			}
			n.emit(t.Text, t.Pos)
		}
	}
	return nil
}

// fetchFirst rewrites FETCH {FIRST|NEXT} [n] {ROW|ROWS} ONLY as LIMIT n.
func (n *normalizer) fetchFirst(toks []Token, i *int) error {
	t := toks[*i]
	j := *i + 2
	count := "1"
	if j < len(toks) && toks[j].Kind == TokNumber {
		count = toks[j].Text
		j++
	}
	if j < len(toks) && (toks[j].Is("row") || toks[j].Is("rows")) {
		j++
	}
	if j >= len(toks) || !toks[j].Is("only") {
		return syntaxErrorNear(toks[min(j, len(toks)-1)])
	}
	n.emit("LIMIT "+count, t.Pos)
	*i = j
	return nil
}

// emitOperator writes a PostgreSQL operator the TiDB parser knows under
// another spelling: regular expression matches become REGEXP, the LIKE
// operators LIKE/ILIKE. A case-insensitive match needs a literal pattern,
// which gets the (?i) flag; *i is advanced past the pattern when consumed.
func (n *normalizer) emitOperator(op Token, toks []Token, i *int) {
	next := Token{Kind: TokEOF}
	if *i+1 < len(toks) {
		next = toks[*i+1]
	}
	switch op.Text {
	case "~":
		n.emit("REGEXP", op.Pos)
	case "!~":
		n.emit("NOT REGEXP", op.Pos)
	case "~*", "!~*":
		kw := "REGEXP"
		if op.Text == "!~*" {
			kw = "NOT REGEXP"
		}
		if next.Kind == TokString {
			n.emit(kw+" "+quoteString("(?i)"+next.Text), op.Pos)
			*i++
		} else {
			n.emit(kw, op.Pos)
		}
	case "~~":
		n.emit("LIKE", op.Pos)
	case "!~~":
		n.emit("NOT LIKE", op.Pos)
	case "~~*":
		n.emit("ILIKE", op.Pos)
	case "!~~*":
		n.emit("NOT ILIKE", op.Pos)
	default:
		n.emit(op.Text, op.Pos)
	}
}

func isOperatorPiece(s string) bool {
	switch strings.ToLower(s) {
	case "(", ",", "=", "<", ">", "<=", ">=", "<>", "!=", "and", "or", "not", "select", "where", "when", "then", "else":
		return true
	}
	return false
}

// joinCondEnd returns where the join condition starting at toks[j] ends.
func joinCondEnd(toks []Token, j int) int {
	depth := 0
	for ; j < len(toks); j++ {
		t := toks[j]
		switch {
		case t.Kind == TokEOF:
			return j
		case t.Is("("):
			depth++
		case t.Is(")"):
			if depth == 0 {
				return j
			}
			depth--
		case depth > 0:
		case t.Is(","):
			return j
		case t.Kind == TokIdent:
			switch strings.ToLower(t.Text) {
			case "join", "left", "right", "inner", "cross", "full", "natural", "where", "group", "having", "order",
				"limit", "offset", "union", "except", "intersect", "window":
				return j
			}
		}
	}
	return j
}

// operandEnd returns where the comparison operand starting at toks[j]
// ends: at the first token of lower precedence at paren depth 0.
func operandEnd(toks []Token, j int) int {
	depth := 0
	for ; j < len(toks); j++ {
		t := toks[j]
		switch {
		case t.Kind == TokEOF:
			return j
		case t.Is("(") || t.Is("["):
			depth++
		case t.Is(")") || t.Is("]"):
			if depth == 0 {
				return j
			}
			depth--
		case depth > 0:
		case t.Is(",") || t.Is(";") || t.Is("=") || t.Is("<") || t.Is(">") || t.Is("<=") || t.Is(">=") || t.Is("<>") || t.Is("!="):
			return j
		case t.Kind == TokIdent:
			switch strings.ToLower(t.Text) {
			case "and", "or", "then", "when", "else", "end", "is", "from", "where", "group", "having", "order",
				"limit", "offset", "union", "except", "intersect", "on", "join", "as", "asc", "desc", "not", "like", "ilike", "between", "in":
				return j
			}
		}
	}
	return j
}

// primaryStart finds where the primary expression ending the output so far
// starts: a literal, a (qualified) name, a parenthesized group, or a
// function call (including pieces this normalizer emitted, such as
// "__cast(" ... ", 'int')").
// parenStart returns where in n.out the parenthesized expression ending
// with the last piece, a ")", begins: at its "(".
func (n *normalizer) parenStart() int {
	depth := 0
	for i := len(n.out) - 1; i >= 0; i-- {
		depth += parenBalance(n.out[i].text)
		if depth == 0 {
			return i
		}
	}
	return -1
}

func (n *normalizer) primaryStart() int {
	i := len(n.out) - 1
	if i < 0 {
		return -1
	}
	if depth := parenBalance(n.out[i].text); depth > 0 {
		for depth > 0 && i > 0 {
			i--
			depth += parenBalance(n.out[i].text)
		}
		if depth != 0 {
			return -1
		}
		// A function name directly before a bare "(" belongs to the call.
		if n.out[i].text == "(" && i > 0 && isNamePiece(n.out[i-1].text) {
			i--
		}
	}
	// Qualified names: a.b.c
	for i >= 2 && n.out[i-1].text == "." && isNamePiece(n.out[i-2].text) {
		i -= 2
	}
	return i
}

// parenBalance is the number of ')' minus the number of '(' in s, outside
// quoted strings and identifiers.
func parenBalance(s string) int {
	d := 0
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '`':
			quote = c
		case c == ')':
			d++
		case c == '(':
			d--
		}
	}
	return d
}

func isNamePiece(s string) bool {
	if s == "" {
		return false
	}
	if s[0] == '`' {
		return true
	}
	if !isIdentStart(s[0]) {
		return false
	}
	switch strings.ToLower(s) {
	case "and", "or", "not", "select", "where", "when", "then", "else", "in", "is", "like", "between", "case", "on", "by", "having", "as":
		return false
	}
	return true
}

// typeNameEnd returns the index after a type name starting at toks[j]:
// words (double precision, timestamp with time zone), an optional modifier
// list and array brackets.
func typeNameEnd(toks []Token, j int) int {
	start := j
	for j < len(toks) && (toks[j].Kind == TokIdent || toks[j].Kind == TokQuotedIdent) {
		if j > start {
			w := strings.ToLower(toks[j].Text)
			prev := strings.ToLower(toks[j-1].Text)
			ok := w == "precision" && prev == "double" || w == "varying" && (prev == "character" || prev == "char") ||
				(w == "with" || w == "without") && (prev == "timestamp" || prev == "time" || prev == ")") ||
				w == "time" && (prev == "with" || prev == "without") || w == "zone" && prev == "time"
			if !ok {
				break
			}
		}
		j++
		if j < len(toks) && toks[j].Is(".") && j+1 < len(toks) && toks[j+1].Kind == TokIdent {
			j += 2
		}
		if j < len(toks) && toks[j].Is("(") {
			end, err := matchParen(toks, j)
			if err != nil {
				return start
			}
			j = end + 1
		}
	}
	for j+1 < len(toks) && toks[j].Is("[") && toks[j+1].Is("]") {
		j += 2
	}
	return j
}

func typeText(toks []Token) string {
	var parts []string
	for _, t := range toks {
		parts = append(parts, t.Text)
	}
	return strings.Join(parts, " ")
}

// orderedAggregates are the aggregates whose call may hold an ORDER BY.
var orderedAggregates = map[string]bool{
	"string_agg": true, "array_agg": true, "count": true, "sum": true, "avg": true, "min": true, "max": true,
	"bool_and": true, "bool_or": true, "every": true,
}

// aggregateOrderBy returns where ORDER BY starts among the arguments of
// the aggregate call at toks[i] (its name, then '('), relative to the
// first argument; -1 when the call has none.
func aggregateOrderBy(toks []Token, i int) int {
	if !orderedAggregates[strings.ToLower(toks[i].Text)] {
		return -1
	}
	end, err := matchParen(toks, i+1)
	if err != nil {
		return -1
	}
	depth := 0
	for j := i + 2; j < end; j++ {
		switch {
		case toks[j].Is("(") || toks[j].Is("["):
			depth++
		case toks[j].Is(")") || toks[j].Is("]"):
			depth--
		case depth == 0 && toks[j].Is("order") && j+1 < end && toks[j+1].Is("by"):
			return j - (i + 2)
		}
	}
	return -1
}

// callAggregateDistinct reports whether toks[i] calls an aggregate the
// TiDB grammar reads as a plain call with DISTINCT, which that grammar
// does not take.
func callAggregateDistinct(toks []Token, i int) bool {
	return callAggregates[strings.ToLower(toks[i].Text)] && i+2 < len(toks) && toks[i+2].Is("distinct")
}

// aggregateCall emits the aggregate call at toks[*i] whose arguments end
// in ORDER BY as __ordered(agg(args), __agg_order(key, 'asc' or 'desc'),
// ...), a key with NULLS FIRST or LAST wrapped as in a query's ORDER BY,
// and one of an aggregate the TiDB grammar does not know that starts with
// DISTINCT as __agg_distinct(agg(args)); *i ends at the call's ')'.
func (n *normalizer) aggregateCall(toks []Token, i *int) error {
	t := toks[*i]
	end, err := matchParen(toks, *i+1)
	if err != nil {
		return err
	}
	ob, ordered := end, aggregateOrderBy(toks, *i) >= 0
	if ordered {
		ob = *i + 2 + aggregateOrderBy(toks, *i)
	}
	args, distinct := *i+2, callAggregateDistinct(toks, *i)
	if distinct {
		args++
	}
	eof := Token{Kind: TokEOF}
	if ordered {
		n.emit("__ordered(", t.Pos)
	}
	if distinct {
		n.emit("__agg_distinct(", t.Pos)
	}
	n.emit(t.Text, t.Pos)
	n.emit("(", toks[*i+1].Pos)
	if err := n.emitRange(append(append([]Token(nil), toks[args:ob]...), eof)); err != nil {
		return err
	}
	n.emit(")", toks[ob].Pos)
	if distinct {
		n.emit(")", toks[ob].Pos)
	}
	if !ordered {
		*i = end
		return nil
	}
	for _, item := range splitArgs(toks[ob+2 : end]) {
		if len(item) == 0 {
			return syntaxErrorNear(toks[end])
		}
		nulls := ""
		if k := len(item); k >= 2 && item[k-2].Is("nulls") && (item[k-1].Is("first") || item[k-1].Is("last")) {
			nulls = "__nulls_" + strings.ToLower(item[k-1].Text) + "("
			item = item[:k-2]
		}
		dir := "asc"
		if k := len(item); k >= 1 && (item[k-1].Is("asc") || item[k-1].Is("desc")) {
			dir = strings.ToLower(item[k-1].Text)
			item = item[:k-1]
		}
		if len(item) == 0 {
			return syntaxErrorNear(toks[end])
		}
		n.emit(", __agg_order("+nulls, item[0].Pos)
		if err := n.emitRange(append(append([]Token(nil), item...), eof)); err != nil {
			return err
		}
		if nulls != "" {
			n.emit(")", item[len(item)-1].Pos)
		}
		n.emit(", '"+dir+"')", item[len(item)-1].Pos)
	}
	n.emit(")", toks[end].Pos)
	*i = end
	return nil
}

func splitArgs(toks []Token) [][]Token {
	var out [][]Token
	depth, start := 0, 0
	for i, t := range toks {
		switch {
		case t.Is("(") || t.Is("["):
			depth++
		case t.Is(")") || t.Is("]"):
			depth--
		case depth == 0 && t.Is(","):
			out = append(out, toks[start:i])
			start = i + 1
		}
	}
	if len(toks) > 0 {
		out = append(out, toks[start:])
	}
	return out
}

func isIntervalUnit(s string) bool {
	switch strings.ToLower(s) {
	case "microsecond", "millisecond", "second", "minute", "hour", "day", "week", "month", "year",
		"microseconds", "milliseconds", "seconds", "minutes", "hours", "days", "weeks", "months", "years":
		return true
	}
	return false
}

// aliasPosition reports whether a word emitted next in FROM names what
// precedes it (after a table, a subquery's or a function's ")" or AS)
// rather than starting a new FROM item.
func (n *normalizer) aliasPosition() bool {
	if len(n.out) == 0 {
		return false
	}
	prev := n.out[len(n.out)-1].text
	switch {
	case prev == ")" || strings.EqualFold(prev, "as"):
		return true
	case strings.EqualFold(prev, "from") || strings.EqualFold(prev, "join") || strings.EqualFold(prev, "lateral") ||
		strings.EqualFold(prev, "only"):
		return false
	}
	c := prev[0]
	return c == '`' || c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// queryPosition reports whether a query may start here: at the start, after
// "(" or after a set operator.
func (n *normalizer) queryPosition() bool {
	if len(n.out) == 0 {
		return true
	}
	prev := n.out[len(n.out)-1].text
	for _, w := range []string{"(", "union", "all", "distinct", "except", "intersect"} {
		if strings.EqualFold(prev, w) {
			return true
		}
	}
	return false
}
