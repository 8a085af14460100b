package engine

import (
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/weir-db/weir/types"
)

// relationalViews are views over joins, top-N, unions and subqueries whose
// query the batch engine (separate code) also answers.
var relationalViews = []struct{ name, query string }{
	{"inner_j", "SELECT a.k, a.v, b.w FROM a JOIN b ON a.k = b.k"},
	{"left_j", "SELECT a.id, b.id FROM a LEFT JOIN b ON a.k = b.k AND b.w > a.v"},
	{"right_j", "SELECT a.id, b.id FROM a RIGHT JOIN b ON a.k = b.k"},
	{"full_j", "SELECT a.id, b.id, a.k, b.k FROM a FULL JOIN b ON a.k = b.k"},
	{"agg_j", "SELECT a.k, count(*) AS n, sum(b.w) AS s, max(a.v) AS m FROM a JOIN b ON a.k = b.k GROUP BY a.k"},
	{"top2", "SELECT k, id, v, rn FROM (SELECT *, row_number() OVER (PARTITION BY k ORDER BY v DESC, id) AS rn FROM a) t WHERE rn <= 2"},
	{"ranked", "SELECT k, v, r FROM (SELECT k, v, rank() OVER (PARTITION BY k ORDER BY v) AS r FROM a) t WHERE r <= 2"},
	{"lim", "SELECT id, w FROM b ORDER BY w DESC, id LIMIT 3"},
	{"uni", "SELECT k FROM a UNION SELECT k FROM b"},
	{"uni_all", "SELECT k, v FROM a UNION ALL SELECT k, w FROM b"},
	{"semi", "SELECT id FROM a WHERE k IN (SELECT k FROM b)"},
	{"anti", "SELECT id FROM a WHERE NOT EXISTS (SELECT 1 FROM b WHERE b.k = a.k AND b.w < 3)"},
	{"scalar", "SELECT id, v - (SELECT max(w) FROM b) AS d FROM a WHERE v >= (SELECT avg(w) FROM b)"},
	{"over_agg", "SELECT k, n FROM agg_j WHERE n > 1"},
	{"over_join", "SELECT k, count(*) AS c FROM inner_j GROUP BY k"},
}

// TestRelationalViewsMatchBatch runs random inserts, updates and deletes on
// two tables under views with joins, top-N, unions and subqueries, with
// FLUSH and restarts at random points, for one and for several parallel
// tasks; after a final FLUSH every view must equal the batch engine's
// answer to its query over the tables' contents.
func TestRelationalViewsMatchBatch(t *testing.T) {
	for _, tasks := range []int{1, 3} {
		for seed := int64(0); seed < 3; seed++ {
			t.Run(fmt.Sprintf("tasks=%d/seed=%d", tasks, seed), func(t *testing.T) {
				runRelationalViews(t, rand.New(rand.NewSource(seed)), tasks)
			})
		}
	}
}

func runRelationalViews(t *testing.T, rng *rand.Rand, tasks int) {
	dir := t.TempDir()
	// With several tasks, epochs are also spaced out, so commits gather
	// several statements' changes.
	cfg := Config{DataDir: dir, Parallelism: tasks}
	if tasks > 1 {
		cfg.EpochInterval = 2 * time.Millisecond
	}
	e, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { e.Close() }()
	s := e.NewSession()
	run(t, s, "CREATE TABLE a (id int PRIMARY KEY, k int, v int)")
	run(t, s, "CREATE TABLE b (id int PRIMARY KEY, k int, w int)")
	// Some rows exist before the views: they backfill from the changelog.
	for i := 0; i < 5; i++ {
		run(t, s, fmt.Sprintf("INSERT INTO a VALUES (%d, %d, %d)", i, rng.Intn(4), rng.Intn(6)))
	}
	for _, v := range relationalViews {
		run(t, s, "CREATE MATERIALIZED VIEW "+v.name+" AS "+v.query)
	}
	nullable := func(n int) string {
		if rng.Intn(8) == 0 {
			return "NULL"
		}
		return fmt.Sprint(rng.Intn(n))
	}
	for step := 0; step < 250; step++ {
		table := []string{"a", "b"}[rng.Intn(2)]
		col := map[string]string{"a": "v", "b": "w"}[table]
		id := rng.Intn(12)
		switch rng.Intn(4) {
		case 0, 1:
			runErr(s, fmt.Sprintf("INSERT INTO %s VALUES (%d, %s, %s)", table, id, nullable(4), nullable(6)))
		case 2:
			run(t, s, fmt.Sprintf("UPDATE %s SET %s = %s, k = %s WHERE id = %d", table, col, nullable(6), nullable(4), id))
		case 3:
			run(t, s, fmt.Sprintf("DELETE FROM %s WHERE id = %d", table, id))
		}
		switch rng.Intn(30) {
		case 0:
			run(t, s, "FLUSH")
		case 1:
			// Restart: views resume from their committed epoch.
			if err := e.Close(); err != nil {
				t.Fatal(err)
			}
			if e, err = Open(cfg); err != nil {
				t.Fatal(err)
			}
			s = e.NewSession()
		}
	}
	run(t, s, "FLUSH")
	for _, v := range relationalViews {
		got := multiset(run(t, s, "SELECT * FROM "+v.name))
		want := multiset(run(t, s, v.query))
		if got != want {
			t.Errorf("view %s (%d tasks) differs from its query run as a batch\nview:\n%s\nbatch:\n%s", v.name, tasks, got, want)
		}
	}
}

func multiset(rows [][]types.Datum) string {
	out := make([]string, len(rows))
	for i, r := range rows {
		parts := make([]string, len(r))
		for j, d := range r {
			parts[j] = fmt.Sprint(d)
		}
		out[i] = strings.Join(parts, " ")
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}
