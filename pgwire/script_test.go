package pgwire

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/jackc/pgproto3/v2"
)

// parseFrontendMessage reads one line of a "send" command:
//
//	Query <sql>
//	Parse [name=<s>] [types=<oid>,...] <sql>
//	Bind [portal=<p>] [stmt=<s>] [pformats=<f>,...] [params=<v>,...] [rformats=<f>,...]
//	Describe S|P [<name>]
//	Execute [portal=<p>] [max=<n>]
//	Close S|P [<name>]
//	CopyData <Go-quoted bytes>
//	CopyFail <message>
//	Sync | Flush | CopyDone | FunctionCall | Terminate
//
// A name or value is bare or Go-quoted; a parameter value is NULL, bare
// text, or Go-quoted bytes (for binary values).
func parseFrontendMessage(t *testing.T, d *datadriven.TestData, line string) pgproto3.FrontendMessage {
	t.Helper()
	name, rest, _ := strings.Cut(line, " ")
	fail := func(format string, args ...any) {
		t.Helper()
		d.Fatalf(t, "%s: %s", line, fmt.Sprintf(format, args...))
	}
	switch name {
	case "Query":
		return &pgproto3.Query{String: rest}
	case "Parse":
		m := &pgproto3.Parse{}
		for {
			k, v, tail, ok := scanArg(rest, "name", "types")
			if !ok {
				break
			}
			rest = tail
			switch k {
			case "name":
				m.Name = v
			case "types":
				for _, s := range strings.Split(v, ",") {
					oid, err := strconv.ParseUint(s, 10, 32)
					if err != nil {
						fail("bad oid %q", s)
					}
					m.ParameterOIDs = append(m.ParameterOIDs, uint32(oid))
				}
			}
		}
		m.Query = rest
		return m
	case "Bind":
		m := &pgproto3.Bind{}
		for rest != "" {
			k, v, tail, ok := scanArg(rest, "portal", "stmt", "pformats", "params", "rformats")
			if !ok {
				fail("bad argument %q", rest)
			}
			rest = tail
			switch k {
			case "portal":
				m.DestinationPortal = v
			case "stmt":
				m.PreparedStatement = v
			case "pformats":
				m.ParameterFormatCodes = formatCodes(t, d, v)
			case "rformats":
				m.ResultFormatCodes = formatCodes(t, d, v)
			case "params":
				m.Parameters = paramValues(t, d, v)
			}
		}
		return m
	case "Describe", "Close":
		kind, obj, _ := strings.Cut(rest, " ")
		if len(kind) != 1 {
			fail("want S or P")
		}
		obj = unquote(t, d, obj)
		if name == "Describe" {
			return &pgproto3.Describe{ObjectType: kind[0], Name: obj}
		}
		return &pgproto3.Close{ObjectType: kind[0], Name: obj}
	case "Execute":
		m := &pgproto3.Execute{}
		for rest != "" {
			k, v, tail, ok := scanArg(rest, "portal", "max")
			if !ok {
				fail("bad argument %q", rest)
			}
			rest = tail
			switch k {
			case "portal":
				m.Portal = v
			case "max":
				n, err := strconv.ParseInt(v, 10, 32)
				if err != nil {
					fail("bad max %q", v)
				}
				m.MaxRows = uint32(n)
			}
		}
		return m
	case "CopyData":
		return &pgproto3.CopyData{Data: []byte(unquote(t, d, rest))}
	case "CopyFail":
		return &pgproto3.CopyFail{Message: rest}
	case "CopyDone":
		return &pgproto3.CopyDone{}
	case "Sync":
		return &pgproto3.Sync{}
	case "Flush":
		return &pgproto3.Flush{}
	case "FunctionCall":
		return &pgproto3.FunctionCall{Function: 1}
	case "Terminate":
		return &pgproto3.Terminate{}
	}
	fail("unknown message")
	return nil
}

// scanArg reads a leading "key=value " from s if key is one of keys.
func scanArg(s string, keys ...string) (key, val, rest string, ok bool) {
	k, v, found := strings.Cut(s, "=")
	if !found || strings.ContainsAny(k, " \"") {
		return "", "", s, false
	}
	known := false
	for _, want := range keys {
		known = known || k == want
	}
	if !known {
		return "", "", s, false
	}
	tok, rest, err := scanToken(v)
	if err != nil {
		return "", "", s, false
	}
	val = tok
	if k != "params" {
		if val, err = strconv.Unquote(tok); err != nil {
			val = tok
		}
	}
	return k, val, strings.TrimLeft(rest, " "), true
}

// scanToken reads up to the first space outside Go-quoted strings.
func scanToken(s string) (tok, rest string, err error) {
	i := 0
	for i < len(s) && s[i] != ' ' {
		if s[i] == '"' {
			q, err := strconv.QuotedPrefix(s[i:])
			if err != nil {
				return "", "", err
			}
			i += len(q)
			continue
		}
		i++
	}
	return s[:i], s[i:], nil
}

// scanValue reads a bare or Go-quoted value ending at sep or the end of s.
func scanValue(s string, sep byte) (val, rest string, err error) {
	if strings.HasPrefix(s, `"`) {
		q, err := strconv.QuotedPrefix(s)
		if err != nil {
			return "", "", err
		}
		v, _ := strconv.Unquote(q)
		return v, s[len(q):], nil
	}
	i := strings.IndexByte(s, sep)
	if i < 0 {
		return s, "", nil
	}
	return s[:i], s[i:], nil
}

func unquote(t *testing.T, d *datadriven.TestData, s string) string {
	t.Helper()
	v, rest, err := scanValue(s, ' ')
	if err != nil || rest != "" {
		d.Fatalf(t, "bad value %q", s)
	}
	return v
}

func formatCodes(t *testing.T, d *datadriven.TestData, s string) []int16 {
	t.Helper()
	var out []int16
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.ParseInt(f, 10, 16)
		if err != nil {
			d.Fatalf(t, "bad format code %q", f)
		}
		out = append(out, int16(n))
	}
	return out
}

func paramValues(t *testing.T, d *datadriven.TestData, s string) [][]byte {
	t.Helper()
	var out [][]byte
	for s != "" {
		if strings.HasPrefix(s, "NULL") && (len(s) == 4 || s[4] == ',') {
			out = append(out, nil)
			s = s[4:]
		} else {
			v, rest, err := scanValue(s, ',')
			if err != nil {
				d.Fatalf(t, "bad parameter values %q", s)
			}
			out = append(out, []byte(v))
			s = rest
		}
		s = strings.TrimPrefix(s, ",")
	}
	return out
}
