package exec

import (
	"fmt"
	"testing"

	"github.com/weir-db/weir/types"
)

func TestRecordText(t *testing.T) {
	for _, c := range []struct{ field, want string }{
		{"7", "(7,x)"}, {"", `("",x)`}, {"a b", `("a b",x)`}, {`q"u\o,te`, `("q""u\\o,te",x)`},
	} {
		rec := "(" + recordFieldText(c.field) + ",x)"
		if rec != c.want {
			t.Errorf("%q: record %s, want %s", c.field, rec, c.want)
		}
		fields, err := parseRecordText(rec)
		if err != nil || len(fields) != 2 || fields[0] == nil || *fields[0] != c.field || *fields[1] != "x" {
			t.Errorf("%s: parsed %v %v", rec, fields, err)
		}
	}
	fields, err := parseRecordText("(,1)")
	if err != nil || len(fields) != 2 || fields[0] != nil {
		t.Errorf("(,1): %v %v", fields, err)
	}
	if _, err := parseRecordText("1,2"); err == nil {
		t.Error("a record without parentheses parsed")
	}
}

func TestBatchProjectSetPads(t *testing.T) {
	in := &BatchSource{Fn: func() ([][]types.Datum, error) {
		return [][]types.Datum{{"{a,b,c}"}, {"{}"}, {nil}}, nil
	}}
	col := &ColRef{Idx: 0, T: types.TText}
	p := &BatchProjectSet{Input: in, Funcs: []*SetFunc{
		{Name: "unnest", Args: []Expr{col}, T: types.TText},
		{Name: "generate_series", Args: []Expr{&Const{V: int64(1), T: types.TInt8}, &Const{V: int64(2), T: types.TInt8}}, T: types.TInt4},
		{Name: "_pg_expandarray", Args: []Expr{col}, T: types.TText},
	}}
	rows, err := p.Rows()
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(rows)
	want := "[[{a,b,c} a 1 (a,1)] [{a,b,c} b 2 (b,2)] [{a,b,c} c <nil> (c,3)] [{} <nil> 1 <nil>] [{} <nil> 2 <nil>] [<nil> <nil> 1 <nil>] [<nil> <nil> 2 <nil>]]"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
