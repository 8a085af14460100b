package exec

import (
	"strings"

	"github.com/weir-db/weir/types"
)

// SetFunc is a set-returning function of the select list (see
// sql.ProjectSet): generate_series(start, stop [, step]) over integers,
// generate_subscripts(array, dim), unnest(array) and
// _pg_expandarray(array), whose values are records (x, n) in PostgreSQL's
// record text form.
type SetFunc struct {
	Name string
	Args []Expr
	// T is the type of the function's values (of an unnested element).
	T types.Type
}

// maxSetFuncValues bounds what one call may produce.
const maxSetFuncValues = 100_000_000

// Values evaluates the function over one input row. A NULL argument
// gives no values, as the functions are strict.
func (f *SetFunc) Values(row []types.Datum) ([]types.Datum, error) {
	args := make([]types.Datum, len(f.Args))
	for i, a := range f.Args {
		v, err := a.EvalRow(row)
		if err != nil || v == nil {
			return nil, err
		}
		args[i] = v
	}
	var out []types.Datum
	switch f.Name {
	case "generate_series":
		start, stop, step := args[0].(int64), args[1].(int64), int64(1)
		if len(args) > 2 {
			step = args[2].(int64)
		}
		if step == 0 {
			return nil, types.Errorf(types.CodeInvalidParameterValue, "step size cannot equal zero")
		}
		for v := start; step > 0 && v <= stop || step < 0 && v >= stop; v += step {
			if len(out) == maxSetFuncValues {
				return nil, types.Errorf(types.CodeProgramLimitExceeded, "generate_series produces too many rows")
			}
			out = append(out, v)
			if step > 0 && v > stop-step || step < 0 && v < stop-step {
				break // the next step would overflow or pass stop
			}
		}
	case "generate_subscripts":
		elems, err := parseArrayText(args[0].(string))
		if err != nil || args[1].(int64) != 1 {
			return nil, err
		}
		for i := range elems {
			out = append(out, int64(i+1))
		}
	case "unnest", "_pg_expandarray":
		elems, err := parseArrayText(args[0].(string))
		if err != nil {
			return nil, err
		}
		for i, s := range elems {
			if f.Name == "_pg_expandarray" {
				x := ""
				if s != nil {
					x = recordFieldText(*s)
				}
				out = append(out, "("+x+","+types.TextString(types.TInt4, int64(i+1))+")")
				continue
			}
			var v types.Datum
			if s != nil {
				if v, err = types.ParseText(f.T, *s); err != nil {
					return nil, err
				}
			}
			out = append(out, v)
		}
	default:
		return nil, types.Errorf(types.CodeUndefinedFunction, "function %s does not exist", f.Name)
	}
	return out, nil
}

// BatchProjectSet appends to each input row the values of its functions,
// one output row per value; the row is repeated as many times as the
// longest function's result, shorter ones padded with NULL (PostgreSQL's
// ProjectSet). A row for which every function is empty is dropped.
type BatchProjectSet struct {
	Input BatchOp
	Funcs []*SetFunc
}

// Rows implements BatchOp.
func (p *BatchProjectSet) Rows() ([][]types.Datum, error) {
	in, err := p.Input.Rows()
	if err != nil {
		return nil, err
	}
	var out [][]types.Datum
	vals := make([][]types.Datum, len(p.Funcs))
	for _, r := range in {
		n := 0
		for j, f := range p.Funcs {
			if vals[j], err = f.Values(r); err != nil {
				return nil, err
			}
			n = max(n, len(vals[j]))
		}
		for i := 0; i < n; i++ {
			row := make([]types.Datum, len(r), len(r)+len(p.Funcs))
			copy(row, r)
			for j := range p.Funcs {
				var v types.Datum
				if i < len(vals[j]) {
					v = vals[j][i]
				}
				row = append(row, v)
			}
			out = append(out, row)
		}
	}
	return out, nil
}

// recordFieldText quotes a field of a record's text form where PostgreSQL
// does: when empty or holding a delimiter, quote, backslash or space.
func recordFieldText(s string) string {
	if s != "" && !strings.ContainsAny(s, "(),\"\\ \t\n") {
		return s
	}
	return `"` + strings.NewReplacer(`"`, `""`, `\`, `\\`).Replace(s) + `"`
}

// parseRecordText splits a record's text form, '(a,"b c",)', into its
// fields (nil for NULL: an empty unquoted field).
func parseRecordText(s string) ([]*string, error) {
	s = strings.TrimSpace(s)
	if len(s) < 2 || s[0] != '(' || s[len(s)-1] != ')' {
		return nil, types.Errorf(types.CodeInvalidTextRepresent, "malformed record literal: %q", s)
	}
	body := s[1 : len(s)-1]
	var out []*string
	for i := 0; ; {
		var b strings.Builder
		quoted, inQuote := false, false
		for ; i < len(body) && (inQuote || body[i] != ','); i++ {
			switch c := body[i]; {
			case c == '\\' && i+1 < len(body):
				i++
				b.WriteByte(body[i])
			case c == '"' && inQuote && i+1 < len(body) && body[i+1] == '"':
				b.WriteByte('"')
				i++
			case c == '"':
				inQuote, quoted = !inQuote, true
			default:
				b.WriteByte(c)
			}
		}
		if v := b.String(); v == "" && !quoted {
			out = append(out, nil)
		} else {
			out = append(out, &v)
		}
		if i >= len(body) {
			return out, nil
		}
		i++ // comma
	}
}

func init() {
	// record_field(record, n): field n (1-based) of a record's text form,
	// read as the call's type.
	scalarImpls["record_field"] = func(a []types.Datum, t types.Type) (types.Datum, error) {
		fields, err := parseRecordText(a[0].(string))
		if err != nil {
			return nil, err
		}
		i := a[1].(int64)
		if i < 1 || int(i) > len(fields) || fields[i-1] == nil {
			return nil, nil
		}
		return types.ParseText(t, *fields[i-1])
	}
}
