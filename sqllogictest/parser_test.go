package sqllogictest

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sqliteCorpus is SQLite's select1-5.test, kept beside the repository.
var sqliteCorpus = filepath.Join("..", "..", "shared", "sqllogictest", "sqlite")

func sqliteFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(sqliteCorpus, "select*.test"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Skipf("SQLite corpus not found in %s", sqliteCorpus)
	}
	return files
}

// TestParseSQLiteCorpus parses SQLite's files and checks that every
// statement and query header became a record.
func TestParseSQLiteCorpus(t *testing.T) {
	for _, path := range sqliteFiles(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			records, err := ParseFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var statements, queries int
			for _, r := range records {
				switch r.(type) {
				case *Statement:
					statements++
				case *Query:
					queries++
				}
			}
			wantStatements, wantQueries := countHeaders(t, path)
			if statements != wantStatements || queries != wantQueries {
				t.Errorf("parsed %d statements and %d queries, file has %d and %d",
					statements, queries, wantStatements, wantQueries)
			}
		})
	}
}

// countHeaders counts the lines starting statement and query records the
// naive way.
func countHeaders(t *testing.T, path string) (statements, queries int) {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		switch {
		case strings.HasPrefix(s.Text(), "statement "):
			statements++
		case strings.HasPrefix(s.Text(), "query "):
			queries++
		}
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return statements, queries
}

func TestStripInlineComment(t *testing.T) {
	for in, want := range map[string]string{
		"skipif mysql # not compatible": "skipif mysql",
		"skipif mysql\t# tab":           "skipif mysql",
		"statement error a#b":           "statement error a#b",
		"halt":                          "halt",
	} {
		if got := stripInlineComment(in); got != want {
			t.Errorf("stripInlineComment(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzParse checks that no input makes the parser panic, and that records
// it accepts point into the input.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"statement ok\nSELECT 1\n",
		"statement count 2 retry 1 backoff 1s\nINSERT\n",
		"statement error x # comment\nSELECT\n----\nmsg\n\n\n",
		"query IT rowsort label\nSELECT 1\n----\n1 a\n\nhalt\n",
		"skipif a\nonlyif b\nquery error\nSELECT\n----\n",
		"hash-threshold 8\ncontrol sortmode valuesort\ncontrol resultmode valuewise\nsleep 1ms\nsubtest s\n",
		"connection c\nquery\nSELECT\n",
	} {
		f.Add(seed)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, src string) {
		if strings.Contains(src, "include") {
			return // keep the fuzzer off the file system
		}
		records, err := Parse(filepath.Join(dir, "fuzz.slt"), []byte(src))
		if err != nil {
			if _, ok := err.(*ParseError); !ok {
				t.Fatalf("error %v is not a *ParseError", err)
			}
			return
		}
		lines := strings.Count(src, "\n") + 1
		for _, r := range records {
			if l := r.Position().Line; l < 1 || l > lines {
				t.Fatalf("record at line %d of a %d-line input", l, lines)
			}
		}
	})
}
