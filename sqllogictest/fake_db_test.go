package sqllogictest

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// fakeResponse is one canned answer of the fake database.
type fakeResponse struct {
	columns  []string
	rows     [][]*string
	affected int64
	err      string
	// hang blocks the call until its context ends; ignoreCancel blocks it
	// until the test ends, like a server that never answers.
	hang, ignoreCancel bool
}

// fakeServer is an in-memory stand-in for a database: a map from SQL
// (whitespace-normalized) to canned responses. Several responses for one SQL
// are served in order, the last one repeating. Every connection and call is
// logged.
type fakeServer struct {
	mu         sync.Mutex
	responses  map[string][]fakeResponse
	served     map[string]int
	defaultOK  bool
	failOpen   string
	log        []string
	conns      int
	closes     int
	unblock    chan struct{} // closed when the test ends, releasing ignoreCancel calls
	unblockOne sync.Once
}

func newFakeServer() *fakeServer {
	return &fakeServer{
		responses: map[string][]fakeResponse{},
		served:    map[string]int{},
		unblock:   make(chan struct{}),
	}
}

func (s *fakeServer) release() { s.unblockOne.Do(func() { close(s.unblock) }) }

func (s *fakeServer) logf(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = append(s.log, fmt.Sprintf(format, args...))
}

func (s *fakeServer) takeLog() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.log
	s.log = nil
	return l
}

func (s *fakeServer) takeLogSnapshot() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.log...)
}

func (s *fakeServer) closeCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closes
}

func (s *fakeServer) open(ctx context.Context) (DB, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failOpen != "" {
		return nil, fmt.Errorf("%s", s.failOpen)
	}
	s.conns++
	s.log = append(s.log, fmt.Sprintf("open conn%d", s.conns))
	return &fakeDB{server: s, id: s.conns}, nil
}

// respond picks the next response for sql.
func (s *fakeServer) respond(sql string) fakeResponse {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := normalize(sql)
	rs, ok := s.responses[key]
	if !ok {
		if s.defaultOK {
			return fakeResponse{affected: -1}
		}
		return fakeResponse{err: fmt.Sprintf("fake: no response for %q", key)}
	}
	i := min(s.served[key], len(rs)-1)
	s.served[key]++
	return rs[i]
}

type fakeDB struct {
	server *fakeServer
	id     int
}

func (d *fakeDB) call(ctx context.Context, kind, sql string) (fakeResponse, error) {
	d.server.logf("conn%d %s: %s", d.id, kind, normalize(sql))
	r := d.server.respond(sql)
	switch {
	case r.ignoreCancel:
		<-d.server.unblock
		return r, fmt.Errorf("fake: released")
	case r.hang:
		<-ctx.Done()
		return r, ctx.Err()
	case r.err != "":
		return r, fmt.Errorf("%s", r.err)
	}
	return r, nil
}

func (d *fakeDB) Exec(ctx context.Context, sql string) (int64, error) {
	r, err := d.call(ctx, "exec", sql)
	if err != nil {
		return 0, err
	}
	if r.columns != nil && r.affected < 0 {
		return int64(len(r.rows)), nil
	}
	return r.affected, nil
}

func (d *fakeDB) Query(ctx context.Context, sql string) ([]string, [][]*string, error) {
	r, err := d.call(ctx, "query", sql)
	if err != nil {
		return nil, nil, err
	}
	return r.columns, r.rows, nil
}

func (d *fakeDB) Close() error {
	d.server.mu.Lock()
	defer d.server.mu.Unlock()
	d.server.closes++
	return nil
}

// define reads canned responses:
//
//	on <sql>             start the responses for sql (one line)
//	  columns: a | b     result columns
//	  row: 1 | \N |      a row: values split on '|' and trimmed, \N is NULL
//	  affected: N        rows affected
//	  error: <text>      fail with text
//	  hang               block until the call's context ends
//	  ignore-cancel      block until the test ends
//	  then               start the next response for the same sql
//	default ok           unknown SQL succeeds with no result
//	fail-open <text>     opening connections fails
func (s *fakeServer) define(input string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var key string
	cur := func() *fakeResponse {
		rs := s.responses[key]
		return &rs[len(rs)-1]
	}
	for _, line := range strings.Split(input, "\n") {
		line = strings.TrimSpace(line)
		name, arg, _ := strings.Cut(line, " ")
		name = strings.TrimSuffix(name, ":")
		arg = strings.TrimSpace(arg)
		if name != "on" && name != "default" && name != "fail-open" && name != "" && key == "" {
			return fmt.Errorf("%q before any on line", line)
		}
		switch name {
		case "":
		case "on":
			key = normalize(arg)
			s.responses[key] = []fakeResponse{{affected: -1}}
			delete(s.served, key)
		case "default":
			s.defaultOK = arg == "ok"
		case "fail-open":
			s.failOpen = arg
		case "columns":
			cur().columns = splitValues(arg, false)
		case "row":
			vals := splitValues(arg, true)
			row := make([]*string, len(vals))
			for i, v := range vals {
				if v != `\N` {
					row[i] = &vals[i]
				}
			}
			cur().rows = append(cur().rows, row)
		case "affected":
			n, err := strconv.ParseInt(arg, 10, 64)
			if err != nil {
				return fmt.Errorf("bad affected count %q", arg)
			}
			cur().affected = n
		case "error":
			cur().err = arg
		case "hang":
			cur().hang = true
		case "ignore-cancel":
			cur().ignoreCancel = true
		case "then":
			s.responses[key] = append(s.responses[key], fakeResponse{affected: -1})
		default:
			return fmt.Errorf("unknown fake directive %q", line)
		}
	}
	return nil
}

func splitValues(s string, keepEmpty bool) []string {
	parts := strings.Split(s, "|")
	out := make([]string, 0, len(parts))
	for _, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" && !keepEmpty {
			continue
		}
		out = append(out, p)
	}
	return out
}
