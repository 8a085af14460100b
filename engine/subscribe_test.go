package engine

import (
	"fmt"
	"testing"
	"time"
)

// TestSubscribeSnapshotThenChanges subscribes while rows are being
// inserted: the snapshot plus every change received must equal the view
// after FLUSH, with nothing missed or repeated.
func TestSubscribeSnapshotThenChanges(t *testing.T) {
	e, err := Open(Config{DataDir: t.TempDir(), Parallelism: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	s := e.NewSession()
	run(t, s, "CREATE TABLE t (id int PRIMARY KEY, g int)")
	run(t, s, "CREATE MATERIALIZED VIEW v AS SELECT g, count(*) AS n FROM t GROUP BY g")
	done := make(chan struct{})
	go func() {
		defer close(done)
		w := e.NewSession()
		for i := 0; i < 300; i++ {
			run(t, w, fmt.Sprintf("INSERT INTO t VALUES (%d, %d)", i, i%7))
			if i%3 == 0 {
				run(t, w, fmt.Sprintf("DELETE FROM t WHERE id = %d", i/2))
			}
		}
	}()
	run(t, s, "FLUSH") // some rows land before the snapshot, more after
	sub, err := e.Subscribe("v")
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	state := map[string]int64{}
	for _, r := range sub.Snapshot {
		state[fmt.Sprint(r)]++
	}
	<-done
	run(t, s, "FLUSH")
	want := map[string]int64{}
	for _, r := range run(t, s, "SELECT * FROM v") {
		want[fmt.Sprint(r)]++
	}
	followUntil(t, sub, state, want)
	run(t, s, "DROP MATERIALIZED VIEW v")
	for c := range sub.Changes {
		if c.Err != nil {
			return
		}
	}
	t.Fatal("dropping the view did not end the subscription with an error")
}

// followUntil applies a subscription's changes to state until it equals
// want, failing on a retraction of a row state lacks, an ended
// subscription, or a deadline.
func followUntil(t *testing.T, sub *Subscription, state, want map[string]int64) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for !sameCounts(state, want) {
		select {
		case c, ok := <-sub.Changes:
			if !ok || c.Err != nil {
				t.Fatalf("subscription ended: %v", c.Err)
			}
			for _, ch := range c.Changes {
				k := fmt.Sprint(ch.Row)
				state[k] += ch.Diff
				if state[k] < 0 {
					t.Fatalf("change retracts a row the subscriber does not hold: %s", k)
				}
				if state[k] == 0 {
					delete(state, k)
				}
			}
		case <-deadline:
			t.Fatalf("subscriber state %v never reached the view's rows %v", state, want)
		}
	}
}

func sameCounts(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestSubscriptionSurvivesRestarts: an index, a sink and a view reading
// the view restart its dataflow; its subscribers carry on, missing and
// repeating nothing.
func TestSubscriptionSurvivesRestarts(t *testing.T) {
	e, err := Open(Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	s := e.NewSession()
	run(t, s, "CREATE TABLE t (id int PRIMARY KEY, g int)")
	run(t, s, "CREATE MATERIALIZED VIEW v AS SELECT g, count(*) AS n FROM t GROUP BY g")
	run(t, s, "INSERT INTO t VALUES (1, 1), (2, 2)")
	run(t, s, "FLUSH")
	sub, err := e.Subscribe("v")
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	state := map[string]int64{}
	for _, r := range sub.Snapshot {
		state[fmt.Sprint(r)]++
	}
	for i, ddl := range []string{"CREATE INDEX v_n ON v (n)", "CREATE SINK v_out FROM v", "CREATE MATERIALIZED VIEW w AS SELECT n FROM v"} {
		run(t, s, ddl)
		run(t, s, fmt.Sprintf("INSERT INTO t VALUES (%d, %d)", 10+i, i%2+1))
	}
	run(t, s, "FLUSH")
	want := map[string]int64{}
	for _, r := range run(t, s, "SELECT * FROM v") {
		want[fmt.Sprint(r)]++
	}
	followUntil(t, sub, state, want)
}
