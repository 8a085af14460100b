package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// These tests run the real binary as a user would: start it on a free
// port, talk to it with a PostgreSQL client, restart it, kill it.

func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "weir")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

type server struct {
	cmd  *exec.Cmd
	addr string
	logs *strings.Builder
}

func startServer(t *testing.T, bin, dir, addr string) *server {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--data-dir", dir, "--pg-listen", addr)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, addr: addr, logs: &strings.Builder{}}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		once := false
		for sc.Scan() {
			s.logs.WriteString(sc.Text() + "\n")
			if !once && strings.Contains(sc.Text(), "listening") {
				once = true
				close(ready)
			}
		}
	}()
	select {
	case <-ready:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("server did not start:\n%s", s.logs.String())
	}
	return s
}

func (s *server) connect(t *testing.T) *pgconn.PgConn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgconn.Connect(ctx, fmt.Sprintf("postgres://weir@%s/weir?sslmode=disable", s.addr))
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	return c
}

// query runs sql and returns its rows as text joined by spaces.
func query(t *testing.T, c *pgconn.PgConn, sql string) []string {
	t.Helper()
	results, err := c.Exec(context.Background(), sql).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	var out []string
	for _, r := range results {
		if r.Err != nil {
			t.Fatalf("%s: %v", sql, r.Err)
		}
		for _, row := range r.Rows {
			var vals []string
			for _, v := range row {
				if v == nil {
					vals = append(vals, "NULL")
				} else {
					vals = append(vals, string(v))
				}
			}
			out = append(out, strings.Join(vals, " "))
		}
	}
	return out
}

func expectRows(t *testing.T, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestServeRestartAndKill(t *testing.T) {
	bin := buildBinary(t)
	dir := filepath.Join(t.TempDir(), "data")
	addr := freeAddr(t)
	s := startServer(t, bin, dir, addr)
	c := s.connect(t)
	query(t, c, `CREATE STREAM clicks (user_id text, amount bigint, ts timestamp, WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) WITH (partitions = 2, idle_timeout_ms = 3600000);
		CREATE TABLE users (id text PRIMARY KEY, name text);
		CREATE MATERIALIZED VIEW per10 AS SELECT window_start, user_id, count(*), sum(amount) FROM TUMBLE(clicks, ts, INTERVAL '10' SECOND) GROUP BY window_start, user_id;
		CREATE MATERIALIZED VIEW names AS SELECT name, count(*) FROM users GROUP BY name;
		INSERT INTO clicks VALUES ('a', 1, '2024-01-01 00:00:01'), ('a', 2, '2024-01-01 00:00:02'), ('b', 3, '2024-01-01 00:00:15');
		INSERT INTO users VALUES ('a', 'ann'), ('b', 'bob');
		FLUSH`)
	expectRows(t, query(t, c, "SELECT * FROM per10 ORDER BY 1, 2"),
		"2024-01-01 00:00:00 a 2 3", "2024-01-01 00:00:10 b 1 3")

	// A bad statement is an error with a SQLSTATE; the session stays up.
	_, err := c.Exec(context.Background(), "SELECT * FROM missing").ReadAll()
	if pe, ok := err.(*pgconn.PgError); !ok || pe.Code != "42P01" {
		t.Fatalf("want 42P01, got %v", err)
	}
	c.Close(context.Background())

	// Clean restart.
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Wait(); err != nil {
		t.Fatalf("server exited with %v after SIGTERM:\n%s", err, s.logs.String())
	}
	s = startServer(t, bin, dir, addr)
	c = s.connect(t)
	expectRows(t, query(t, c, "SELECT * FROM per10 ORDER BY 1, 2"),
		"2024-01-01 00:00:00 a 2 3", "2024-01-01 00:00:10 b 1 3")
	query(t, c, "INSERT INTO clicks VALUES ('a', 10, '2024-01-01 00:00:03'); UPDATE users SET name = 'ann' WHERE id = 'b'; FLUSH")
	expectRows(t, query(t, c, "SELECT * FROM per10 ORDER BY 1, 2"),
		"2024-01-01 00:00:00 a 3 13", "2024-01-01 00:00:10 b 1 3")
	expectRows(t, query(t, c, "SELECT * FROM names"), "ann 2")
	c.Close(context.Background())

	// kill -9: acknowledged writes survive and views catch up.
	s.cmd.Process.Kill()
	s.cmd.Wait()
	s = startServer(t, bin, dir, addr)
	c = s.connect(t)
	query(t, c, "INSERT INTO clicks VALUES ('c', 5, '2024-01-01 00:00:04')")
	s.cmd.Process.Kill()
	s.cmd.Wait()
	s = startServer(t, bin, dir, addr)
	c = s.connect(t)
	query(t, c, "FLUSH")
	expectRows(t, query(t, c, "SELECT * FROM per10 ORDER BY 1, 2"),
		"2024-01-01 00:00:00 a 3 13", "2024-01-01 00:00:00 c 1 5", "2024-01-01 00:00:10 b 1 3")
	expectRows(t, query(t, c, "SELECT count(*) FROM clicks"), "5")
	expectRows(t, query(t, c, "SELECT * FROM users ORDER BY id"), "a ann", "b ann")
	c.Close(context.Background())
	s.cmd.Process.Signal(syscall.SIGINT)
	if err := s.cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGINT: %v", err)
	}
}

