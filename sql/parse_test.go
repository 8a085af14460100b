package sql

import (
	"testing"

	"github.com/weir-db/weir/types"
)

type testCatalog map[string]*Relation

func (c testCatalog) Relation(name string) (*Relation, bool) { r, ok := c[name]; return r, ok }

func newTestCatalog() testCatalog {
	return testCatalog{
		"s": {Name: "s", Kind: RelStream, WatermarkCol: 2, Columns: []Column{
			{Name: "k", Type: types.TText}, {Name: "x", Type: types.TInt8}, {Name: "ts", Type: types.TTimestamp}}},
		"t": {Name: "t", Kind: RelTable, PrimaryKey: []int{0}, Columns: []Column{
			{Name: "id", Type: types.TInt4}, {Name: "name", Type: types.TVarchar}, {Name: "v", Type: types.TFloat8}}},
	}
}

func bindOne(t *testing.T, text string) (Statement, error) {
	t.Helper()
	ps, err := Parse(text)
	if err != nil {
		return nil, err
	}
	if len(ps) != 1 {
		t.Fatalf("%q: %d statements", text, len(ps))
	}
	return Bind(ps[0], newTestCatalog())
}

func TestBindOK(t *testing.T) {
	for _, q := range []string{
		"CREATE STREAM s2 (k text, x bigint, ts timestamp, WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) WITH (partitions = 4)",
		"CREATE TABLE t2 (a int PRIMARY KEY, b varchar(10) NOT NULL, c numeric(10,2), d double precision)",
		"CREATE TABLE t3 (a int, b text, PRIMARY KEY (a, b))",
		"CREATE TABLE e (a int, ts timestamp) APPEND ONLY",
		"CREATE MATERIALIZED VIEW v AS SELECT window_start, k, count(*), sum(x), min(x), max(x) FROM TUMBLE(s, ts, INTERVAL '10' SECOND) GROUP BY window_start, k EMIT ON WINDOW CLOSE",
		"CREATE MATERIALIZED VIEW v AS SELECT name, count(*) AS n, sum(v) FROM t GROUP BY name",
		"SELECT * FROM t WHERE id > 1 AND name <> 'x' ORDER BY v DESC LIMIT 3",
		"SELECT id::text, CAST(v AS int), '5'::bigint + 1, 1/2, 7 % 3, -id FROM t",
		"SELECT count(*) FILTER (WHERE x > 1), count(DISTINCT k) FROM s",
		"SELECT k, sum(x) FROM s GROUP BY 1 HAVING sum(x) > 10 ORDER BY 2",
		"SELECT CASE WHEN x > 1 THEN 'big' ELSE 'small' END FROM s",
		"SELECT ts + INTERVAL '1 hour', ts - TIMESTAMP '2024-01-01 00:00:00' FROM s",
		"SELECT name || '!' FROM t WHERE name LIKE 'a%' AND id IN (1, 2, 3) AND v BETWEEN 0 AND 1 AND name IS NOT NULL",
		"INSERT INTO t VALUES (1, 'a', 1.5), (2, NULL, 2)",
		"INSERT INTO t (id) VALUES (3)",
		"INSERT INTO s VALUES ('a', 1, '2024-01-01 00:00:01')",
		"UPDATE t SET v = v + 1 WHERE id = 1",
		"DELETE FROM t WHERE name = 'a'",
		"SELECT true, false, NOT true",
		"SELECT DISTINCT k FROM s",
		"SELECT * FROM TABLE(TUMBLE(TABLE s, DESCRIPTOR(ts), INTERVAL '10' SECOND))",
		"FLUSH",
		"DROP MATERIALIZED VIEW IF EXISTS v",
	} {
		if _, err := bindOne(t, q); err != nil {
			t.Errorf("%s: %v", q, err)
		}
	}
}

func TestBindErrors(t *testing.T) {
	for _, c := range []struct {
		q    string
		code string
		pos  int
	}{
		{"SELEC 1", types.CodeSyntaxError, 1},
		{"SELECT * FROM nope", types.CodeUndefinedTable, 15},
		{"SELECT nope FROM t", types.CodeUndefinedColumn, 8},
		{"SELECT 1 +", types.CodeSyntaxError, 0},
		{"SELECT name, count(*) FROM t", types.CodeGroupingError, 0},
		{"INSERT INTO t VALUES ('abc')", types.CodeInvalidTextRepresent, 0},
		{"SELECT name + 1 FROM t", types.CodeUndefinedFunction, 0},
		{"SELECT * FROM t WHERE id", types.CodeDatatypeMismatch, 0},
		{"UPDATE s SET x = 1", types.CodeWrongObjectType, 0},
		{"CREATE STREAM q (a int, ts text, WATERMARK FOR ts AS ts)", types.CodeDatatypeMismatch, 0},
		{"SELECT * FROM TUMBLE(s, ts, INTERVAL '0' SECOND)", types.CodeInvalidParameterValue, 0},
		{"SELECT * FROM TUMBLE(s, k, INTERVAL '1' SECOND)", types.CodeDatatypeMismatch, 0},
		{"SELECT 'unterminated", types.CodeSyntaxError, 8},
	} {
		_, err := bindOne(t, c.q)
		if err == nil {
			t.Errorf("%s: no error", c.q)
			continue
		}
		e := types.AsError(err)
		if e.Code != c.code || c.pos > 0 && e.Position != c.pos {
			t.Errorf("%s: got %s %q at %d, want %s at %d", c.q, e.Code, e.Message, e.Position, c.code, c.pos)
		}
	}
}

func TestSplitStatements(t *testing.T) {
	ps, err := Parse("SELECT 1; SELECT ';' ; ; FLUSH")
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 3 || ps[1].Text != "SELECT ';'" {
		t.Fatalf("got %d statements: %+v", len(ps), ps)
	}
}

func FuzzParse(f *testing.F) {
	f.Add("SELECT a::int FROM TUMBLE(s, ts, INTERVAL '1' SECOND) WHERE x = 'y' GROUP BY 1")
	f.Add("CREATE STREAM s (a int, WATERMARK FOR a AS a - INTERVAL '1' SECOND) WITH (partitions = 2)")
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := Parse(s)
		if err != nil {
			if types.ErrorCode(err) == types.CodeInternalError {
				t.Fatalf("internal error for %q: %v", s, err)
			}
			return
		}
		for _, p := range ps {
			_, _ = Bind(p, newTestCatalog())
		}
	})
}
