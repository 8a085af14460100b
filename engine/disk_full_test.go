package engine

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weir-db/weir/storage/state"
)

// TestViewWaitsOutAFullDisk: while the disk is full a view's epochs fail
// before touching its state, so it keeps its last commit; once space
// returns it catches up, and every row is applied exactly once.
func TestViewWaitsOutAFullDisk(t *testing.T) {
	var free atomic.Int64
	free.Store(1 << 40)
	e, err := Open(Config{DataDir: t.TempDir(), FreeBytes: func(string) (int64, error) { return free.Load(), nil }})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	s := e.NewSession()
	run(t, s, "CREATE STREAM s (k int)")
	run(t, s, "CREATE MATERIALIZED VIEW c AS SELECT count(*) AS n FROM s")
	run(t, s, "INSERT INTO s VALUES (1), (2)")
	run(t, s, "FLUSH")

	free.Store(state.DefaultReserveBytes / 2) // the disk fills up
	for i := 0; i < 5; i++ {
		run(t, s, fmt.Sprintf("INSERT INTO s VALUES (%d)", i))
	}
	// FLUSH cannot finish while commits are refused.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	err = runCtx(ctx, s, "FLUSH")
	cancel()
	if err == nil {
		t.Fatal("FLUSH finished although the view could not commit")
	}
	if got := run(t, s, "SELECT n FROM c"); fmt.Sprint(got) != "[[2]]" {
		t.Fatalf("with the disk full the view shows %v, want its last commit [[2]]", got)
	}
	if err := runErr(s, "CREATE TABLE t (id int PRIMARY KEY)"); err == nil || !strings.Contains(err.Error(), "free disk space") {
		t.Fatalf("DDL on a full disk: got %v, want a disk-full error", err)
	}

	free.Store(1 << 40) // space returns
	run(t, s, "FLUSH")
	if got := run(t, s, "SELECT n FROM c"); fmt.Sprint(got) != "[[7]]" {
		t.Fatalf("after space returned the view shows %v, want [[7]]", got)
	}
}

func runCtx(ctx context.Context, s *Session, sql string) error {
	return s.Execute(ctx, sql, &rowsWriter{})
}