func TestRefusesToStart(t *testing.T) {
	bin := buildBinary(t)
	// Port taken.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	out, err := exec.Command(bin, "serve", "--data-dir", t.TempDir(), "--pg-listen", l.Addr().String()).CombinedOutput()
	if err == nil || !strings.Contains(string(out), l.Addr().String()) {
		t.Fatalf("want a failure naming the taken address, got %v:\n%s", err, out)
	}
	// Data dir is a file.
	f := filepath.Join(t.TempDir(), "file")
	os.WriteFile(f, []byte("x"), 0o644)
	out, err = exec.Command(bin, "serve", "--data-dir", f, "--pg-listen", freeAddr(t)).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "data directory") {
		t.Fatalf("want a data directory error, got %v:\n%s", err, out)
	}
	// Data dir in use by another server.
	dir := t.TempDir()
	s := startServer(t, bin, dir, freeAddr(t))
	defer func() { s.cmd.Process.Kill(); s.cmd.Wait() }()
	out, err = exec.Command(bin, "serve", "--data-dir", dir, "--pg-listen", freeAddr(t)).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "in use") {
		t.Fatalf("want an in-use error, got %v:\n%s", err, out)
	}
}

func TestPsqlSession(t *testing.T) {
	psql, err := exec.LookPath("psql")
	if err != nil {
		t.Skip("psql not installed")
	}
	bin := buildBinary(t)
	s := startServer(t, bin, t.TempDir(), freeAddr(t))
	defer func() { s.cmd.Process.Kill(); s.cmd.Wait() }()
	host, port, _ := net.SplitHostPort(s.addr)
	cmd := exec.Command(psql, "-X", "-h", host, "-p", port, "-U", "weir", "-d", "weir", "-v", "ON_ERROR_STOP=0")
	cmd.Stdin = strings.NewReader(`CREATE TABLE t (id int PRIMARY KEY, v text);
INSERT INTO t VALUES (1, 'one'), (2, NULL);
SELECT * FROM t ORDER BY id;
SELECT nope FROM t;
`)
	out, _ := cmd.CombinedOutput()
	want := []string{"CREATE TABLE", "INSERT 0 2", " id |  v  ", "  1 | one", "  2 | ", "(2 rows)",
		`ERROR:  column "nope" does not exist`, "LINE 1: SELECT nope FROM t;", "               ^"}
	for _, w := range want {
		if !strings.Contains(string(out), w) {
			t.Errorf("psql output lacks %q:\n%s", w, out)
		}
	}
}
