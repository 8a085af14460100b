package log

import (
	"bytes"
	"fmt"
	"math/rand"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/vfs"
)

// compactionModel is the naive model of a compacted partition: every
// record ever appended, by offset.
type compactionModel struct {
	recs []Record
}

func (m *compactionModel) latest() map[string]int64 {
	latest := make(map[string]int64)
	for off, r := range m.recs {
		if r.Key != nil {
			latest[string(r.Key)] = int64(off)
		}
	}
	return latest
}

// compacted is what a full compaction at nowMs leaves: every unkeyed
// record, and the latest record of each key unless it is a tombstone older
// than the grace period.
func (m *compactionModel) compacted(nowMs, tombstoneMs int64) (offs []int64) {
	latest := m.latest()
	for off, r := range m.recs {
		switch {
		case r.Key == nil:
		case latest[string(r.Key)] != int64(off):
			continue
		case r.Value == nil && r.Timestamp < nowMs-tombstoneMs:
			continue
		}
		offs = append(offs, int64(off))
	}
	return offs
}

// check verifies what a partially compacted partition may hold: records
// exactly as appended, at their offsets, in order, including every unkeyed
// record and the latest record of every key that is not a tombstone.
func (m *compactionModel) check(t *testing.T, tp *Topic) {
	t.Helper()
	offs, recs := readAll(t, tp, 0, 1+rand.Intn(4096))
	seen := make(map[int64]bool)
	for i, off := range offs {
		if i > 0 && off <= offs[i-1] {
			t.Fatalf("offset %d after %d", off, offs[i-1])
		}
		if off >= int64(len(m.recs)) || !equalRecords(recs[i], m.recs[off]) {
			t.Fatalf("offset %d: read %s, appended %s", off, formatRecord(recs[i]), formatRecord(m.recs[off]))
		}
		seen[off] = true
	}
	latest := m.latest()
	for off, r := range m.recs {
		must := r.Key == nil || latest[string(r.Key)] == int64(off) && r.Value != nil
		if must && !seen[int64(off)] {
			t.Fatalf("offset %d (%s) was dropped", off, formatRecord(r))
		}
	}
}

func randCompactionRecord(rng *rand.Rand, keys int, ts int64) Record {
	r := Record{Timestamp: ts}
	if rng.Intn(10) > 0 {
		r.Key = []byte(fmt.Sprintf("key-%d", rng.Intn(keys)))
	}
	if r.Key == nil || rng.Intn(7) > 0 {
		r.Value = bytes.Repeat([]byte{byte('a' + rng.Intn(26))}, rng.Intn(120))
	}
	if rng.Intn(5) == 0 {
		r.Headers = []Header{{Key: "h", Value: []byte{byte(rng.Intn(256))}}}
	}
	return r
}

// TestCompactionMatchesNaive runs random workloads with random segment
// sizes, compacting, rolling and reopening at random points; at the end,
// with everything sealed and compacted, the partition holds exactly what
// the naive model says, and at every point in between a subset of the
// appended records that still contains everything compaction must keep.
func TestCompactionMatchesNaive(t *testing.T) {
	for seed := int64(0); seed < 40; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewSource(seed))
			opts := testOptions(vfs.NewMem())
			opts.SegmentBytes = int64(1024 + rng.Intn(8*1024))
			opts.IndexIntervalBytes = 64 + rng.Intn(1024)
			l := mustOpen(t, opts)
			defer func() { l.Close() }()
			tombstoneMs := int64(1 + rng.Intn(500))
			tp, err := l.CreateTopic("c", TopicConfig{Partitions: 1, Compact: true, TombstoneRetentionMs: tombstoneMs})
			if err != nil {
				t.Fatal(err)
			}
			var m compactionModel
			keys := 1 + rng.Intn(60)
			now := int64(0)
			for i := 0; i < 400; i++ {
				recs := make([]Record, 1+rng.Intn(6))
				for j := range recs {
					now += int64(rng.Intn(10))
					recs[j] = randCompactionRecord(rng, keys, now)
				}
				first, err := tp.Append(0, recs)
				if err != nil {
					t.Fatal(err)
				}
				if first != int64(len(m.recs)) {
					t.Fatalf("appended at %d, want %d", first, len(m.recs))
				}
				m.recs = append(m.recs, recs...)
				switch rng.Intn(40) {
				case 0:
					forceRoll(t, tp, 0)
				case 1, 2:
					if err := l.Compact(time.UnixMilli(now)); err != nil {
						t.Fatal(err)
					}
					m.check(t, tp)
				case 3:
					if err := l.Close(); err != nil {
						t.Fatal(err)
					}
					l = mustOpen(t, opts)
					tp, _ = l.Topic("c")
					m.check(t, tp)
				}
			}
			forceRoll(t, tp, 0)
			now += int64(rng.Intn(600))
			if err := l.Compact(time.UnixMilli(now)); err != nil {
				t.Fatal(err)
			}
			want := m.compacted(now, tombstoneMs)
			offs, recs := readAll(t, tp, 0, 1+rng.Intn(4096))
			if len(offs) != len(want) {
				t.Fatalf("read %d records after compaction, want %d", len(offs), len(want))
			}
			for i, off := range offs {
				if off != want[i] || !equalRecords(recs[i], m.recs[off]) {
					t.Fatalf("record %d: read %d %s, want %d %s", i, off, formatRecord(recs[i]), want[i], formatRecord(m.recs[want[i]]))
				}
			}
			if start := tp.StartOffset(0); start != 0 {
				t.Fatalf("compaction moved the start offset to %d", start)
			}
			// Offset lookups by time agree with the records.
			for _, ts := range []int64{0, now / 3, now / 2, now} {
				got, err := tp.OffsetForTime(0, ts)
				if err != nil {
					t.Fatal(err)
				}
				wantOff := tp.EndOffset(0)
				for i, r := range recs {
					if r.Timestamp >= ts {
						wantOff = offs[i]
						break
					}
				}
				if got != wantOff {
					t.Fatalf("OffsetForTime(%d) = %d, want %d", ts, got, wantOff)
				}
			}
		})
	}
}

