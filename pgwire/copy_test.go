package pgwire

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestPsqlCopy runs COPY FROM STDIN and TO STDOUT with psql (libpq).
func TestPsqlCopy(t *testing.T) {
	const psql = "/usr/bin/psql"
	if _, err := os.Stat(psql); err != nil {
		t.Skip("no psql")
	}
	ts := startServer(t, Config{})
	host, port, _ := strings.Cut(ts.Addr().String(), ":")
	run := func(stdin, sql string) (string, error) {
		cmd := exec.CommandContext(testCtx(t), psql, "-X", "-h", host, "-p", port, "-U", "alice", "-d", "weir", "-c", sql)
		cmd.Env = append(os.Environ(), "PGCONNECT_TIMEOUT=10")
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run("1\tone\n2\t\\N\n", "copy t from stdin")
	if err != nil || out != "COPY 2\n" {
		t.Fatalf("copy from: %v\n%s", err, out)
	}
	out, err = run("3,\"th,ree\"\n", "copy t from stdin csv")
	if err != nil || out != "COPY 1\n" {
		t.Fatalf("copy from csv: %v\n%s", err, out)
	}
	out, err = run("", "copy t to stdout csv")
	if want := "1,one\n2,\n3,\"th,ree\"\n"; err != nil || out != want {
		t.Fatalf("copy to: %v\n%q, want %q", err, out, want)
	}
	out, err = run("x\ty\n", "copy t from stdin")
	if err == nil || !strings.Contains(out, `ERROR:  invalid input syntax for type bigint: "x"`) {
		t.Fatalf("bad data: %v\n%s", err, out)
	}
}
