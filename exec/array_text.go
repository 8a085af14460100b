package exec

import (
	"strings"

	"github.com/weir-db/weir/types"
)

// Weir has no array type yet; the catalog's arrays travel as PostgreSQL's
// array text form ('{a,b,"c d",NULL}'). These functions read that form.

// parseArrayText splits a one-dimensional array literal into its elements
// (nil for NULL).
func parseArrayText(s string) ([]*string, error) {
	s = strings.TrimSpace(s)
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		// int2vector and oidvector print as space-separated numbers.
		var out []*string
		for _, f := range strings.Fields(s) {
			for _, c := range f {
				if (c < '0' || c > '9') && c != '-' {
					return nil, types.Errorf(types.CodeInvalidTextRepresent, "malformed array literal: %q", s)
				}
			}
			v := f
			out = append(out, &v)
		}
		return out, nil
	}
	body := s[1 : len(s)-1]
	var out []*string
	if strings.TrimSpace(body) == "" {
		return out, nil
	}
	for i := 0; i <= len(body); {
		var b strings.Builder
		quoted := false
		if i < len(body) && body[i] == '"' {
			quoted = true
			i++
			for i < len(body) && body[i] != '"' {
				if body[i] == '\\' && i+1 < len(body) {
					i++
				}
				b.WriteByte(body[i])
				i++
			}
			i++ // closing quote
		} else {
			for i < len(body) && body[i] != ',' {
				b.WriteByte(body[i])
				i++
			}
		}
		v := b.String()
		if !quoted {
			v = strings.TrimSpace(v)
		}
		if !quoted && strings.EqualFold(v, "null") {
			out = append(out, nil)
		} else {
			out = append(out, &v)
		}
		if i >= len(body) {
			break
		}
		i++ // comma
	}
	return out, nil
}

func init() {
	scalarImpls["array_elem"] = func(a []types.Datum, _ types.Type) (types.Datum, error) {
		elems, err := parseArrayText(a[0].(string))
		if err != nil {
			return nil, err
		}
		i := a[1].(int64)
		if i < 1 || int(i) > len(elems) || elems[i-1] == nil {
			return nil, nil
		}
		return *elems[i-1], nil
	}
	length := func(a []types.Datum, _ types.Type) (types.Datum, error) {
		elems, err := parseArrayText(a[0].(string))
		if err != nil || len(elems) == 0 {
			return nil, err
		}
		if len(a) > 1 && a[1].(int64) != 1 {
			return nil, nil
		}
		return int64(len(elems)), nil
	}
	scalarImpls["array_upper"] = length
	scalarImpls["array_length"] = length
	scalarImpls["cardinality"] = func(a []types.Datum, t types.Type) (types.Datum, error) {
		elems, err := parseArrayText(a[0].(string))
		if err != nil {
			return nil, err
		}
		return int64(len(elems)), nil
	}
	scalarImpls["array_lower"] = func(a []types.Datum, _ types.Type) (types.Datum, error) {
		elems, err := parseArrayText(a[0].(string))
		if err != nil || len(elems) == 0 {
			return nil, err
		}
		return int64(1), nil
	}
	// array_op(x, array, op, all): x op ANY/ALL (array), three-valued.
	scalarImpls["array_op"] = func(a []types.Datum, _ types.Type) (types.Datum, error) {
		return nil, nil // replaced below; strictness handled in arrayOp
	}
	nonStrict["array_op"] = true
}

// arrayOp evaluates x op ANY/ALL(array) over the array's text form.
func (e *Call) arrayOp(row []types.Datum) (types.Datum, error) {
	x, err := e.Args[0].EvalRow(row)
	if err != nil {
		return nil, err
	}
	arr, err := e.Args[1].EvalRow(row)
	if err != nil || arr == nil {
		return nil, err
	}
	op := e.Args[2].(*Const).V.(string)
	all := e.Args[3].(*Const).V.(bool)
	elems, err := parseArrayText(arr.(string))
	if err != nil {
		return nil, err
	}
	t := e.Args[0].Type()
	sawNull := false
	for _, el := range elems {
		if el == nil || x == nil {
			sawNull = true
			continue
		}
		v, err := types.ParseText(t, *el)
		if err != nil {
			return nil, err
		}
		cmp := &Call{Func: op, Args: []Expr{&Const{V: x, T: t}, &Const{V: v, T: t}}, T: types.TBool}
		ok, err := cmp.EvalRow(nil)
		if err != nil {
			return nil, err
		}
		if all && ok != true {
			return false, nil
		}
		if !all && ok == true {
			return true, nil
		}
	}
	if sawNull {
		return nil, nil
	}
	return all, nil
}
