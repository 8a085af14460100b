package sql

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPsqlCatalogQueriesParse parses every catalog query psql 15 sends for
// its \d family (recorded from a real PostgreSQL 15 server).
func TestPsqlCatalogQueriesParse(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "catalog", "psql15.sql"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, q := range strings.Split(string(b), "\n;;;\n") {
		var lines []string
		for _, l := range strings.Split(q, "\n") {
			if !strings.HasPrefix(l, "-- ") {
				lines = append(lines, l)
			}
		}
		q = strings.TrimSpace(strings.Join(lines, "\n"))
		if q == "" || q == ";;;" {
			continue
		}
		n++
		if _, err := Parse(q); err != nil {
			t.Errorf("%v\n%s", err, q)
		}
	}
	if n < 20 {
		t.Fatalf("only %d queries in the fixture", n)
	}
}
