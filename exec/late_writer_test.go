package exec

import (
	"fmt"
	"testing"

	"github.com/cockroachdb/pebble/vfs"
	wlog "github.com/weir-db/weir/storage/log"
	"github.com/weir-db/weir/types"
)

// TestLateWriterExactlyOnce stages late rows, then delivers them after a
// simulated crash that appended part of them: each row reaches the topic
// once, in order.
func TestLateWriterExactlyOnce(t *testing.T) {
	st := newTestStore(t)
	l, err := wlog.Open(wlog.Options{FS: vfs.NewMem(), Dir: "log", CleanupInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	topic, err := l.CreateTopic("late", wlog.TopicConfig{Partitions: 1})
	if err != nil {
		t.Fatal(err)
	}
	ts := []types.Type{types.TText, types.TInt8}
	w := &LateWriter{Topic: topic, Types: ts, ViewID: 7, Table: 5, Prefix: []byte("late")}
	stage := func(rows ...[]types.Datum) {
		b := st.NewBatch()
		if err := w.Stage(b, rows); err != nil {
			t.Fatal(err)
		}
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	stage([]types.Datum{"v", int64(1)}, []types.Datum{"v", int64(2)})
	// The crash: the first record was appended, the rest and the
	// unstaging were not.
	first := types.AppendRow(nil, ts, []types.Datum{"v", int64(1)})
	if _, err := topic.Append(0, []wlog.Record{{Value: first, Headers: []wlog.Header{{Key: lateHeader, Value: w.header(1, 0)}}}}); err != nil {
		t.Fatal(err)
	}
	// A writer of another stream's records in between changes nothing.
	if _, err := topic.Append(0, []wlog.Record{{Value: types.AppendRow(nil, ts, []types.Datum{"other", int64(0)})}}); err != nil {
		t.Fatal(err)
	}
	w2 := &LateWriter{Topic: topic, Types: ts, ViewID: 7, Table: 5, Prefix: []byte("late")} // after the restart
	if err := w2.Deliver(st, 0); err != nil {
		t.Fatal(err)
	}
	if err := w2.Deliver(st, 0); err != nil {
		t.Fatal(err)
	}
	want := "0 v 1 7/1/0\n1 other 0 \n2 v 2 7/1/1\n"
	if got := readLate(t, topic, ts); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	// Later batches continue the sequence.
	w = w2
	stage([]types.Datum{"v", int64(3)})
	if err := w.Deliver(st, 0); err != nil {
		t.Fatal(err)
	}
	want += "3 v 3 7/2/0\n"
	if got := readLate(t, topic, ts); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

func readLate(t *testing.T, topic *wlog.Topic, ts []types.Type) string {
	var out string
	if _, err := topic.Read(0, 0, 1<<20, func(off int64, r wlog.Record) error {
		row, err := types.DecodeRow(r.Value, ts, nil)
		if err != nil {
			return err
		}
		var h []byte
		if len(r.Headers) > 0 {
			h = r.Headers[0].Value
		}
		out += fmt.Sprintf("%d %s %d %s\n", off, row[0], row[1], h)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}
