package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// nodePgScript drives the server with node-postgres: a simple query, a
// parameterized one (the extended protocol), typed values, an error's
// SQLSTATE and a transaction block, rolled back and then committed.
const nodePgScript = `
const { Client, types } = require('pg');
types.setTypeParser(1114, (s) => s); // timestamps as text: no time zone games
(async () => {
  const c = new Client({ connectionString: process.argv[2] });
  await c.connect();
  const out = (...a) => console.log(a.join(' '));
  out('simple', (await c.query('SELECT 1 + 1 AS two')).rows[0].two);
  await c.query("CREATE TABLE t (id int PRIMARY KEY, amount numeric(10,2), at timestamp, note text, ok boolean)");
  await c.query('INSERT INTO t VALUES ($1, $2, $3, $4, $5)', [1, '12.50', '2024-03-01 12:30:00', 'héllo', true]);
  await c.query('INSERT INTO t VALUES ($1, $2, $3, $4, $5)', [2, null, null, null, null]);
  const r = await c.query('SELECT id, amount, at, note, ok FROM t WHERE id >= $1 ORDER BY id', [1]);
  for (const row of r.rows) out('row', JSON.stringify(row));
  out('fields', r.fields.map((f) => f.name + ':' + f.dataTypeID).join(','));
  try {
    await c.query('SELECT nope FROM t');
  } catch (e) {
    out('error', e.code, e.message);
  }
  await c.query('BEGIN');
  await c.query('INSERT INTO t (id) VALUES (3)');
  out('in block', (await c.query('SELECT count(*)::int AS n FROM t')).rows[0].n);
  await c.query('ROLLBACK');
  await c.query('BEGIN');
  await c.query('INSERT INTO t (id) VALUES (4)');
  try {
    await c.query('SELECT 1/0');
  } catch (e) {
    out('error', e.code);
  }
  try {
    await c.query('SELECT 1');
  } catch (e) {
    out('error', e.code);
  }
  out('failed block ends with', (await c.query('COMMIT')).command);
  await c.query('BEGIN');
  await c.query('INSERT INTO t (id) VALUES (5)');
  out('commit', (await c.query('COMMIT')).command);
  out('ids', (await c.query('SELECT id FROM t ORDER BY id')).rows.map((x) => x.id).join(','));
  await c.end();
})().catch((e) => { console.error(e); process.exit(1); });
`

// TestNodePgClient runs node-postgres (the npm package pg) against the
// server. pg is installed with npm into the user's cache directory once,
// never into the checkout.
func TestNodePgClient(t *testing.T) {
	node, errNode := exec.LookPath("node")
	npm, errNpm := exec.LookPath("npm")
	if errNode != nil || errNpm != nil {
		t.Skip("node and npm are not installed (.ci/run installs nodejs and npm)")
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = t.TempDir()
	}
	dir := filepath.Join(cache, "weir-tests", "node-pg")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "pg", "package.json")); err != nil {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(npm, "install", "--no-audit", "--no-fund", "--prefix", dir, "pg@8").CombinedOutput()
		if err != nil {
			t.Fatalf("npm install pg: %v\n%s", err, out)
		}
	}
	script := filepath.Join(dir, "client.js") // beside node_modules, so require finds pg
	if err := os.WriteFile(script, []byte(nodePgScript), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := buildBinary(t)
	s := startServer(t, bin, t.TempDir(), freeAddr(t))
	defer func() { s.cmd.Process.Kill(); s.cmd.Wait() }()
	out, err := exec.Command(node, script, "postgres://weir@"+s.addr+"/weir").CombinedOutput()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, out)
	}
	want := strings.Join([]string{
		"simple 2",
		`row {"id":1,"amount":"12.50","at":"2024-03-01 12:30:00","note":"héllo","ok":true}`,
		`row {"id":2,"amount":null,"at":null,"note":null,"ok":null}`,
		"fields id:23,amount:1700,at:1114,note:25,ok:16",
		`error 42703 column "nope" does not exist`,
		"in block 3",
		"error 22012",
		"error 25P02",
		"failed block ends with ROLLBACK",
		"commit COMMIT",
		"ids 1,2,5",
	}, "\n") + "\n"
	if string(out) != want {
		t.Fatalf("got:\n%s\nwant:\n%s", out, want)
	}
}
