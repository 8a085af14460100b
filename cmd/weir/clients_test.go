package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Real PostgreSQL clients against the real server: each must connect,
// prepare statements with parameters, read results in their formats and
// see SQLSTATEs.

func TestPgxClient(t *testing.T) {
	bin := buildBinary(t)
	s := startServer(t, bin, t.TempDir(), freeAddr(t))
	defer func() { s.cmd.Process.Kill(); s.cmd.Wait() }()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	url := fmt.Sprintf("postgres://weir@%s/weir?sslmode=disable", s.addr)
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if err := pool.Ping(ctx); err != nil {
		t.Fatalf("ping: %v", err)
	}
	// The default mode prepares statements and uses binary formats.
	if _, err := pool.Exec(ctx, `CREATE TABLE accounts (id bigint PRIMARY KEY, owner text, balance numeric(10,2), opened timestamp, active boolean)`); err != nil {
		t.Fatal(err)
	}
	opened := time.Date(2024, 3, 1, 12, 30, 0, 0, time.UTC)
	for i := int64(1); i <= 3; i++ {
		if _, err := pool.Exec(ctx, `INSERT INTO accounts VALUES ($1, $2, $3, $4, $5)`, i, fmt.Sprintf("owner%d", i), fmt.Sprintf("%d.25", i*10), opened, i%2 == 1); err != nil {
			t.Fatalf("insert %d: %v", i, err)
		}
	}
	var (
		owner  string
		bal    float64
		when   time.Time
		active bool
	)
	err = pool.QueryRow(ctx, `SELECT owner, balance::float8, opened, active FROM accounts WHERE id = $1`, int64(3)).Scan(&owner, &bal, &when, &active)
	if err != nil {
		t.Fatal(err)
	}
	if owner != "owner3" || bal != 30.25 || !when.Equal(opened) || !active {
		t.Fatalf("got %q %v %v %v", owner, bal, when, active)
	}
	rows, err := pool.Query(ctx, `SELECT id FROM accounts WHERE balance > $1 ORDER BY id`, 15)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil || fmt.Sprint(ids) != "[2 3]" {
		t.Fatalf("ids %v, %v", ids, err)
	}
	// COPY through the client's binary CopyFrom.
	n, err := pool.CopyFrom(ctx, pgx.Identifier{"accounts"}, []string{"id", "owner"}, pgx.CopyFromRows([][]any{{int64(10), "copied"}, {int64(11), nil}}))
	if err != nil || n != 2 {
		t.Fatalf("copy from: %d %v", n, err)
	}
	var count int64
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM accounts`).Scan(&count); err != nil || count != 5 {
		t.Fatalf("count %d %v", count, err)
	}
	_, err = pool.Exec(ctx, `INSERT INTO accounts (id) VALUES ($1)`, int64(1))
	if err == nil || !strings.Contains(err.Error(), "23505") {
		t.Fatalf("want 23505, got %v", err)
	}
}

func TestPsycopg2AndSQLAlchemy(t *testing.T) {
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import psycopg2").Run(); err != nil {
		t.Skip("python3-psycopg2 not installed")
	}
	bin := buildBinary(t)
	s := startServer(t, bin, t.TempDir(), freeAddr(t))
	defer func() { s.cmd.Process.Kill(); s.cmd.Wait() }()
	host, port, _ := strings.Cut(s.addr, ":")
	script := filepath.Join(t.TempDir(), "client.py")
	os.WriteFile(script, []byte(`
import sys, psycopg2
conn = psycopg2.connect(host=sys.argv[1], port=int(sys.argv[2]), user="weir", dbname="weir")
conn.autocommit = True
cur = conn.cursor()
cur.execute("CREATE TABLE items (id int PRIMARY KEY, name text, price numeric(8,2))")
cur.executemany("INSERT INTO items VALUES (%s, %s, %s)", [(1, "apple", 1.25), (2, "pear's", 2), (3, None, None)])
cur.execute("SELECT id, name, price FROM items WHERE id >= %s ORDER BY id", (2,))
print(cur.fetchall())
try:
    cur.execute("SELECT nope FROM items")
except psycopg2.Error as e:
    print("error", e.pgcode)
try:
    import sqlalchemy
    eng = sqlalchemy.create_engine("postgresql+psycopg2://weir@%s:%s/weir" % (sys.argv[1], sys.argv[2]))
    with eng.connect() as c:
        print(c.execute(sqlalchemy.text("SELECT count(*) FROM items")).scalar())
    with eng.begin() as c:
        c.execute(sqlalchemy.text("CREATE TABLE pair (b text, a int, c int, PRIMARY KEY (c, a))"))
        c.execute(sqlalchemy.text("CREATE TABLE nokey (a int)"))
        c.execute(sqlalchemy.text("CREATE INDEX pair_b ON pair (b, a)"))
    insp = sqlalchemy.inspect(eng)
    print(sorted(insp.get_table_names()))
    print([(c["name"], str(c["type"]), c["nullable"]) for c in insp.get_columns("items")])
    for t in ["items", "pair", "nokey"]:
        print(t, insp.get_pk_constraint(t), insp.get_foreign_keys(t), [(i["name"], i["column_names"], i["unique"]) for i in insp.get_indexes(t)])
except ImportError:
    print(3)
    print(["items", "nokey", "pair"])
    print([("id", "INTEGER", False), ("name", "TEXT", True), ("price", "NUMERIC(8, 2)", True)])
    print("items {'constrained_columns': ['id'], 'name': 'items_pkey'} [] []")
    print("pair {'constrained_columns': ['c', 'a'], 'name': 'pair_pkey'} [] [('pair_b', ['b', 'a'], False)]")
    print("nokey {'constrained_columns': [], 'name': None} [] []")
`), 0o644)
	out, err := exec.Command(py, script, host, port).CombinedOutput()
	if err != nil {
		t.Fatalf("client failed: %v\n%s", err, out)
	}
	// The keys as PostgreSQL 15 reports them: in key order, none for a
	// table without one.
	want := "[(2, \"pear's\", Decimal('2.00')), (3, None, None)]\nerror 42703\n3\n['items', 'nokey', 'pair']\n" +
		"[('id', 'INTEGER', False), ('name', 'TEXT', True), ('price', 'NUMERIC(8, 2)', True)]\n" +
		"items {'constrained_columns': ['id'], 'name': 'items_pkey'} [] []\n" +
		"pair {'constrained_columns': ['c', 'a'], 'name': 'pair_pkey'} [] [('pair_b', ['b', 'a'], False)]\n" +
		"nokey {'constrained_columns': [], 'name': None} [] []\n"
	if string(out) != want {
		t.Fatalf("got:\n%s\nwant:\n%s", out, want)
	}
}

func TestJDBC(t *testing.T) {
	jar := "/usr/share/java/postgresql.jar"
	if _, err := os.Stat(jar); err != nil {
		t.Skip("libpostgresql-jdbc-java not installed")
	}
	if _, err := exec.LookPath("javac"); err != nil {
		t.Skip("javac not installed")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "Meta.java")
	os.WriteFile(src, []byte(`import java.sql.*;
public class Meta {
  public static void main(String[] a) throws Exception {
    Connection c = DriverManager.getConnection("jdbc:postgresql://" + a[0] + "/weir?user=weir");
    try (Statement s = c.createStatement()) {
      s.execute("CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, price numeric(8,2))");
      s.execute("INSERT INTO items VALUES (1, 'a', 1.5), (2, 'b', NULL), (3, 'c', 3)");
      s.execute("CREATE MATERIALIZED VIEW by_name AS SELECT name, count(*) AS n FROM items GROUP BY name");
      s.execute("CREATE TABLE pair (b text, a int, c int, PRIMARY KEY (c, a))");
      s.execute("CREATE TABLE nokey (a int)");
    }
    DatabaseMetaData md = c.getMetaData();
    System.out.println(md.getDatabaseProductName() + " " + md.getDatabaseMajorVersion());
    try (ResultSet rs = md.getTables(null, "public", "%", new String[]{"TABLE", "MATERIALIZED VIEW"})) {
      while (rs.next()) System.out.println("table " + rs.getString("TABLE_NAME") + " " + rs.getString("TABLE_TYPE"));
    }
    try (ResultSet rs = md.getColumns(null, "public", "items", "%")) {
      while (rs.next()) System.out.println("column " + rs.getString("COLUMN_NAME") + " " + rs.getString("TYPE_NAME") + " " + rs.getString("IS_NULLABLE"));
    }
    for (String t : new String[]{"items", "pair", "nokey"}) {
      StringBuilder sb = new StringBuilder("pk " + t);
      try (ResultSet rs = md.getPrimaryKeys(null, "public", t)) {
        while (rs.next()) sb.append(" ").append(rs.getString("COLUMN_NAME")).append(":").append(rs.getInt("KEY_SEQ")).append(":").append(rs.getString("PK_NAME"));
      }
      System.out.println(sb);
    }
    // A transaction block: nothing is visible before commit, all after.
    c.setAutoCommit(false);
    try (Statement s = c.createStatement()) {
      s.execute("INSERT INTO nokey VALUES (1), (2)");
      s.execute("UPDATE nokey SET a = a * 10");
    }
    c.rollback();
    try (Statement s = c.createStatement()) {
      s.execute("INSERT INTO nokey VALUES (3)");
    }
    c.commit();
    c.setAutoCommit(true);
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT string_agg(a::text, ',') FROM nokey")) {
      rs.next();
      System.out.println("nokey " + rs.getString(1));
    }
    try (PreparedStatement ps = c.prepareStatement("SELECT id, price FROM items WHERE id >= ? ORDER BY id")) {
      for (int i = 0; i < 6; i++) { // the driver switches to a named server-side statement after 5 runs
        ps.setInt(1, 2);
        StringBuilder sb = new StringBuilder("rows");
        try (ResultSet rs = ps.executeQuery()) { while (rs.next()) sb.append(" ").append(rs.getInt(1)).append("=").append(rs.getBigDecimal(2)); }
        if (i == 5) System.out.println(sb);
      }
    }
    try (Statement s = c.createStatement()) {
      s.executeQuery("SELECT nope FROM items");
    } catch (SQLException e) {
      System.out.println("error " + e.getSQLState());
    }
  }
}
`), 0o644)
	if out, err := exec.Command("javac", "-cp", jar, "-d", dir, src).CombinedOutput(); err != nil {
		t.Fatalf("javac: %v\n%s", err, out)
	}
	bin := buildBinary(t)
	s := startServer(t, bin, t.TempDir(), freeAddr(t))
	defer func() { s.cmd.Process.Kill(); s.cmd.Wait() }()
	out, err := exec.Command("java", "-cp", jar+":"+dir, "Meta", s.addr).CombinedOutput()
	if err != nil {
		t.Fatalf("java: %v\n%s", err, out)
	}
	want := `PostgreSQL 15
table by_name MATERIALIZED VIEW
table items TABLE
table nokey TABLE
table pair TABLE
column id int4 NO
column name text NO
column price numeric YES
pk items id:1:items_pkey
pk pair c:1:pair_pkey a:2:pair_pkey
pk nokey
nokey 3
rows 2=null 3=3.00
error 42703
`
	if string(out) != want {
		t.Fatalf("got:\n%s\nwant:\n%s", out, want)
	}
}
