package sqllogictest

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// pgURLEnv names the variable holding a connection string for TestPGDB, e.g.
// postgres://postgres@localhost:5432/postgres.
const pgURLEnv = "SQLLOGICTEST_PG_URL"

// TestPGDB runs testdata/runner/pg_smoke.test against a PostgreSQL-wire
// server, when one is configured.
func TestPGDB(t *testing.T) {
	url := os.Getenv(pgURLEnv)
	if url == "" {
		t.Skipf("%s not set", pgURLEnv)
	}
	var out bytes.Buffer
	res, err := RunFile(context.Background(), NewPGOpener(url), filepath.Join("testdata", "runner", "pg_smoke.test"),
		Options{Out: &out, QueryTimeout: 30 * time.Second})
	if err != nil || res.Failed > 0 || res.Passed == 0 {
		t.Fatalf("got %s, %v\n%s", res, err, out.String())
	}
}

func TestRowsAffected(t *testing.T) {
	for tag, want := range map[string]int64{
		"INSERT 0 3":   3,
		"UPDATE 2":     2,
		"SELECT 5":     5,
		"DELETE 0":     0,
		"CREATE TABLE": -1,
		"BEGIN":        -1,
		"":             -1,
	} {
		if got := rowsAffected(tag); got != want {
			t.Errorf("rowsAffected(%q) = %d, want %d", tag, got, want)
		}
	}
}
