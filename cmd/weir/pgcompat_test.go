package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// startPostgres runs a throwaway PostgreSQL 15 server (when its binaries
// are installed) so psql's output can be compared between it and Weir.
// PostgreSQL refuses to run as root, so under root it runs as "postgres".
func startPostgres(t *testing.T) (addr string) {
	t.Helper()
	bindir := "/usr/lib/postgresql/15/bin"
	if _, err := os.Stat(filepath.Join(bindir, "postgres")); err != nil {
		t.Skip("PostgreSQL 15 server not installed")
	}
	dir, err := os.MkdirTemp("", "weir-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	run := func(args ...string) *exec.Cmd { return exec.Command(args[0], args[1:]...) }
	if u, _ := user.Current(); u != nil && u.Uid == "0" {
		if _, err := user.Lookup("postgres"); err != nil {
			t.Skip("running as root without a postgres user")
		}
		exec.Command("chown", "postgres", dir).Run()
		run = func(args ...string) *exec.Cmd {
			return exec.Command("runuser", append([]string{"-u", "postgres", "--"}, args...)...)
		}
	}
	if out, err := run(filepath.Join(bindir, "initdb"), "-D", filepath.Join(dir, "data"), "-A", "trust", "-U", "weir").CombinedOutput(); err != nil {
		t.Skipf("initdb failed: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(l.Addr().String())
	l.Close()
	cmd := run(filepath.Join(bindir, "postgres"), "-D", filepath.Join(dir, "data"), "-p", port, "-k", dir, "-c", "listen_addresses=127.0.0.1")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr = "127.0.0.1:" + port
	for i := 0; i < 100; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			// PostgreSQL accepts before it can serve; psql retries below.
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	return addr
}

// psqlRun runs a script with psql against addr, as database name db.
func psqlRun(t *testing.T, addr, db, script string) string {
	t.Helper()
	host, port, _ := net.SplitHostPort(addr)
	var out []byte
	for i := 0; i < 50; i++ {
		cmd := exec.Command("psql", "-X", "-h", host, "-p", port, "-U", "weir", "-d", db)
		cmd.Stdin = strings.NewReader(script)
		out, _ = cmd.CombinedOutput()
		if !strings.Contains(string(out), "the database system is starting up") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	return string(out)
}

// TestPsqlDescribeMatchesPostgres checks that psql's \d family prints the
// same for Weir as for PostgreSQL 15 given equivalent objects.
func TestPsqlDescribeMatchesPostgres(t *testing.T) {
	if _, err := exec.LookPath("psql"); err != nil {
		t.Skip("psql not installed")
	}
	pg := startPostgres(t)
	bin := buildBinary(t)
	s := startServer(t, bin, t.TempDir(), freeAddr(t))
	defer func() { s.cmd.Process.Kill(); s.cmd.Wait() }()

	setup := `CREATE TABLE accounts (id integer PRIMARY KEY, owner text NOT NULL, balance numeric(10,2), note character varying(20));
CREATE INDEX accounts_owner ON accounts (owner);
CREATE MATERIALIZED VIEW by_owner AS SELECT owner, count(*) AS n FROM accounts GROUP BY owner;
`
	psqlRun(t, pg, "postgres", setup)
	psqlRun(t, s.addr, "weir", setup)
	for _, cmd := range []string{`\dt`, `\dm`, `\di`, `\d accounts`, `\d by_owner`, `\d+ by_owner`} {
		want := psqlRun(t, pg, "postgres", cmd+"\n")
		got := psqlRun(t, s.addr, "weir", cmd+"\n")
		if cmd == `\d+ by_owner` {
			// PostgreSQL prints a view's definition deparsed; Weir the
			// text it was created with.
			want, got = withoutViewDefinition(want), withoutViewDefinition(got)
		}
		t.Logf("%s:\n%s", cmd, got)
		if got != want {
			t.Errorf("%s differs from PostgreSQL 15\n--- weir:\n%s\n--- postgres:\n%s", cmd, got, want)
		}
	}
}

// withoutViewDefinition drops the lines of psql's "View definition:"
// section.
func withoutViewDefinition(s string) string {
	var out []string
	skipping := false
	for _, line := range strings.Split(s, "\n") {
		switch {
		case line == "View definition:":
			skipping = true
			continue
		case skipping && strings.HasPrefix(line, " "):
			continue
		}
		skipping = false
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

// TestPsqlListsHavePostgresShape checks that psql's \l and \dn print
// PostgreSQL 15's headers for Weir's databases and schemas.
func TestPsqlListsHavePostgresShape(t *testing.T) {
	if _, err := exec.LookPath("psql"); err != nil {
		t.Skip("psql not installed")
	}
	pg := startPostgres(t)
	bin := buildBinary(t)
	s := startServer(t, bin, t.TempDir(), freeAddr(t))
	defer func() { s.cmd.Process.Kill(); s.cmd.Wait() }()
	for _, cmd := range []string{`\l`, `\dn`} {
		want := strings.SplitN(psqlRun(t, pg, "postgres", cmd+"\n"), "\n", 4)
		got := strings.SplitN(psqlRun(t, s.addr, "weir", cmd+"\n"), "\n", 4)
		// Column widths follow the contents: compare the column names.
		if len(got) < 4 || len(want) < 4 || strings.Join(strings.Fields(got[1]), " ") != strings.Join(strings.Fields(want[1]), " ") || strings.Contains(got[3], "ERROR") {
			t.Errorf("%s: header %q, want PostgreSQL's %q (output %q)", cmd, got[1:min(2, len(got))], want[1:min(2, len(want))], got)
		}
	}
}

// TestSelectSuitesMatchPostgres runs Weir's plain-SQL suites
// (sqllogictest/testdata/select) against a real PostgreSQL 15, so their
// expected results are PostgreSQL's, not only Weir's.
func TestSelectSuitesMatchPostgres(t *testing.T) {
	pg := startPostgres(t)
	bin := buildBinary(t)
	files, _ := filepath.Glob(filepath.Join("..", "..", "sqllogictest", "testdata", "select", "*.slt"))
	if len(files) == 0 {
		t.Fatal("no select suites")
	}
	for i, f := range files {
		db := fmt.Sprintf("compat%d", i)
		psqlRun(t, pg, "postgres", "CREATE DATABASE "+db+";\n")
		out, err := exec.Command(bin, "slt", "--addr", "postgres://weir@"+pg+"/"+db+"?sslmode=disable", f).CombinedOutput()
		if err != nil {
			t.Errorf("%s against PostgreSQL 15: %v\n%s", f, err, out)
		}
	}
}
