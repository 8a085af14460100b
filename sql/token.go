package sql

import (
	"strings"

	"github.com/weir-db/weir/types"
)

// TokenKind classifies a lexical token.
type TokenKind uint8

// Token kinds.
const (
	TokEOF TokenKind = iota
	TokIdent
	TokQuotedIdent
	TokString // standard string; Text holds the decoded value
	TokNumber
	TokParam // $1
	TokOp    // operators and punctuation
)

// Token is one lexical token with its byte position in the original text.
type Token struct {
	Kind TokenKind
	Text string // identifier (as written), decoded string value, number, or operator
	Pos  int    // byte offset of the token's first character
	End  int    // byte offset just past the token
	// highNot marks the tokens of text parsed as before NOT took
	// PostgreSQL's precedence (see ParseHighNot).
	highNot bool
}

// Is reports whether t is the (case-insensitive) keyword or operator s.
func (t Token) Is(s string) bool {
	return (t.Kind == TokIdent || t.Kind == TokOp) && strings.EqualFold(t.Text, s)
}

const maxTokens = 1 << 20

// Tokenize splits PostgreSQL SQL text into tokens, dropping comments and
// white space. It understands ” and E” strings, dollar quoting, quoted
// identifiers and multi-character operators.
func Tokenize(s string) ([]Token, error) {
	var toks []Token
	i := 0
	errAt := func(pos int, format string, args ...any) error {
		return types.Errorf(types.CodeSyntaxError, format, args...).WithPosition(pos + 1)
	}
	for i < len(s) {
		if len(toks) > maxTokens {
			return nil, types.Errorf(types.CodeProgramLimitExceeded, "statement too long")
		}
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			i++
		case c == '-' && i+1 < len(s) && s[i+1] == '-':
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(s) && s[i+1] == '*':
			depth, j := 0, i
			for j < len(s) {
				if strings.HasPrefix(s[j:], "/*") {
					depth++
					j += 2
				} else if strings.HasPrefix(s[j:], "*/") {
					depth--
					j += 2
					if depth == 0 {
						break
					}
				} else {
					j++
				}
			}
			if depth != 0 {
				return nil, errAt(i, "unterminated /* comment at or near \"%s\"", snippet(s, i))
			}
			i = j
		case (c == 'e' || c == 'E') && i+1 < len(s) && s[i+1] == '\'':
			v, end, err := scanEscapeString(s, i+1)
			if err != nil {
				return nil, errAt(i, "%s", err.Error())
			}
			toks = append(toks, Token{Kind: TokString, Text: v, Pos: i, End: end})
			i = end
		case c == '\'':
			var b strings.Builder
			j := i + 1
			for {
				if j >= len(s) {
					return nil, errAt(i, "unterminated quoted string at or near \"%s\"", snippet(s, i))
				}
				if s[j] == '\'' {
					if j+1 < len(s) && s[j+1] == '\'' {
						b.WriteByte('\'')
						j += 2
						continue
					}
					j++
					break
				}
				b.WriteByte(s[j])
				j++
			}
			toks = append(toks, Token{Kind: TokString, Text: b.String(), Pos: i, End: j})
			i = j
		case c == '"':
			var b strings.Builder
			j := i + 1
			for {
				if j >= len(s) {
					return nil, errAt(i, "unterminated quoted identifier at or near \"%s\"", snippet(s, i))
				}
				if s[j] == '"' {
					if j+1 < len(s) && s[j+1] == '"' {
						b.WriteByte('"')
						j += 2
						continue
					}
					j++
					break
				}
				b.WriteByte(s[j])
				j++
			}
			if b.Len() == 0 {
				return nil, errAt(i, "zero-length delimited identifier at or near \"\"\"\"")
			}
			toks = append(toks, Token{Kind: TokQuotedIdent, Text: b.String(), Pos: i, End: j})
			i = j
		case c == '$' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			j := i + 1
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			toks = append(toks, Token{Kind: TokParam, Text: s[i:j], Pos: i, End: j})
			i = j
		case c == '$':
			// Dollar quoting: $tag$ ... $tag$.
			j := i + 1
			for j < len(s) && (isIdentStart(s[j]) || s[j] >= '0' && s[j] <= '9') {
				j++
			}
			if j >= len(s) || s[j] != '$' {
				return nil, errAt(i, "syntax error at or near \"$\"")
			}
			tag := s[i : j+1]
			end := strings.Index(s[j+1:], tag)
			if end < 0 {
				return nil, errAt(i, "unterminated dollar-quoted string at or near \"%s\"", snippet(s, i))
			}
			toks = append(toks, Token{Kind: TokString, Text: s[j+1 : j+1+end], Pos: i, End: j + 1 + end + len(tag)})
			i = j + 1 + end + len(tag)
		case isIdentStart(c):
			j := i
			for j < len(s) && isIdentChar(s[j]) {
				j++
			}
			toks = append(toks, Token{Kind: TokIdent, Text: s[i:j], Pos: i, End: j})
			i = j
		case c >= '0' && c <= '9' || c == '.' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			j := i
			for j < len(s) && (s[j] >= '0' && s[j] <= '9') {
				j++
			}
			if j < len(s) && s[j] == '.' && !(j+1 < len(s) && s[j+1] == '.') {
				j++
				for j < len(s) && s[j] >= '0' && s[j] <= '9' {
					j++
				}
			}
			if j < len(s) && (s[j] == 'e' || s[j] == 'E') {
				k := j + 1
				if k < len(s) && (s[k] == '+' || s[k] == '-') {
					k++
				}
				if k < len(s) && s[k] >= '0' && s[k] <= '9' {
					for k < len(s) && s[k] >= '0' && s[k] <= '9' {
						k++
					}
					j = k
				}
			}
			if j < len(s) && isIdentStart(s[j]) {
				return nil, errAt(i, "trailing junk after numeric literal at or near \"%s\"", s[i:j+1])
			}
			toks = append(toks, Token{Kind: TokNumber, Text: s[i:j], Pos: i, End: j})
			i = j
		default:
			n := opLen(s[i:])
			toks = append(toks, Token{Kind: TokOp, Text: s[i : i+n], Pos: i, End: i + n})
			i += n
		}
	}
	toks = append(toks, Token{Kind: TokEOF, Pos: len(s), End: len(s)})
	return toks, nil
}

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func isIdentChar(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' || c == '$' }

var multiOps = []string{"<=>", "::", "<=", ">=", "<>", "!=", "||", "->>", "#>>", "->", "#>", "~~*", "!~~*", "~~", "!~~", "!~*", "!~", "~*", "<<", ">>", "@>", "<@", ":="}

func opLen(s string) int {
	for _, op := range multiOps {
		if strings.HasPrefix(s, op) {
			return len(op)
		}
	}
	return 1
}

func scanEscapeString(s string, quote int) (string, int, error) {
	var b strings.Builder
	j := quote + 1
	for j < len(s) {
		c := s[j]
		switch {
		case c == '\'' && j+1 < len(s) && s[j+1] == '\'':
			b.WriteByte('\'')
			j += 2
		case c == '\'':
			return b.String(), j + 1, nil
		case c == '\\' && j+1 < len(s):
			j++
			switch s[j] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			default:
				b.WriteByte(s[j])
			}
			j++
		default:
			b.WriteByte(c)
			j++
		}
	}
	return "", 0, types.Errorf(types.CodeSyntaxError, "unterminated quoted string")
}

// charPos converts a byte offset into PostgreSQL's 1-based character
// position.
func charPos(s string, off int) int {
	if off > len(s) {
		off = len(s)
	}
	return len([]rune(s[:off])) + 1
}

func snippet(s string, i int) string {
	end := min(len(s), i+20)
	return s[i:end]
}

// SplitStatements splits text into statements at top-level semicolons,
// returning each statement's tokens (without the semicolon) and its text
// span. Empty statements are dropped.
func SplitStatements(s string) ([][]Token, error) {
	toks, err := Tokenize(s)
	if err != nil {
		return nil, err
	}
	var out [][]Token
	start := 0
	for i, t := range toks {
		if t.Kind == TokEOF || t.Kind == TokOp && t.Text == ";" {
			if i > start {
				stmt := append([]Token(nil), toks[start:i]...)
				stmt = append(stmt, Token{Kind: TokEOF, Pos: t.Pos, End: t.Pos})
				out = append(out, stmt)
			}
			start = i + 1
		}
	}
	return out, nil
}
