package sqllogictest

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"
)

func TestResultString(t *testing.T) {
	r := Result{Passed: 3, Failed: 1, Skipped: 2}
	if got, want := r.String(), "3 passed, 1 failed, 2 skipped"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestCancel checks that cancelling the run cuts a hung call even without a
// query timeout, and that RunFiles still ends with the totals.
func TestCancel(t *testing.T) {
	server := newFakeServer()
	defer server.release()
	if err := server.define("on SELECT stuck\n  ignore-cancel\non SELECT 1\n  affected: 1"); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "cancel.slt")
	writeFile(t, file, "statement ok\nSELECT 1\n\nstatement ok\nSELECT stuck\n\nstatement ok\nSELECT 1\n")
	ctx, cancel := context.WithCancel(context.Background())
	db := func(ctx context.Context) (DB, error) { return server.open(ctx) }
	go func() {
		// Cancel once the hung call has started.
		for ctx.Err() == nil {
			for _, l := range server.takeLogSnapshot() {
				if l == "conn1 exec: SELECT stuck" {
					cancel()
					return
				}
			}
			time.Sleep(time.Millisecond)
		}
	}()
	var out bytes.Buffer
	res, err := RunFiles(ctx, db, []string{file}, Options{Out: &out})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got error %v, want context.Canceled", err)
	}
	if res != (Result{Passed: 1}) {
		t.Fatalf("got %s, want 1 passed", res)
	}
	if got := out.String(); !bytes.HasSuffix([]byte(got), []byte("\n1 passed, 0 failed, 0 skipped\n")) {
		t.Fatalf("report does not end with the totals:\n%s", got)
	}
}

// TestTimeoutClosesAbandonedConnection checks that a connection cut by the
// timeout is closed once its call returns, and the others at the end.
func TestTimeoutClosesAbandonedConnection(t *testing.T) {
	server := newFakeServer()
	if err := server.define("on SELECT stuck\n  ignore-cancel\non SELECT 1\n  affected: 1"); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "timeout.slt")
	writeFile(t, file, "statement ok\nSELECT stuck\n\nstatement ok\nSELECT 1\n")
	res, err := RunFile(context.Background(), server.open, file, Options{QueryTimeout: 50 * time.Millisecond})
	if err != nil || res != (Result{Passed: 1, Failed: 1}) {
		t.Fatalf("got %s, %v; want 1 passed, 1 failed", res, err)
	}
	if got := server.closeCount(); got != 1 {
		t.Fatalf("%d connections closed before the hung call returned, want 1", got)
	}
	server.release()
	deadline := time.Now().Add(10 * time.Second)
	for server.closeCount() != 2 {
		if time.Now().After(deadline) {
			t.Fatal("abandoned connection was not closed after its call returned")
		}
		time.Sleep(time.Millisecond)
	}
}