// TestCompactionDoesNotBlock pauses a compaction in the middle of its
// rewrite: appends, reads and retention-free calls go on meanwhile.
func TestCompactionDoesNotBlock(t *testing.T) {
	opts := testOptions(vfs.NewMem())
	opts.SegmentBytes = 1 << 20
	l := mustOpen(t, opts)
	defer l.Close()
	tp, err := l.CreateTopic("c", TopicConfig{Partitions: 1, Compact: true})
	if err != nil {
		t.Fatal(err)
	}
	var m compactionModel
	rng := rand.New(rand.NewSource(1))
	appendSome := func(n int) {
		for i := 0; i < n; i++ {
			r := randCompactionRecord(rng, 10, int64(len(m.recs)))
			if _, err := tp.Append(0, []Record{r}); err != nil {
				t.Fatal(err)
			}
			m.recs = append(m.recs, r)
		}
	}
	appendSome(200)
	forceRoll(t, tp, 0)

	paused, resume := make(chan struct{}), make(chan struct{})
	release := sync.OnceFunc(func() { close(resume) })
	defer release() // before Close, which waits for the compaction
	var once sync.Once
	tp.partition(0).testHookRewrite = func() {
		once.Do(func() {
			close(paused)
			<-resume
		})
	}
	done := make(chan error)
	go func() { done <- l.Compact(time.UnixMilli(0)) }()
	select {
	case <-paused:
	case <-time.After(failAfter):
		t.Fatal("compaction did not start")
	}
	// While the compaction is paused: appends, reads of everything, a roll.
	during := make(chan struct{})
	go func() {
		defer close(during)
		appendSome(50)
		m.check(t, tp)
		forceRoll(t, tp, 0)
		appendSome(10)
	}()
	select {
	case <-during:
	case <-time.After(failAfter):
		release()
		<-during
		t.Fatal("appends or reads blocked by a compaction in progress")
	}
	release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	m.check(t, tp)
	if len(tp.partition(0).segs) != 3 {
		t.Fatalf("%d segments, want the compacted one, the one rolled during compaction and the active one", len(tp.partition(0).segs))
	}
}

