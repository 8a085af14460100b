package pgwire

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgproto3/v2"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"

	"github.com/weir-db/weir/types"
)

// testCtx bounds a test's client calls, so that a server that never answers
// fails the test rather than hanging it.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func pgxConfig(t *testing.T, ts *testServer) *pgx.ConnConfig {
	t.Helper()
	cfg, err := pgx.ParseConfig(fmt.Sprintf("postgres://alice@%s/weir?sslmode=disable&application_name=pgx-test", ts.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	return cfg
}

func connectPgx(t *testing.T, ts *testServer, cfg *pgx.ConnConfig) *pgx.Conn {
	t.Helper()
	if cfg == nil {
		cfg = pgxConfig(t, ts)
	}
	conn, err := pgx.ConnectConfig(testCtx(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func pgError(t *testing.T, err error) *pgconn.PgError {
	t.Helper()
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		t.Fatalf("want a PgError, got %v", err)
	}
	return pgErr
}

func selectOne(t *testing.T, conn *pgx.Conn) {
	t.Helper()
	var v int32
	if err := conn.QueryRow(testCtx(t), "select 1", pgx.QueryExecModeSimpleProtocol).Scan(&v); err != nil {
		t.Fatalf("select 1: %v", err)
	}
	if v != 1 {
		t.Fatalf("select 1 = %d", v)
	}
}

func TestPgxSimpleProtocol(t *testing.T) {
	ts := startServer(t, Config{})
	conn := connectPgx(t, ts, nil)
	ctx := testCtx(t)

	selectOne(t, conn)
	pc := conn.PgConn()
	for k, want := range map[string]string{
		"server_version":              "15.0",
		"application_name":            "pgx-test",
		"session_authorization":       "alice",
		"standard_conforming_strings": "on",
		"TimeZone":                    "UTC",
		"DateStyle":                   "ISO, MDY",
	} {
		if got := pc.ParameterStatus(k); got != want {
			t.Errorf("ParameterStatus(%s) = %q, want %q", k, got, want)
		}
	}
	if pc.PID() == 0 {
		t.Error("no backend pid")
	}

	var (
		b  bool
		i8 int64
		f8 float64
		n  string
		s  string
	)
	err := conn.QueryRow(ctx, "select types").Scan(&b, &i8, &f8, &n, &s, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !b || i8 != -42 || f8 != 1.5 || n != "123.45" || s != "héllo" {
		t.Errorf("select types = %v %v %v %v %v", b, i8, f8, n, s)
	}

	var null *string
	if err := conn.QueryRow(ctx, "select null").Scan(&null); err != nil || null != nil {
		t.Errorf("select null = %v, %v", null, err)
	}

	rows, err := conn.Query(ctx, "select many")
	if err != nil {
		t.Fatal(err)
	}
	count := 0
	for rows.Next() {
		var i int64
		var s string
		if err := rows.Scan(&i, &s); err != nil {
			t.Fatal(err)
		}
		if i != int64(count) || s != "row" {
			t.Fatalf("row %d = %d %q", count, i, s)
		}
		count++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if count != fakeManyRows || rows.CommandTag().String() != fmt.Sprintf("SELECT %d", fakeManyRows) {
		t.Errorf("select many: %d rows, tag %q", count, rows.CommandTag())
	}

	tag, err := conn.Exec(ctx, "create stream s")
	if err != nil || tag.String() != "CREATE STREAM" {
		t.Errorf("create stream: %q, %v", tag, err)
	}

	results, err := pc.Exec(ctx, "select 1; insert; select user").ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var tags []string
	for _, r := range results {
		tags = append(tags, r.CommandTag.String())
	}
	if got := strings.Join(tags, ", "); got != "SELECT 1, INSERT 0 1, SELECT 1" {
		t.Errorf("multi-statement tags: %s", got)
	}

	_, err = conn.Exec(ctx, "select 1; frobnicate")
	pgErr := pgError(t, err)
	if pgErr.Code != types.CodeSyntaxError || pgErr.Position != 11 || pgErr.Severity != "ERROR" {
		t.Errorf("syntax error: %+v", pgErr)
	}
	selectOne(t, conn)
}

func TestPgxInternalErrorIsLogged(t *testing.T) {
	ts := startServer(t, Config{})
	conn := connectPgx(t, ts, nil)
	_, err := conn.Exec(testCtx(t), "internal")
	if code := pgError(t, err).Code; code != types.CodeInternalError {
		t.Errorf("code %s", code)
	}
	if !ts.log.contains("internal error", "disk on fire") {
		t.Error("internal error not logged")
	}
	selectOne(t, conn)
}

func TestPgxPanic(t *testing.T) {
	ts := startServer(t, Config{})
	conn := connectPgx(t, ts, nil)
	other := connectPgx(t, ts, nil)
	_, err := conn.Exec(testCtx(t), "panic")
	if code := pgError(t, err).Code; code != types.CodeInternalError {
		t.Errorf("code %s", code)
	}
	if !ts.log.contains("panic executing", "boom", "goroutine") {
		t.Error("panic stack not logged")
	}
	selectOne(t, conn)
	selectOne(t, other)
}

// TestPgxNoPreparer: a session that does not implement Preparer refuses
// the extended protocol; the same connection then works in simple protocol.
func TestPgxNoPreparer(t *testing.T) {
	s, err := Listen(Config{Addr: "127.0.0.1:0", Logf: t.Logf}, simpleOnlyEngine{})
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve()
	t.Cleanup(func() { s.Shutdown(context.Background()) })
	cfg, err := pgx.ParseConfig(fmt.Sprintf("postgres://alice@%s/weir?sslmode=disable", s.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.ConnectConfig(testCtx(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var v string
	err = conn.QueryRow(testCtx(t), "select 1").Scan(&v)
	pgErr := pgError(t, err)
	if pgErr.Code != types.CodeFeatureNotSupported || pgErr.Message != msgExtendedUnsupported {
		t.Errorf("extended protocol: %+v", pgErr)
	}
	if err := conn.QueryRow(testCtx(t), "select 1", pgx.QueryExecModeSimpleProtocol).Scan(&v); err != nil || v != "select 1" {
		t.Errorf("simple protocol after refusal: %q, %v", v, err)
	}
}

// simpleOnlyEngine's sessions speak only the simple protocol: echoEngine
// without Prepare.
type simpleOnlyEngine struct{}

func (simpleOnlyEngine) Connect(context.Context, string, string) (Session, error) {
	return simpleOnlySession{}, nil
}

type simpleOnlySession struct{}

func (simpleOnlySession) Execute(ctx context.Context, sql string, w ResultWriter) error {
	return echoEngine{}.Execute(ctx, sql, w)
}
func (simpleOnlySession) Close() {}

func TestPgxCancel(t *testing.T) {
	ts := startServer(t, Config{})
	conn := connectPgx(t, ts, nil)
	ctx := testCtx(t)
	done := make(chan error, 1)
	go func() {
		_, err := conn.Exec(ctx, "sleep")
		done <- err
	}()
	<-ts.eng.sleeping
	if err := conn.PgConn().CancelRequest(ctx); err != nil {
		t.Fatal(err)
	}
	if code := pgError(t, <-done).Code; code != types.CodeQueryCanceled {
		t.Errorf("code %s", code)
	}
	selectOne(t, conn)
}

// TestPgxContextCancel: cancelling the context of a query makes pgx send a
// CancelRequest (with this context watcher), and the connection survives.
func TestPgxContextCancel(t *testing.T) {
	ts := startServer(t, Config{})
	cfg := pgxConfig(t, ts)
	cfg.BuildContextWatcherHandler = func(pc *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: pc, DeadlineDelay: time.Minute}
	}
	conn := connectPgx(t, ts, cfg)
	ctx, cancel := context.WithCancel(testCtx(t))
	go func() {
		<-ts.eng.sleeping
		cancel()
	}()
	_, err := conn.Exec(ctx, "sleep ctxerr")
	if code := pgError(t, err).Code; code != types.CodeQueryCanceled {
		t.Errorf("code %s", code)
	}
	selectOne(t, conn)
}

func TestPgxConnectError(t *testing.T) {
	ts := startServer(t, Config{})
	cfg := pgxConfig(t, ts)
	cfg.Database = "nodb"
	_, err := pgx.ConnectConfig(testCtx(t), cfg)
	pgErr := pgError(t, err)
	if pgErr.Code != "3D000" || pgErr.Severity != "FATAL" {
		t.Errorf("connect to nodb: %+v", pgErr)
	}
}

// TestPgxProtocol32 checks the negotiation down to 3.0 with a driver that
// asks for 3.2.
func TestPgxProtocol32(t *testing.T) {
	ts := startServer(t, Config{})
	cfg := pgxConfig(t, ts)
	cfg.MaxProtocolVersion = "3.2"
	conn := connectPgx(t, ts, cfg)
	selectOne(t, conn)
	if len(conn.PgConn().SecretKey()) != 4 {
		t.Errorf("secret key %x: want protocol 3.0's 4 bytes", conn.PgConn().SecretKey())
	}
}

func TestMaxMessageBytes(t *testing.T) {
	const limit = 1024
	ts := startServer(t, Config{MaxMessageBytes: limit})
	good := dialRaw(t, ts.Addr())
	good.write(startupPacket(3<<16, "user", "alice"))
	good.untilReady()
	query := func(c *rawClient, n int) string {
		// n counts the length word, the query text and its NUL.
		c.send(&pgproto3.Query{String: "select 1" + strings.Repeat(" ", n-4-len("select 1")-1)})
		return c.untilReady()
	}
	if got := query(good, limit); !strings.Contains(got, `DataRow "1"`) {
		t.Errorf("query at the limit: %s", got)
	}
	bad := dialRaw(t, ts.Addr())
	bad.write(startupPacket(3<<16, "user", "alice"))
	bad.untilReady()
	got := query(bad, limit+1)
	if !strings.Contains(got, "08P01") || !strings.HasSuffix(got, "EOF") {
		t.Errorf("query over the limit: %s", got)
	}
	if !ts.log.contains("invalid message length") {
		t.Error("protocol violation not logged")
	}
	if got := query(good, 100); !strings.Contains(got, `DataRow "1"`) {
		t.Errorf("other connection after a violation: %s", got)
	}
}

func TestListenPortTaken(t *testing.T) {
	ts := startServer(t, Config{})
	addr := ts.Addr().String()
	s, err := Listen(Config{Addr: addr}, newFakeEngine())
	if err == nil {
		s.Shutdown(context.Background())
		t.Fatalf("second Listen on %s succeeded", addr)
	}
	if !strings.Contains(err.Error(), addr) {
		t.Errorf("error does not mention %s: %v", addr, err)
	}
}

func TestShutdownTwice(t *testing.T) {
	ts := startServer(t, Config{})
	connectPgx(t, ts, nil)
	if err := ts.stop(); err != nil {
		t.Fatal(err)
	}
	if err := ts.Shutdown(testCtx(t)); err != nil {
		t.Fatal(err)
	}
}

// TestShutdownDeadline: a session that ignores its context cannot hold
// Shutdown past its deadline.
func TestShutdownDeadline(t *testing.T) {
	eng := &stuckEngine{release: make(chan struct{}), running: make(chan struct{})}
	defer close(eng.release)
	s, err := Listen(Config{Addr: "127.0.0.1:0", Logf: t.Logf}, eng)
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve()
	c := dialRaw(t, s.Addr())
	c.write(startupPacket(3<<16, "user", "alice"))
	c.untilReady()
	c.send(&pgproto3.Query{String: "anything"})
	<-eng.running
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Shutdown(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Shutdown with a stuck session = %v", err)
	}
	if got := c.next(); got != "EOF" {
		t.Errorf("client of a stuck session got %s", got)
	}
}

type stuckEngine struct{ release, running chan struct{} }

func (e *stuckEngine) Connect(context.Context, string, string) (Session, error) { return e, nil }
func (e *stuckEngine) Execute(context.Context, string, ResultWriter) error {
	close(e.running)
	<-e.release
	return nil
}
func (e *stuckEngine) Close() {}

func TestPsql(t *testing.T) {
	const psql = "/usr/bin/psql"
	if _, err := os.Stat(psql); err != nil {
		t.Skip("no psql")
	}
	ts := startServer(t, Config{})
	host, port, _ := strings.Cut(ts.Addr().String(), ":")
	cmd := exec.CommandContext(testCtx(t), psql, "-X", "-h", host, "-p", port, "-U", "alice", "-d", "weir", "-c", "select 1")
	cmd.Env = append(os.Environ(), "PGCONNECT_TIMEOUT=10", "PGSSLMODE=prefer")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("psql: %v\n%s", err, out)
	}
	want := " ?column? \n----------\n        1\n(1 row)\n\n"
	if string(out) != want {
		t.Errorf("psql printed\n%q\nwant\n%q", out, want)
	}

	cmd = exec.CommandContext(testCtx(t), psql, "-X", "-h", host, "-p", port, "-U", "alice", "-d", "weir", "-c", "frobnicate")
	out, err = cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("psql succeeded on an error")
	}
	wantErr := "ERROR:  syntax error at or near \"frobnicate\"\nLINE 1: frobnicate\n        ^\n"
	if !strings.Contains(string(out), wantErr) {
		t.Errorf("psql printed\n%s\nwant\n%s", out, wantErr)
	}
}
