package main

import (
	"bufio"
	"context"
	"errors"
	"net"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// subscribeFixture starts the binary with a table t and a view v over it
// holding one row, (a, 1).
func subscribeFixture(t *testing.T) (*server, *pgconn.PgConn) {
	t.Helper()
	bin := buildBinary(t)
	s := startServer(t, bin, t.TempDir(), freeAddr(t))
	t.Cleanup(func() { s.cmd.Process.Kill(); s.cmd.Wait() })
	w := s.connect(t)
	t.Cleanup(func() { w.Close(context.Background()) })
	query(t, w, "CREATE TABLE t (id int PRIMARY KEY, g text)")
	query(t, w, "CREATE MATERIALIZED VIEW v AS SELECT g, count(*) AS n FROM t GROUP BY g")
	query(t, w, "INSERT INTO t VALUES (1, 'a')")
	query(t, w, "FLUSH")
	return s, w
}

// TestSubscribePsqlCopy runs psql -c "COPY (SUBSCRIBE v) TO STDOUT" and
// reads its output live while another connection writes: each commit's
// lines arrive as it happens. psql's Ctrl-C (SIGINT: a CancelRequest) ends
// it with 57014, and the server serves on.
func TestSubscribePsqlCopy(t *testing.T) {
	psql, err := exec.LookPath("psql")
	if err != nil {
		t.Skip("psql not installed")
	}
	stdbuf, err := exec.LookPath("stdbuf")
	if err != nil {
		t.Skip("stdbuf not installed (psql buffers its output to a pipe)")
	}
	s, w := subscribeFixture(t)
	host, port, _ := net.SplitHostPort(s.addr)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, stdbuf, "-oL", psql, "-X", "-h", host, "-p", port, "-U", "weir", "-d", "weir",
		"-c", "COPY (SUBSCRIBE v) TO STDOUT")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 16)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	var last int64
	next := func(want string) {
		t.Helper()
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("psql ended; stderr:\n%s", stderr.String())
			}
			ts, rest, _ := strings.Cut(l, "\t")
			var at int64
			for _, c := range ts {
				at = at*10 + int64(c-'0')
			}
			if len(ts) != 16 || at < last {
				t.Fatalf("line %q: weir_timestamp is not a later time in µs", l)
			}
			last = at
			if rest != want {
				t.Fatalf("line %q, want <timestamp>\t%s", l, want)
			}
		case <-ctx.Done():
			t.Fatalf("no line %q from psql; stderr:\n%s", want, stderr.String())
		}
	}
	next("1\ta\t1")
	query(t, w, "INSERT INTO t VALUES (2, 'b')")
	next("1\tb\t1")
	query(t, w, "INSERT INTO t VALUES (3, 'a')")
	next("-1\ta\t1")
	next("1\ta\t2")
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	if !strings.Contains(stderr.String(), "canceling statement due to user request") {
		t.Fatalf("psql after SIGINT: %v; stderr:\n%s", err, stderr.String())
	}
	expectRows(t, query(t, w, "SELECT g, n FROM v ORDER BY g"), "a 2", "b 1")
}

// TestSubscribePgxCancel reads a few rows of a plain SUBSCRIBE with pgx,
// over the simple and the extended protocol, then cancels it: the
// statement fails with 57014 and the connection stays usable.
func TestSubscribePgxCancel(t *testing.T) {
	s, w := subscribeFixture(t)
	c := s.connect(t)
	defer c.Close(context.Background())
	var mrr *pgconn.MultiResultReader
	for i, run := range []func() *pgconn.ResultReader{
		func() *pgconn.ResultReader {
			mrr = c.Exec(context.Background(), "SUBSCRIBE v")
			if !mrr.NextResult() {
				t.Fatalf("no result: %v", mrr.Close())
			}
			return mrr.ResultReader()
		},
		func() *pgconn.ResultReader {
			return c.ExecParams(context.Background(), "SUBSCRIBE TO v WITH (snapshot = false)", nil, nil, nil, nil)
		},
	} {
		rr := run()
		if got := string(rr.FieldDescriptions()[1].Name); got != "weir_diff" {
			t.Fatalf("second column %q", got)
		}
		row := func() string {
			t.Helper()
			done := make(chan bool)
			go func() { done <- rr.NextRow() }()
			select {
			case ok := <-done:
				if !ok {
					_, err := rr.Close()
					t.Fatalf("subscription ended: %v", err)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("no row within 20s")
			}
			v := rr.Values()
			return string(v[1]) + " " + string(v[2]) + " " + string(v[3])
		}
		if i == 0 {
			if got := row(); got != "1 a 1" {
				t.Fatalf("snapshot row %q", got)
			}
		}
		g := []string{"c", "d"}[i]
		query(t, w, "INSERT INTO t VALUES ("+[]string{"10", "11"}[i]+", '"+g+"')")
		if got := row(); got != "1 "+g+" 1" {
			t.Fatalf("change row %q", got)
		}
		if err := c.CancelRequest(context.Background()); err != nil {
			t.Fatal(err)
		}
		for rr.NextRow() {
		}
		_, err := rr.Close()
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "57014" {
			t.Fatalf("after cancel: %v, want 57014", err)
		}
		if i == 0 {
			_ = mrr.Close() // the 57014 again
		}
	}
	expectRows(t, query(t, c, "SELECT count(*) FROM v"), "3")
}
