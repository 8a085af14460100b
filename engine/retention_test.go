package engine

import (
	"strings"
	"testing"
	"time"

	wlog "github.com/weir-db/weir/storage/log"
)

// TestViewOverExpiredRecords: a view that starts after retention deleted
// part of its stream reads what the log still holds instead of failing, and
// its position shows as a consumer group of the log.
func TestViewOverExpiredRecords(t *testing.T) {
	e, err := Open(Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	s := e.NewSession()
	run(t, s, `CREATE STREAM s (k text, pad text) WITH (segment_bytes = 4096, retention_ms = 1)`)
	for i := 0; i < 20; i++ {
		run(t, s, `INSERT INTO s VALUES ('x', '`+strings.Repeat("p", 500)+`')`)
	}
	time.Sleep(5 * time.Millisecond) // retention is by the records' append time
	if err := e.log.EnforceRetention(time.Now()); err != nil {
		t.Fatal(err)
	}
	topic, _ := e.log.Topic("s")
	if topic.StartOffset(0) == 0 {
		t.Fatal("retention deleted nothing; the test needs sealed, expired segments")
	}
	for i := 0; i < 3; i++ {
		run(t, s, `INSERT INTO s VALUES ('x', 'fresh')`)
	}
	run(t, s, `CREATE MATERIALIZED VIEW v AS SELECT k, count(*) AS n FROM s GROUP BY k`)
	run(t, s, `FLUSH`)
	got := run(t, s, `SELECT n FROM v`)
	kept := topic.EndOffset(0) - topic.StartOffset(0)
	if len(got) != 1 || got[0][0].(int64) != kept || kept < 3 {
		t.Fatalf("view counts %v, want the %d records the log still holds", got, kept)
	}
	offs, err := e.log.FetchOffsets("weir.view.v")
	if err != nil {
		t.Fatal(err)
	}
	if offs[wlog.TopicPartition{Topic: "s", Partition: 0}] != topic.EndOffset(0) {
		t.Fatalf("consumer group offsets %v, want the view's position %d", offs, topic.EndOffset(0))
	}
}
