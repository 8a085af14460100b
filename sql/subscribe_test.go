package sql

import (
	"fmt"
	"testing"

	"github.com/weir-db/weir/types"
)

func TestSubscribeParseBind(t *testing.T) {
	cat := newTestCatalog()
	cat["v"] = &Relation{Name: "v", Kind: RelMaterializedView, Columns: []Column{{Name: "k", Type: types.TText}}}
	for _, c := range []struct{ in, printed, want string }{
		{"SUBSCRIBE v", "SUBSCRIBE v", "v snapshot=true progress=false"},
		{"subscribe to v", "SUBSCRIBE v", "v snapshot=true progress=false"},
		{"SUBSCRIBE TO public.v WITH (SNAPSHOT = false)", "SUBSCRIBE v WITH (snapshot = 'false')", "v snapshot=false progress=false"},
		{"SUBSCRIBE v WITH (snapshot false, progress)", "SUBSCRIBE v WITH (snapshot = 'false', progress = 'true')", "v snapshot=false progress=true"},
		{"SUBSCRIBE v (progress = 'on')", "SUBSCRIBE v WITH (progress = 'on')", "v snapshot=true progress=true"},
		{"COPY (SUBSCRIBE v) TO STDOUT", "COPY (SUBSCRIBE v) TO STDOUT", "copy v snapshot=true progress=false"},
		{"COPY (SUBSCRIBE TO v WITH (progress)) TO STDOUT WITH (FORMAT csv)", "COPY (SUBSCRIBE v WITH (progress = 'true')) TO STDOUT WITH (format 'csv')", "copy v snapshot=true progress=true"},
		{"SUBSCRIBE nope", "SUBSCRIBE nope", "error 42P01 at 11: relation \"nope\" does not exist"},
		{"SUBSCRIBE TO t", "SUBSCRIBE t", "error 42809 at 14: \"t\" is not a materialized view"},
		{"COPY (SUBSCRIBE s) TO STDOUT", "COPY (SUBSCRIBE s) TO STDOUT", "error 42809 at 17: \"s\" is not a materialized view"},
		{"SUBSCRIBE v WITH (snapshot = maybe)", "SUBSCRIBE v WITH (snapshot = 'maybe')", "error 22023 at 19: snapshot requires a Boolean value"},
		{"SUBSCRIBE v WITH (as_of = 3)", "SUBSCRIBE v WITH (as_of = '3')", "error 22023 at 19: unrecognized SUBSCRIBE option \"as_of\""},
		{"SUBSCRIBE v WITH (snapshot, snapshot)", "SUBSCRIBE v WITH (snapshot = 'true', snapshot = 'true')", "error 42601 at 29: option \"snapshot\" specified more than once"},
		{"SUBSCRIBE", "", "error 42601 at 10: syntax error at end of input"},
		{"SUBSCRIBE v extra", "", "error 42601 at 13: syntax error at or near \"extra\""},
		{"COPY (SUBSCRIBE v) FROM STDIN", "", "error 42601 at 20: syntax error at or near \"FROM\""},
	} {
		ps, err := Parse(c.in)
		if err != nil {
			if c.printed != "" {
				t.Errorf("%q: %v", c.in, err)
			} else if got := formatErr(err); got != c.want+"\n" {
				t.Errorf("%q: got %s want %s", c.in, got, c.want)
			}
			continue
		}
		if got := ps[0].String(); got != c.printed {
			t.Errorf("%q printed as %q, want %q", c.in, got, c.printed)
		}
		again, err := Parse(ps[0].String())
		if err != nil || again[0].String() != ps[0].String() {
			t.Errorf("%q: print is not a fixpoint: %v", c.in, err)
		}
		st, err := Bind(ps[0], cat)
		var got string
		switch n := st.(type) {
		case nil:
			got = formatErr(err)
			got = got[:len(got)-1]
		case *Subscribe:
			got = fmt.Sprintf("%s snapshot=%v progress=%v", n.View.Name, n.Snapshot, n.Progress)
		case *Copy:
			got = fmt.Sprintf("copy %s snapshot=%v progress=%v", n.Subscribe.View.Name, n.Subscribe.Snapshot, n.Subscribe.Progress)
		}
		if got != c.want {
			t.Errorf("%q: got %s want %s", c.in, got, c.want)
		}
		if ps[0].Tag != map[bool]string{true: "COPY", false: "SUBSCRIBE"}[c.in[0] == 'C'] {
			t.Errorf("%q: tag %s", c.in, ps[0].Tag)
		}
	}
}
