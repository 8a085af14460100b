package planner

import (
	"strings"
	"testing"

	"github.com/weir-db/weir/sql"
	"github.com/weir-db/weir/types"
)

type cat map[string]*sql.Relation

func (c cat) Relation(n string) (*sql.Relation, bool) { r, ok := c[n]; return r, ok }

var testCat = cat{
	"s": {Name: "s", Kind: sql.RelStream, WatermarkCol: 2, Columns: []sql.Column{
		{Name: "k", Type: types.TText}, {Name: "x", Type: types.TInt8}, {Name: "ts", Type: types.TTimestamp}}},
	"nowm": {Name: "nowm", Kind: sql.RelStream, WatermarkCol: -1, Columns: []sql.Column{{Name: "ts", Type: types.TTimestamp}}},
	"t":    {Name: "t", Kind: sql.RelTable, Columns: []sql.Column{{Name: "id", Type: types.TInt4}, {Name: "v", Type: types.TInt8}}},
	"mv":   {Name: "mv", Kind: sql.RelMaterializedView, Columns: []sql.Column{{Name: "n", Type: types.TInt8}}},
}

func planView(t *testing.T, text string) (*Plan, error) {
	t.Helper()
	ps, err := sql.Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	st, err := sql.Bind(ps[0], testCat)
	if err != nil {
		t.Fatal(err)
	}
	cv := st.(*sql.CreateView)
	return PlanView(cv.Query, cv.Emit)
}

func TestPlanViews(t *testing.T) {
	for _, c := range []struct{ sql, want string }{
		{"CREATE MATERIALIZED VIEW v AS SELECT window_start, k, count(*) FROM TUMBLE(s, ts, INTERVAL '10' SECOND) GROUP BY window_start, k EMIT ON WINDOW CLOSE",
			"Output: append-only\n-> HashAgg (2 groups, 1 aggregates, emit on window close)\n  -> Tumble (size 10000000us, offset 0us)\n    -> Scan stream s"},
		{"CREATE MATERIALIZED VIEW v AS SELECT k, x FROM s WHERE x > 1",
			"Output: append-only\n-> Project (2 columns)\n  -> Filter\n    -> Scan stream s"},
		{"CREATE MATERIALIZED VIEW v AS SELECT v, count(*) FROM t GROUP BY v",
			"Output: retracting\n-> HashAgg (1 groups, 1 aggregates, emit on update)\n  -> Scan table t"},
	} {
		p, err := planView(t, c.sql)
		if err != nil {
			t.Errorf("%s: %v", c.sql, err)
			continue
		}
		if got := p.Explain(); got != c.want {
			t.Errorf("%s:\ngot:\n%s\nwant:\n%s", c.sql, got, c.want)
		}
	}
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

func TestPlanRejects(t *testing.T) {
	for _, c := range []struct{ sql, want string }{
		{"CREATE MATERIALIZED VIEW v AS SELECT k, count(*) FROM s GROUP BY k EMIT ON WINDOW CLOSE", "requires an aggregation grouped by window_start"},
		{"CREATE MATERIALIZED VIEW v AS SELECT window_start, count(*) FROM TUMBLE(nowm, ts, INTERVAL '1' SECOND) GROUP BY window_start EMIT ON WINDOW CLOSE", "requires a source with a WATERMARK"},
		{"CREATE MATERIALIZED VIEW v AS SELECT k FROM s ORDER BY k", "ORDER BY without LIMIT"},
		{"CREATE MATERIALIZED VIEW v AS SELECT n FROM mv", "over materialized views"},
	} {
		_, err := planView(t, c.sql)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.sql, err, c.want)
		}
	}
}
