package log

import (
	"errors"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/vfs"
)

// forceRoll seals the active segment of partition p, as a roll does.
func forceRoll(t testing.TB, tp *Topic, p int) {
	t.Helper()
	part := tp.partition(p)
	part.ioMu.Lock()
	defer part.ioMu.Unlock()
	s := part.segs[len(part.segs)-1]
	if s.size == 0 {
		return
	}
	if err := part.roll(s, s.next); err != nil {
		t.Fatal(err)
	}
}

// TestRetentionWhileReading deletes the segment a Read is in the middle of:
// the reader finishes it (its file stays open until released), and the
// next Read from before the new start offset is out of range.
func TestRetentionWhileReading(t *testing.T) {
	l := mustOpen(t, testOptions(vfs.NewMem()))
	defer l.Close()
	tp, err := l.CreateTopic("t", TopicConfig{Partitions: 1, RetentionBytes: 1})
	if err != nil {
		t.Fatal(err)
	}
	var want []Record
	for i := 0; i < 40; i++ {
		r := Record{Key: []byte{byte(i)}, Value: make([]byte, 300), Timestamp: int64(i)}
		want = append(want, r)
		if _, err := tp.Append(0, []Record{r}); err != nil {
			t.Fatal(err)
		}
	}
	first := len(tp.partition(0).segs)
	if first < 3 {
		t.Fatalf("%d segments, want several", first)
	}
	n := 0
	next, err := tp.Read(0, 0, 1<<20, func(off int64, r Record) error {
		if n == 0 {
			if err := l.EnforceRetention(time.UnixMilli(0)); err != nil {
				return err
			}
			if tp.StartOffset(0) == 0 {
				t.Fatal("retention deleted nothing")
			}
		}
		if off != int64(n) || !equalRecords(r, want[n]) {
			t.Fatalf("read %d %s, want %d %s", off, formatRecord(r), n, formatRecord(want[n]))
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The reader saw at least the segment it had started; it may have been
	// cut short where the deleted segments ended.
	if next < 1 || int64(n) != next {
		t.Fatalf("read %d records up to %d", n, next)
	}
	if len(tp.partition(0).segs) != 1 {
		t.Fatalf("%d segments left, want the active one", len(tp.partition(0).segs))
	}
	start := tp.StartOffset(0)
	if next < start {
		if _, err := tp.Read(0, next, 1<<20, func(int64, Record) error { return nil }); !errors.Is(err, ErrOffsetOutOfRange) {
			t.Fatalf("read from %d before start %d: %v, want out of range", next, start, err)
		}
	}
	offs, _ := readAll(t, tp, 0, 1<<20)
	if len(offs) == 0 || offs[0] != start || offs[len(offs)-1] != 39 {
		t.Fatalf("after retention read offsets %v, want %d to 39", offs, start)
	}
}

func TestSetConfigValidates(t *testing.T) {
	l := mustOpen(t, testOptions(vfs.NewMem()))
	defer l.Close()
	tp := mustCreate(t, l, "t", 2)
	for _, cfg := range []TopicConfig{
		{Partitions: 2, RetentionMs: -1},
		{Partitions: 2, RetentionBytes: -5},
		{Partitions: 2, TombstoneRetentionMs: -1},
		{Partitions: 2, SegmentBytes: 10},
		{Partitions: 3},
	} {
		if err := tp.SetConfig(cfg); err == nil {
			t.Errorf("SetConfig(%+v) succeeded", cfg)
		}
	}
	if got := tp.Config(); got != (TopicConfig{Partitions: 2}) {
		t.Fatalf("config changed to %+v by failed SetConfig calls", got)
	}
	if err := l.DropTopic("t"); err != nil {
		t.Fatal(err)
	}
	if err := tp.SetConfig(TopicConfig{Partitions: 2, RetentionMs: 5}); !errors.Is(err, ErrClosed) {
		t.Fatalf("SetConfig on a dropped topic: %v", err)
	}
}
