package sqllogictest

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestHashValues(t *testing.T) {
	// Digests from md5sum.
	for _, tc := range []struct {
		values []string
		want   string
	}{
		{[]string{"1", "2"}, "6ddb4095eb719e2a9f0a3f95677d24e0"},
		{[]string{"NULL", "(empty)", "hello world"}, "fe0e59a37813792d2c87ec94662bdec2"},
	} {
		if got := hashValues(tc.values); got != tc.want {
			t.Errorf("hashValues(%q) = %s, want %s", tc.values, got, tc.want)
		}
	}
}

// TestSQLiteHashes reproduces hashes SQLite wrote in select1.test. The
// query results are computed here in Go from the file's INSERT statements,
// served by the fake database, and checked by the runner against the file's
// own expected "30 values hashing to ..." lines.
func TestSQLiteHashes(t *testing.T) {
	path := filepath.Join(sqliteCorpus, "select1.test")
	src, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		t.Skipf("%s not found", path)
	} else if err != nil {
		t.Fatal(err)
	}
	rows := selectOneRows(t, string(src))
	if len(rows) != 30 {
		t.Fatalf("found %d rows in t1, want 30", len(rows))
	}

	// SELECT CASE WHEN c>(SELECT avg(c) FROM t1) THEN a*2 ELSE b*10 END
	//   FROM t1 ORDER BY 1
	var sumC int
	for _, r := range rows {
		sumC += r["c"]
	}
	var q1 []int
	for _, r := range rows {
		// c > avg(c), multiplied out to stay in integers.
		if r["c"]*len(rows) > sumC {
			q1 = append(q1, r["a"]*2)
		} else {
			q1 = append(q1, r["b"]*10)
		}
	}
	slices.Sort(q1)

	// SELECT a+b*2+c*3+d*4+e*5, (a+b+c+d+e)/5 FROM t1 ORDER BY 1,2
	var q2 [][]int
	for _, r := range rows {
		q2 = append(q2, []int{
			r["a"] + r["b"]*2 + r["c"]*3 + r["d"]*4 + r["e"]*5,
			(r["a"] + r["b"] + r["c"] + r["d"] + r["e"]) / 5,
		})
	}
	slices.SortFunc(q2, slices.Compare[[]int])

	records, err := ParseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var queries []*Query
	for _, r := range records {
		if q, ok := r.(*Query); ok && len(queries) < 2 {
			queries = append(queries, q)
		}
	}
	if queries[0].Expected[0] != "30 values hashing to 3c13dee48d9356ae19af2515e05e6b54" ||
		queries[1].Expected[0] != "60 values hashing to 808146289313018fce25f1a280bd8c30" {
		t.Fatalf("select1.test's first queries are not the expected ones: %q, %q", queries[0].Expected, queries[1].Expected)
	}

	server := newFakeServer()
	defer server.release()
	var def strings.Builder
	def.WriteString("on " + normalize(queries[0].SQL) + "\n  columns: x\n")
	for _, v := range q1 {
		def.WriteString("  row: " + strconv.Itoa(v) + "\n")
	}
	def.WriteString("on " + normalize(queries[1].SQL) + "\n  columns: x | y\n")
	for _, r := range q2 {
		def.WriteString("  row: " + strconv.Itoa(r[0]) + " | " + strconv.Itoa(r[1]) + "\n")
	}
	if err := server.define(def.String()); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "select1_head.slt")
	var slt strings.Builder
	for _, q := range queries {
		slt.WriteString("query " + q.Types + " " + q.SortMode.String() + "\n" + q.SQL + "\n----\n" + q.Expected[0] + "\n\n")
	}
	writeFile(t, file, slt.String())
	var out bytes.Buffer
	res, err := RunFile(context.Background(), server.open, file, Options{Out: &out})
	if err != nil || res != (Result{Passed: 2}) {
		t.Fatalf("got %s, %v; want 2 passed\n%s", res, err, out.String())
	}
}

// selectOneRows extracts t1's rows from select1.test's INSERT statements,
// which name their columns in varying orders.
func selectOneRows(t *testing.T, src string) []map[string]int {
	insert := regexp.MustCompile(`INSERT INTO t1\(([a-e,]+)\) VALUES\(([0-9,]+)\)`)
	var rows []map[string]int
	for _, m := range insert.FindAllStringSubmatch(src, -1) {
		cols, vals := strings.Split(m[1], ","), strings.Split(m[2], ",")
		row := map[string]int{}
		for i, c := range cols {
			v, err := strconv.Atoi(vals[i])
			if err != nil {
				t.Fatal(err)
			}
			row[c] = v
		}
		rows = append(rows, row)
	}
	return rows
}
