package engine

import (
	"fmt"
	"math/rand"
	"testing"
	"time"
)

// TestHopSlicesOnlyForNewViews checks that a HOP aggregation created
// before slices existed keeps its plan across a restart: slices spread
// rows over tasks by other keys, so fusing an older view would send
// groups to tasks that do not hold their state. The older view and a new
// one (fused) must both equal the query run ad hoc, over rows inserted
// before and after the restart, on three tasks.
func TestHopSlicesOnlyForNewViews(t *testing.T) {
	const q = "SELECT k, window_start, window_end, count(*) AS n, sum(x) AS s FROM HOP(s, ts, INTERVAL '2' SECOND, INTERVAL '6' SECOND) GROUP BY k, window_start, window_end"
	dir := t.TempDir()
	rng := rand.New(rand.NewSource(1))
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	insert := func(s *Session, n int) {
		for i := 0; i < n; i++ {
			ts := base.Add(time.Duration(rng.Intn(40000)) * time.Millisecond).Format("2006-01-02 15:04:05.000")
			run(t, s, fmt.Sprintf("INSERT INTO s VALUES (%d, %d, '%s')", rng.Intn(30), rng.Intn(100), ts))
		}
		run(t, s, "FLUSH")
	}
	e, err := Open(Config{DataDir: dir, Parallelism: 3, unsliced: true})
	if err != nil {
		t.Fatal(err)
	}
	s := e.NewSession()
	run(t, s, "CREATE STREAM s (k int, x int, ts timestamp)")
	run(t, s, "CREATE MATERIALIZED VIEW older AS "+q)
	insert(s, 300)
	s.Close()
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}

	e, err = Open(Config{DataDir: dir, Parallelism: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	s = e.NewSession()
	defer s.Close()
	run(t, s, "CREATE MATERIALIZED VIEW newer AS "+q)
	insert(s, 300)
	ops := func(view string) string {
		return fmt.Sprint(run(t, s, "SELECT operator FROM weir_catalog.view_operators WHERE view_name = '"+view+"' ORDER BY operator_id"))
	}
	if got := ops("older"); got != "[[Hop] [HashAgg] [Materialize]]" {
		t.Errorf("the older view runs %s, want HOP then its aggregation", got)
	}
	if got := ops("newer"); got != "[[HashAgg] [Materialize]]" {
		t.Errorf("the new view runs %s, want the aggregation over slices", got)
	}
	want := multiset(run(t, s, q))
	for _, v := range []string{"older", "newer"} {
		if got := multiset(run(t, s, "SELECT * FROM "+v)); got != want {
			t.Errorf("%s differs from the query run ad hoc\ngot:\n%s\nwant:\n%s", v, got, want)
		}
	}
}
