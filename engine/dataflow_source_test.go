package engine

import (
	"fmt"
	"testing"
)

// TestSourceReadReusesBlocks: a view's reads copy record values into
// blocks that later reads fill again. Reads of many blocks each, with
// values of other lengths in between, must still deliver every row
// intact: a block handed out twice within a read, or refilled while its
// rows are in use, shows as a row whose padding is not its own.
func TestSourceReadReusesBlocks(t *testing.T) {
	e, err := Open(Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	s := e.NewSession()
	run(t, s, `CREATE STREAM s (k bigint, pad text)`)
	insert := func(from, to, width int) {
		run(t, s, fmt.Sprintf(`INSERT INTO s SELECT i, repeat(chr(65 + (i %% 26)::int), %d + (i %% 7)::int) FROM generate_series(%d, %d) AS g(i)`, width, from, to))
	}
	// The first read takes about 600 KB: many blocks at once.
	insert(1, 600, 1000)
	run(t, s, `CREATE MATERIALIZED VIEW v AS SELECT k, pad FROM s`)
	run(t, s, `FLUSH`)
	// Later reads refill those blocks with values of other lengths.
	for round := 1; round <= 3; round++ {
		insert(round*1000, round*1000+400, 300*round)
		run(t, s, `FLUSH`)
	}
	got := run(t, s, `SELECT count(*), count(*) FILTER (WHERE pad <> repeat(chr(65 + (k % 26)::int), length(pad)) OR length(pad) - (k % 7)::int NOT IN (1000, 300, 600, 900)) FROM v`)
	if len(got) != 1 || got[0][0].(int64) != 600+3*401 || got[0][1].(int64) != 0 {
		t.Fatalf("view holds %v rows, bad ones second; want %d rows and none bad", got, 600+3*401)
	}
}
