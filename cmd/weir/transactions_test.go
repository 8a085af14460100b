package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// TestTransactionStatusMatchesPostgres drives the same transaction blocks,
// over the simple and the extended protocol, against Weir and a real
// PostgreSQL 15, and compares what a client sees: each statement's tag or
// SQLSTATE, the notices, and the status ReadyForQuery reports.
func TestTransactionStatusMatchesPostgres(t *testing.T) {
	pg := startPostgres(t)
	bin := buildBinary(t)
	s := startServer(t, bin, t.TempDir(), freeAddr(t))
	defer func() { s.cmd.Process.Kill(); s.cmd.Wait() }()
	psqlRun(t, pg, "postgres", "CREATE DATABASE txstatus;\n")
	weir := txnTrace(t, "postgres://weir@"+s.addr+"/weir?sslmode=disable")
	postgres := txnTrace(t, "postgres://weir@"+pg+"/txstatus?sslmode=disable")
	t.Logf("trace:\n%s", weir)
	if weir != postgres {
		t.Fatalf("weir differs from PostgreSQL 15\n--- weir:\n%s\n--- postgres:\n%s", weir, postgres)
	}
	// The trace must show every status, or the comparison proves little.
	for _, want := range []string{" I\n", " T\n", " E\n", "25P02", "25001", "25P01"} {
		if !strings.Contains(weir, want) {
			t.Errorf("trace lacks %q", want)
		}
	}
}

// txnTrace runs the steps of TestTransactionStatusMatchesPostgres on one
// connection to url and returns, per step, what the client saw.
func txnTrace(t *testing.T, url string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg, err := pgconn.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	var notices []string
	cfg.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) {
		notices = append(notices, n.Severity+" "+n.Code+" "+n.Message)
	}
	c, err := pgconn.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("connect %s: %v", url, err)
	}
	defer c.Close(ctx)
	var b strings.Builder
	outcome := func(tag string, err error) string {
		var pe *pgconn.PgError
		switch {
		case errors.As(err, &pe):
			return "ERROR " + pe.Code
		case err != nil:
			t.Fatalf("%s: %v", url, err)
		}
		return tag
	}
	record := func(step, result string) {
		fmt.Fprintf(&b, "%-40s %s", step, result)
		for _, n := range notices {
			fmt.Fprintf(&b, " [%s]", n)
		}
		notices = nil
		fmt.Fprintf(&b, " %c\n", c.TxStatus())
	}
	simple := func(sql string) {
		var results []string
		rs, err := c.Exec(ctx, sql).ReadAll()
		for _, r := range rs {
			if r.Err == nil {
				results = append(results, outcome(r.CommandTag.String(), nil))
			}
		}
		if err != nil {
			results = append(results, outcome("", err))
		}
		record(sql, strings.Join(results, ", "))
	}
	extended := func(sql string) {
		r := c.ExecParams(ctx, sql, nil, nil, nil, nil).Read()
		record("(extended) "+sql, outcome(r.CommandTag.String(), r.Err))
	}
	simple("CREATE TABLE tx (id int PRIMARY KEY)")
	simple("BEGIN")
	simple("INSERT INTO tx VALUES (1)")
	simple("BEGIN")
	simple("INSERT INTO tx VALUES (1)")
	simple("SELECT 1")
	extended("SELECT 1")
	simple("COMMIT")
	simple("COMMIT")
	simple("ROLLBACK")
	simple("SELECT count(*) FROM tx")
	simple("START TRANSACTION; INSERT INTO tx VALUES (2); COMMIT")
	extended("BEGIN")
	extended("INSERT INTO tx VALUES (3)")
	extended("SELECT nope")
	extended("SELECT 1")
	extended("ROLLBACK")
	extended("BEGIN")
	extended("INSERT INTO tx VALUES (4)")
	extended("COMMIT")
	simple("BEGIN; SELECT 1/0; SELECT 2")
	simple("END")
	extended("SELECT id FROM tx ORDER BY id")
	return b.String()
}
