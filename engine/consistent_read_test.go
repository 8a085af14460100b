package engine

import (
	"fmt"
	"testing"
)

// TestViewsAgreeWithinAQuery reads two views over the same stream in one
// query while rows keep arriving: the count one view aggregates must
// always equal the rows the other holds, since the query's snapshot is
// taken only once both have applied the same prefix of the stream.
func TestViewsAgreeWithinAQuery(t *testing.T) {
	e, err := Open(Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	s := e.NewSession()
	run(t, s, "CREATE STREAM s (k int, x int)")
	run(t, s, "CREATE MATERIALIZED VIEW counts AS SELECT k, count(*) AS n FROM s GROUP BY k")
	run(t, s, "CREATE MATERIALIZED VIEW rows_of AS SELECT k, x FROM s WHERE x >= 0")
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		w := e.NewSession()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			vals := ""
			for j := 0; j < 20; j++ {
				if j > 0 {
					vals += ", "
				}
				vals += fmt.Sprintf("(%d, %d)", (i+j)%5, i)
			}
			if err := runErr(w, "INSERT INTO s VALUES "+vals); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	defer func() { close(stop); <-done }()
	seen := false
	for q := 0; q < 60 || !seen; q++ {
		got := run(t, s, "SELECT (SELECT coalesce(sum(n), 0) FROM counts), (SELECT count(*) FROM rows_of)")
		if fmt.Sprint(got[0][0]) != fmt.Sprint(got[0][1]) {
			t.Fatalf("query %d saw the views disagree: counts sum to %v, rows_of holds %v", q, got[0][0], got[0][1])
		}
		seen = seen || fmt.Sprint(got[0][1]) != "0"
	}
}
