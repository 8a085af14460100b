package planner

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/weir-db/weir/sql"
	"github.com/weir-db/weir/types"
)

type cat map[string]*sql.Relation

func (c cat) Relation(n string) (*sql.Relation, bool) { r, ok := c[n]; return r, ok }

var testCat = cat{
	"s": {Name: "s", Kind: sql.RelStream, WatermarkCol: 2, Columns: []sql.Column{
		{Name: "k", Type: types.TText}, {Name: "x", Type: types.TInt8}, {Name: "ts", Type: types.TTimestamp}, {Name: "other_ts", Type: types.TTimestamp}}},
	"nowm": {Name: "nowm", Kind: sql.RelStream, WatermarkCol: -1, Columns: []sql.Column{{Name: "ts", Type: types.TTimestamp}}},
	"t": {Name: "t", Kind: sql.RelTable, PrimaryKey: []int{0}, WatermarkCol: -1, Columns: []sql.Column{
		{Name: "id", Type: types.TInt4}, {Name: "v", Type: types.TInt8}, {Name: "ts", Type: types.TTimestamp}}},
	"mv": {Name: "mv", Kind: sql.RelMaterializedView, Columns: []sql.Column{{Name: "n", Type: types.TInt8}}},
}

func planView(t *testing.T, text string) (*Plan, error) {
	t.Helper()
	ps, err := sql.Parse(text)
	if err != nil {
		return nil, err
	}
	st, err := sql.Bind(ps[0], testCat)
	if err != nil {
		return nil, err
	}
	cv := st.(*sql.CreateView)
	return PlanView(cv.Query, cv.Emit)
}

// TestPlanScripts runs testdata/plan: each "plan" prints a view's EXPLAIN
// or its error with the SQLSTATE; "plan fused" plans as CREATE does
// now, with every fusion (Fuse).
func TestPlanScripts(t *testing.T) {
	datadriven.RunTest(t, "testdata/plan", func(t *testing.T, d *datadriven.TestData) string {
		if d.Cmd != "plan" {
			t.Fatalf("unknown command %s", d.Cmd)
		}
		p, err := planView(t, d.Input)
		if err != nil {
			var te *types.Error
			if errors.As(err, &te) {
				return fmt.Sprintf("error %s: %s\n", te.Code, te.Message)
			}
			return "error: " + err.Error() + "\n"
		}
		if d.HasArg("fused") {
			Fuse(p, AllFusions)
		}
		out := p.Explain() + "\n"
		if p.Late != nil {
			var cols []string
			for _, c := range p.Late.Cols {
				cols = append(cols, c.Name+" "+c.Type.String())
			}
			out += fmt.Sprintf("late rows into %s (%s) from input columns %v\n", p.Late.Into, strings.Join(cols, ", "), p.Late.Row)
		}
		for _, s := range p.Steps {
			if ss, ok := s.(*SessionStep); ok {
				out += fmt.Sprintf("session keys %v\n", ss.Keys)
			}
		}
		return out
	})
}

func TestPlanWindowColumnThroughSubquery(t *testing.T) {
	p, err := planView(t, "CREATE MATERIALIZED VIEW v AS SELECT ws, count(*) FROM (SELECT window_end AS ws, k FROM TUMBLE(s, ts, INTERVAL '5' SECOND)) q GROUP BY ws EMIT ON WINDOW CLOSE")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range p.Steps {
		if a, ok := s.(*AggStep); ok {
			if a.WindowGroup != 0 || a.WindowEndDelta != 0 || !a.EmitOnClose {
				t.Fatalf("window_end through a subquery: %+v", a)
			}
			return
		}
	}
	t.Fatal("no aggregation planned")
}

func TestSessionKeys(t *testing.T) {
	ps, err := sql.Parse("SELECT window_start, k, count(*) FROM (SELECT k AS k, x, window_start, window_end FROM SESSION(s, ts, INTERVAL '1' MINUTE) WHERE x > 0) q GROUP BY window_start, k")
	if err != nil {
		t.Fatal(err)
	}
	st, err := sql.Bind(ps[0], testCat)
	if err != nil {
		t.Fatal(err)
	}
	var agg *sql.Aggregate
	var find func(r sql.Rel)
	find = func(r sql.Rel) {
		switch n := r.(type) {
		case *sql.Aggregate:
			agg = n
		case *sql.Project:
			find(n.Input)
		case *sql.Filter:
			find(n.Input)
		case *sql.Sort:
			find(n.Input)
		}
	}
	find(st.(*sql.Select).Query.Rel)
	if agg == nil {
		t.Fatal("no aggregation")
	}
	w, keys, kts, err := SessionKeys(agg)
	if err != nil || w == nil || len(keys) != 1 || keys[0] != 0 || kts[0] != types.TText {
		t.Fatalf("got %v %v %v %v", w, keys, kts, err)
	}
}
