package main

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// chaosServer is one run of the real binary that the chaos test kills.
// Unlike startServer it does not wait for the "listening" line: the test
// times the restart by polling with queries, as a client would.
type chaosServer struct {
	cmd     *exec.Cmd
	addr    string
	started time.Time
	done    chan struct{} // closed once the process is reaped
	waitErr error         // the process's exit, once done is closed

	mu   sync.Mutex
	logs strings.Builder
}

func startChaosServer(t *testing.T, bin, dir, addr string) *chaosServer {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--data-dir", dir, "--pg-listen", addr, "--parallelism", "2")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &chaosServer{cmd: cmd, addr: addr, done: make(chan struct{})}
	s.started = time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(s.done)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			s.mu.Lock()
			s.logs.WriteString(sc.Text() + "\n")
			s.mu.Unlock()
		}
		s.waitErr = cmd.Wait() // after the last read of the pipe, as exec requires
	}()
	return s
}

func (s *chaosServer) log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logs.String()
}

// kill sends SIGKILL and waits until the process is reaped.
func (s *chaosServer) kill() {
	s.cmd.Process.Kill()
	<-s.done
}

// exited reports whether the process has died (on its own, unless kill ran).
func (s *chaosServer) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// waitFor polls sql on fresh connections until it succeeds and returns the
// time since the process started; it fails the test after timeout.
func (s *chaosServer) waitFor(t *testing.T, sql string, timeout time.Duration) time.Duration {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		if s.exited() {
			t.Fatalf("server exited (%v) before %q succeeded:\n%s", s.waitErr, sql, s.log())
		}
		if err := tryQuery(s.addr, sql); err == nil {
			return time.Since(s.started)
		} else {
			last = err
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("%q did not succeed within %v after start: %v\nserver log:\n%s", sql, timeout, last, s.log())
	return 0
}

func tryQuery(addr, sql string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := pgconn.Connect(ctx, fmt.Sprintf("postgres://weir@%s/weir?sslmode=disable&connect_timeout=5", addr))
	if err != nil {
		return err
	}
	defer c.Close(context.Background())
	_, err = c.Exec(ctx, sql).ReadAll()
	return err
}

// durationStats summarizes durations as p50/p99/max.
func durationStats(ds []time.Duration) string {
	if len(ds) == 0 {
		return "none"
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	q := func(p float64) time.Duration {
		i := int(p*float64(len(s))+0.5) - 1
		return s[max(0, min(i, len(s)-1))]
	}
	r := func(d time.Duration) time.Duration { return d.Round(time.Millisecond) }
	return fmt.Sprintf("n=%d p50=%v p99=%v max=%v", len(s), r(q(0.50)), r(q(0.99)), r(s[len(s)-1]))
}
