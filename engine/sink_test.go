package engine

import (
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"testing"
)

// TestSinkReplaysToTheView changes a table under an aggregate view with a
// debezium sink, restarting the engine at random points; replaying the
// sink's stream (c/u/d per key) must give exactly the view's rows: every
// change written once, none lost or repeated.
func TestSinkReplaysToTheView(t *testing.T) {
	for seed := int64(0); seed < 3; seed++ {
		rng := rand.New(rand.NewSource(seed))
		dir := t.TempDir()
		cfg := Config{DataDir: dir, Parallelism: 1 + int(seed%2)}
		e, err := Open(cfg)
		if err != nil {
			t.Fatal(err)
		}
		s := e.NewSession()
		run(t, s, "CREATE TABLE t (id int PRIMARY KEY, g int, v int)")
		run(t, s, "CREATE MATERIALIZED VIEW agg AS SELECT g, count(*) AS n, sum(v) AS total FROM t GROUP BY g")
		run(t, s, "CREATE SINK cdc FROM agg")
		for step := 0; step < 150; step++ {
			id := rng.Intn(20)
			switch rng.Intn(3) {
			case 0:
				runErr(s, fmt.Sprintf("INSERT INTO t VALUES (%d, %d, %d)", id, rng.Intn(4), rng.Intn(9)))
			case 1:
				run(t, s, fmt.Sprintf("UPDATE t SET v = %d, g = %d WHERE id = %d", rng.Intn(9), rng.Intn(4), id))
			case 2:
				run(t, s, fmt.Sprintf("DELETE FROM t WHERE id = %d", id))
			}
			if rng.Intn(25) == 0 {
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
		replayed := map[string]string{} // key → row JSON
		for _, r := range run(t, s, "SELECT op, before, after FROM cdc") {
			op := r[0].(string)
			key := func(j any) string { return strings.SplitN(j.(string), ",", 2)[0] }
			switch op {
			case "c":
				if _, dup := replayed[key(r[2])]; dup {
					t.Fatalf("seed %d: create of a key already present: %v", seed, r)
				}
				replayed[key(r[2])] = r[2].(string)
			case "u":
				if replayed[key(r[1])] != r[1].(string) {
					t.Fatalf("seed %d: update's before %v is not the key's row %q", seed, r[1], replayed[key(r[1])])
				}
				replayed[key(r[2])] = r[2].(string)
			case "d":
				if replayed[key(r[1])] != r[1].(string) {
					t.Fatalf("seed %d: delete's before %v is not the key's row %q", seed, r[1], replayed[key(r[1])])
				}
				delete(replayed, key(r[1]))
			}
		}
		var got, want []string
		for _, v := range replayed {
			got = append(got, v)
		}
		for _, r := range run(t, s, "SELECT g, n, total FROM agg") {
			want = append(want, fmt.Sprintf(`{"g": %v, "n": %v, "total": %v}`, r[0], r[1], r[2]))
		}
		sort.Strings(got)
		sort.Strings(want)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("seed %d: replaying the sink gives\n%s\nbut the view holds\n%s", seed, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		e.Close()
	}
}
