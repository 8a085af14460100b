package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCursorSuitesMatchPostgres runs the cursor suites
// (sqllogictest/testdata/cursors) against a real PostgreSQL 15, so that
// the cursors' rules are PostgreSQL's, not only Weir's.
func TestCursorSuitesMatchPostgres(t *testing.T) {
	pg := startPostgres(t)
	bin := buildBinary(t)
	files, _ := filepath.Glob(filepath.Join("..", "..", "sqllogictest", "testdata", "cursors", "*.slt"))
	if len(files) == 0 {
		t.Fatal("no cursor suites")
	}
	psqlRun(t, pg, "postgres", "CREATE DATABASE cursors;\n")
	out, err := exec.Command(bin, append([]string{"slt", "--addr", "postgres://weir@" + pg + "/cursors?sslmode=disable"}, files...)...).CombinedOutput()
	if err != nil {
		t.Errorf("cursor suites against PostgreSQL 15: %v\n%s", err, out)
	}
}

// TestPsycopg2Cursors reads cursors the way psycopg2 does: a named
// (server-side) cursor is DECLARE, then FETCH FORWARD n per fetchmany or
// per itersize rows of iteration, then CLOSE; and a SUBSCRIBE cursor is
// read with FETCH in a loop while another connection writes. FETCH waits
// for the change, so nothing here sleeps.
func TestPsycopg2Cursors(t *testing.T) {
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import psycopg2").Run(); err != nil {
		t.Skip("python3-psycopg2 not installed")
	}
	bin := buildBinary(t)
	s := startServer(t, bin, t.TempDir(), freeAddr(t))
	defer func() { s.cmd.Process.Kill(); s.cmd.Wait() }()
	host, port, _ := strings.Cut(s.addr, ":")
	script := filepath.Join(t.TempDir(), "cursors.py")
	os.WriteFile(script, []byte(`
import sys, psycopg2
def connect():
    return psycopg2.connect(host=sys.argv[1], port=int(sys.argv[2]), user="weir", dbname="weir")
writer = connect()
writer.autocommit = True
w = writer.cursor()
w.execute("CREATE TABLE items (id int PRIMARY KEY, grp text)")
w.execute("INSERT INTO items VALUES (1, 'a'), (2, 'a'), (3, 'b'), (4, 'c'), (5, 'c')")
w.execute("CREATE MATERIALIZED VIEW per_grp AS SELECT grp, count(*) AS n FROM items GROUP BY grp")
w.execute("FLUSH")

conn = connect()  # not autocommit: psycopg2 opens a block for the cursors
named = conn.cursor("sel")
named.execute("SELECT id, grp FROM items WHERE id > %s ORDER BY id", (1,))
print(named.fetchone(), named.fetchmany(2), named.fetchall(), named.fetchall())
named.close()
it = conn.cursor("it")
it.itersize = 2
it.execute("SELECT id FROM items ORDER BY id")
print([r[0] for r in it])
it.close()
held = conn.cursor("held", withhold=True)
held.execute("SELECT id FROM items WHERE grp = 'c' ORDER BY id")
conn.commit()
print(held.fetchall())
held.close()

# SUBSCRIBE through a named cursor: fetchmany waits for rows.
sub = conn.cursor("sub")
sub.execute("SUBSCRIBE per_grp")
snap = []
while len(snap) < 3:
    snap += [r[1:] for r in sub.fetchmany(2)]
print(sorted(snap))
sub.close()
conn.rollback()

# And as psycopg2's users write it with Materialize: DECLARE, then FETCH.
cur = conn.cursor()
cur.execute("DECLARE c CURSOR FOR SUBSCRIBE per_grp")
cur.execute("FETCH ALL c")
print(sorted(r[1:] for r in cur.fetchall()))
cur.execute("FETCH ALL c WITH (timeout = '0s')")
print(cur.fetchall(), cur.statusmessage)
w.execute("INSERT INTO items VALUES (6, 'b')")
w.execute("DELETE FROM items WHERE id = 1")
changes = []
while len(changes) < 4:
    cur.execute("FETCH ALL c")
    changes += [r[1:] for r in cur.fetchall()]
print(sorted(changes))
cur.execute("CLOSE c")
conn.commit()
try:
    cur.execute("FETCH c")
except psycopg2.Error as e:
    print("error", e.pgcode)
conn.close()
`), 0o644)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, py, script, host, port).CombinedOutput()
	if err != nil {
		t.Fatalf("client failed: %v\n%s", err, out)
	}
	want := "(2, 'a') [(3, 'b'), (4, 'c')] [(5, 'c')] []\n" +
		"[1, 2, 3, 4, 5]\n" +
		"[(4,), (5,)]\n" +
		"[(1, 'a', 2), (1, 'b', 1), (1, 'c', 2)]\n" +
		"[(1, 'a', 2), (1, 'b', 1), (1, 'c', 2)]\n" +
		"[] FETCH 0\n" +
		"[(-1, 'a', 2), (-1, 'b', 1), (1, 'a', 1), (1, 'b', 2)]\n" +
		"error 34000\n"
	if string(out) != want {
		t.Fatalf("got:\n%s\nwant:\n%s", out, want)
	}
}
