package pgwire

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// testLog collects the server's log lines and echoes them to the test log.
type testLog struct {
	t     testing.TB
	mu    sync.Mutex
	lines []string
}

func (l *testLog) logf(format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, line)
	l.t.Log(line)
}

// contains reports whether some log line contains all the given parts.
func (l *testLog) contains(parts ...string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, line := range l.lines {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(line, p)
		}
		if ok {
			return true
		}
	}
	return false
}

type testServer struct {
	*Server
	eng      *fakeEngine
	log      *testLog
	serveErr chan error
	stopped  bool
}

// startServer starts a server on a free port with a fake engine; it is shut
// down when the test ends.
func startServer(t testing.TB, cfg Config) *testServer {
	t.Helper()
	ts := &testServer{eng: newFakeEngine(), log: &testLog{t: t}, serveErr: make(chan error, 1)}
	cfg.Addr = "127.0.0.1:0"
	cfg.Logf = ts.log.logf
	s, err := Listen(cfg, ts.eng)
	if err != nil {
		t.Fatal(err)
	}
	ts.Server = s
	go func() { ts.serveErr <- s.Serve() }()
	t.Cleanup(func() {
		if !ts.stopped {
			if err := ts.stop(); err != nil {
				t.Error(err)
			}
		}
	})
	return ts
}

// stop shuts the server down and checks that Serve returned nil and every
// opened session was closed.
func (ts *testServer) stop() error {
	ts.stopped = true
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := ts.Shutdown(ctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-ts.serveErr; err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	if opened, closed := ts.eng.sessions(); opened != closed {
		return fmt.Errorf("%d sessions opened, %d closed", opened, closed)
	}
	return nil
}