// TestCompactionWhileReading swaps out the segment a Read is in the middle
// of: the reader goes on reading the old segment's records, all as
// appended, and then the rest of the partition.
func TestCompactionWhileReading(t *testing.T) {
	opts := testOptions(vfs.NewMem())
	opts.SegmentBytes = 64 << 10
	l := mustOpen(t, opts)
	defer l.Close()
	tp, err := l.CreateTopic("c", TopicConfig{Partitions: 1, Compact: true})
	if err != nil {
		t.Fatal(err)
	}
	var m compactionModel
	for i := 0; i < 300; i++ {
		r := Record{Key: []byte{byte(i % 3)}, Value: []byte(fmt.Sprint(i)), Timestamp: int64(i)}
		if _, err := tp.Append(0, []Record{r}); err != nil {
			t.Fatal(err)
		}
		m.recs = append(m.recs, r)
	}
	forceRoll(t, tp, 0)
	old := tp.partition(0).segs[0]
	var offs []int64
	_, err = tp.Read(0, 0, 1<<20, func(off int64, r Record) error {
		if off == 0 {
			if err := l.Compact(time.UnixMilli(0)); err != nil {
				return err
			}
			if tp.partition(0).segs[0] == old {
				t.Fatal("compaction did not replace the segment")
			}
		}
		if !equalRecords(r, m.recs[off]) {
			t.Fatalf("offset %d: read %s, want %s", off, formatRecord(r), formatRecord(m.recs[off]))
		}
		offs = append(offs, off)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(offs) != 300 {
		t.Fatalf("the reader of the old segment read %d records, want all 300", len(offs))
	}
	if n := old.refs.Load(); n != 0 {
		t.Fatalf("the replaced segment has %d references left, want 0 (closed)", n)
	}
	m.check(t, tp)
	if offs, _ := readAll(t, tp, 0, 1<<20); len(offs) != 3 {
		t.Fatalf("after compaction read %v, want the last record of each of 3 keys", offs)
	}
}

// TestCompactionCrashAtEveryStep crashes a compaction pass (which merges
// and rewrites several groups) at each of its file operations in turn.
// After recovery the partition holds a valid partial compaction — every
// record as appended, in order, nothing it must keep dropped — and the next
// pass finishes the job exactly.
func TestCompactionCrashAtEveryStep(t *testing.T) {
	const tombstoneMs = 50
	finished := 0 // recoveries that finished a committed swap
	for at := 1; ; at++ {
		fs := newCrashFS()
		opts := testOptions(fs)
		opts.SegmentBytes = 1024
		opts.IndexIntervalBytes = 100
		opts.Logf = func(format string, args ...any) {
			if strings.Contains(format, "finishing interrupted compaction") {
				finished++
			}
		}
		l := mustOpen(t, opts)
		tp, err := l.CreateTopic("c", TopicConfig{Partitions: 1, Compact: true, TombstoneRetentionMs: tombstoneMs})
		if err != nil {
			t.Fatal(err)
		}
		var m compactionModel
		rng := rand.New(rand.NewSource(7))
		appendSome := func(n int) {
			for i := 0; i < n; i++ {
				r := randCompactionRecord(rng, 8, int64(len(m.recs)))
				if _, err := tp.Append(0, []Record{r}); err != nil {
					t.Fatal(err)
				}
				m.recs = append(m.recs, r)
			}
		}
		appendSome(60)
		if err := l.Compact(time.UnixMilli(0)); err != nil {
			t.Fatal(err)
		}
		appendSome(60)
		forceRoll(t, tp, 0)
		now := int64(len(m.recs))

		fs.arm(at)
		if err := l.Compact(time.UnixMilli(now)); err != nil {
			t.Fatal(err)
		}
		crashed := fs.crashed()
		_ = l.Close()
		fs.restart()

		l = mustOpen(t, opts)
		tp, _ = l.Topic("c")
		m.check(t, tp)
		if err := l.Compact(time.UnixMilli(now)); err != nil {
			t.Fatal(err)
		}
		want := m.compacted(now, tombstoneMs)
		if offs, _ := readAll(t, tp, 0, 1<<20); fmt.Sprint(offs) != fmt.Sprint(want) {
			t.Fatalf("crash at operation %d: after recovery and compaction read %v, want %v", at, offs, want)
		}
		if _, err := tp.Append(0, []Record{{Key: []byte("after"), Value: []byte("crash")}}); err != nil {
			t.Fatal(err)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		if !crashed {
			if at < 10 || finished < 2 {
				t.Fatalf("a compaction pass took only %d file operations, and %d crashes were between a swap's commit and its end", at-1, finished)
			}
			t.Logf("%d file operations, %d crashes between a swap's commit and its end", at-1, finished)
			break
		}
	}
}

// TestRetentionCrashAtEveryStep crashes a retention pass that deletes
// several segments at each of its file operations in turn: the partition
// recovers as a contiguous run of segments, every record as appended.
func TestRetentionCrashAtEveryStep(t *testing.T) {
	for at := 1; ; at++ {
		fs := newCrashFS()
		opts := testOptions(fs)
		opts.SegmentBytes = 1024
		l := mustOpen(t, opts)
		tp, err := l.CreateTopic("t", TopicConfig{Partitions: 1, RetentionMs: 10})
		if err != nil {
			t.Fatal(err)
		}
		var want []Record
		for i := 0; i < 60; i++ {
			r := Record{Key: []byte(fmt.Sprint(i)), Value: make([]byte, 60), Timestamp: int64(i)}
			if _, err := tp.Append(0, []Record{r}); err != nil {
				t.Fatal(err)
			}
			want = append(want, r)
		}
		fs.arm(at)
		if err := l.EnforceRetention(time.UnixMilli(45)); err != nil {
			t.Fatal(err)
		}
		crashed := fs.crashed()
		_ = l.Close()
		fs.restart()

		l = mustOpen(t, opts)
		tp, _ = l.Topic("t")
		start := tp.StartOffset(0)
		offs, recs := readAll(t, tp, 0, 1<<20)
		if len(offs) != 60-int(start) || tp.EndOffset(0) != 60 {
			t.Fatalf("crash at operation %d: read %d records from start %d to end %d", at, len(offs), start, tp.EndOffset(0))
		}
		for i, off := range offs {
			if off != start+int64(i) || !equalRecords(recs[i], want[off]) {
				t.Fatalf("crash at operation %d: read %d %s, want %d %s", at, off, formatRecord(recs[i]), start+int64(i), formatRecord(want[off]))
			}
		}
		if err := l.EnforceRetention(time.UnixMilli(45)); err != nil {
			t.Fatal(err)
		}
		if s := tp.StartOffset(0); s == 0 || tp.partition(0).segs[0].maxTimestamp() < 35 {
			t.Fatalf("crash at operation %d: after a second pass start offset %d", at, s)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		if !crashed {
			if at < 4 {
				t.Fatalf("a retention pass took only %d file operations", at-1)
			}
			break
		}
	}
}
