package log

import (
	"errors"
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/vfs"
	"github.com/cockroachdb/pebble/vfs/errorfs"
)

// failAfter bounds how long a test waits for something that should happen
// at once; it only turns a hang into a failure.
const failAfter = 30 * time.Second

func testOptions(fs vfs.FS) Options {
	return Options{
		FS:                 fs,
		Dir:                "/data",
		SegmentBytes:       4 << 10,
		IndexIntervalBytes: 512,
		CleanupInterval:    -1,
		Logf:               func(string, ...any) {},
	}
}

func mustOpen(t testing.TB, opts Options) *Log {
	t.Helper()
	l, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func mustCreate(t testing.TB, l *Log, name string, partitions int) *Topic {
	t.Helper()
	tp, err := l.CreateTopic(name, TopicConfig{Partitions: partitions})
	if err != nil {
		t.Fatal(err)
	}
	return tp
}

// readAll reads partition p from its start to its end in steps of maxBytes.
func readAll(t testing.TB, tp *Topic, p int, maxBytes int) (offs []int64, recs []Record) {
	t.Helper()
	next := tp.StartOffset(p)
	for end := tp.EndOffset(p); next < end; {
		n, err := tp.Read(p, next, maxBytes, func(off int64, r Record) error {
			offs = append(offs, off)
			recs = append(recs, cloneRecord(r))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if n <= next {
			t.Fatalf("Read from %d made no progress", next)
		}
		next = n
	}
	return offs, recs
}

// appended is one acknowledged Append.
type appended struct {
	first int64
	recs  []Record
}

// checkAppended verifies that the acknowledged appends occupy distinct,
// contiguous offsets from 0 and that partition p holds exactly them.
func checkAppended(t *testing.T, tp *Topic, p int, acks []appended) {
	t.Helper()
	sort.Slice(acks, func(i, j int) bool { return acks[i].first < acks[j].first })
	var want []Record
	for _, a := range acks {
		if a.first != int64(len(want)) {
			t.Fatalf("append acknowledged at %d, want %d", a.first, len(want))
		}
		want = append(want, a.recs...)
	}
	offs, got := readAll(t, tp, p, 1000)
	if len(got) != len(want) {
		t.Fatalf("read %d records, want %d", len(got), len(want))
	}
	for i := range want {
		if offs[i] != int64(i) || !equalRecords(got[i], want[i]) {
			t.Fatalf("offset %d: read %d %s, want %s", i, offs[i], formatRecord(got[i]), formatRecord(want[i]))
		}
	}
}

// checkSurvived verifies that partition p holds every acknowledged append
// at its offset. (Appends acknowledged before a crash need not be
// contiguous: one acknowledged just after may sit between them.)
func checkSurvived(t *testing.T, tp *Topic, p int, acks []appended) {
	t.Helper()
	offs, got := readAll(t, tp, p, 1000)
	for _, a := range acks {
		for i, want := range a.recs {
			off := a.first + int64(i)
			if off >= int64(len(got)) {
				t.Fatalf("offset %d acknowledged but lost: end offset %d", off, len(got))
			}
			if offs[off] != off || !equalRecords(got[off], want) {
				t.Fatalf("offset %d: read %d %s, want %s", off, offs[off], formatRecord(got[off]), formatRecord(want))
			}
		}
	}
}

func writerRecords(rng *rand.Rand, w, i int) []Record {
	recs := make([]Record, 1+rng.Intn(5))
	for j := range recs {
		recs[j] = Record{
			Key:       []byte(fmt.Sprintf("w%d-%d-%d", w, i, j)),
			Value:     []byte(strings.Repeat("v", rng.Intn(200))),
			Timestamp: int64(i),
		}
	}
	return recs
}

// TestConcurrentAppends runs 8 appenders on one partition with small
// segments while a reader tails it with Wait: every append gets distinct,
// contiguous offsets, and every record reads back, before and after reopen.
func TestConcurrentAppends(t *testing.T) {
	fs := vfs.NewMem()
	opts := testOptions(fs)
	l := mustOpen(t, opts)
	tp := mustCreate(t, l, "t", 1)

	const writers, appendsEach = 8, 100
	batches := make([][][]Record, writers)
	var total int64
	for w := range batches {
		rng := rand.New(rand.NewSource(int64(w)))
		for i := 0; i < appendsEach; i++ {
			batches[w] = append(batches[w], writerRecords(rng, w, i))
			total += int64(len(batches[w][i]))
		}
	}
	var mu sync.Mutex
	var acks []appended
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for _, recs := range batches[w] {
				first, err := tp.Append(0, recs)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				acks = append(acks, appended{first, recs})
				mu.Unlock()
			}
		}(w)
	}

	// The tailer sees offsets in order with no gaps, never polling.
	tailed := make(chan int64, 1)
	go func() {
		var next int64
		for next < total {
			select {
			case <-tp.Wait(0, next):
			case <-time.After(failAfter):
				t.Error("tailer: Wait never fired")
				close(tailed)
				return
			}
			n, err := tp.Read(0, next, 1000, func(off int64, r Record) error {
				if off != next {
					return fmt.Errorf("tailer read offset %d, want %d", off, next)
				}
				next++
				return nil
			})
			if err != nil {
				if !errors.Is(err, ErrClosed) {
					t.Error(err)
				}
				tailed <- next
				return
			}
			if n != next {
				t.Errorf("Read returned next %d after offset %d", n, next-1)
			}
		}
		tailed <- next
	}()

	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	checkAppended(t, tp, 0, acks)
	if got := <-tailed; got != total || tp.EndOffset(0) != total {
		t.Errorf("tailer read up to %d, end offset %d, want %d", got, tp.EndOffset(0), total)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	l = mustOpen(t, opts)
	defer l.Close()
	tp, _ = l.Topic("t")
	checkAppended(t, tp, 0, acks)
	if n := len(segmentsOf(t, fs, "/data/t/0")); n < 10 {
		t.Errorf("only %d segments; the test should roll many", n)
	}
}

func segmentsOf(t testing.TB, fs vfs.FS, dir string) []string {
	names, err := fs.List(dir)
	if err != nil {
		t.Fatal(err)
	}
	var segs []string
	for _, n := range names {
		if strings.HasSuffix(n, logExt) {
			segs = append(segs, n)
		}
	}
	sort.Strings(segs)
	return segs
}

// TestCrashKeepsAcknowledgedAppends crashes (discards everything not
// fsynced, files and directory entries alike) at a random moment while 8
// appenders run across two partitions with small segments, then checks that
// every append acknowledged before the crash survived, and that the log
// takes appends afterwards.
func TestCrashKeepsAcknowledgedAppends(t *testing.T) {
	for seed := int64(0); seed < 8; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			fs := vfs.NewStrictMem()
			opts := testOptions(fs)
			l := mustOpen(t, opts)
			tp := mustCreate(t, l, "t", 2)

			var mu sync.Mutex
			crashed := false
			acks := make([][]appended, 2)
			progress := make(chan struct{}, 1)
			var wg sync.WaitGroup
			for w := 0; w < 8; w++ {
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					rng := rand.New(rand.NewSource(seed*100 + int64(w)))
					for i := 0; i < 60; i++ {
						p, recs := w%2, writerRecords(rng, w, i)
						first, err := tp.Append(p, recs)
						if err != nil {
							t.Error(err)
							return
						}
						mu.Lock()
						if !crashed {
							acks[p] = append(acks[p], appended{first, recs})
						}
						mu.Unlock()
						select {
						case progress <- struct{}{}:
						default:
						}
					}
				}(w)
			}
			done := make(chan struct{})
			go func() { wg.Wait(); close(done) }()
			// Crash once some appends are acknowledged. Taking mu orders the
			// crash after every acknowledgement recorded in acks.
			rng := rand.New(rand.NewSource(seed))
			target := 20 + rng.Intn(300)
			for crash := false; !crash; {
				select {
				case <-progress:
				case <-done:
				}
				mu.Lock()
				if crash = len(acks[0])+len(acks[1]) >= target; crash {
					fs.SetIgnoreSyncs(true)
					crashed = true
				}
				mu.Unlock()
			}
			<-done
			_ = l.Close() // writes nothing durable: syncs are ignored
			fs.ResetToSyncedState()
			fs.SetIgnoreSyncs(false)

			l = mustOpen(t, opts)
			defer l.Close()
			tp, ok := l.Topic("t")
			if !ok {
				t.Fatal("topic lost in crash")
			}
			for p := 0; p < 2; p++ {
				checkSurvived(t, tp, p, acks[p])
				recs := []Record{{Key: []byte("after"), Value: []byte("crash")}}
				end := tp.EndOffset(p)
				if first, err := tp.Append(p, recs); err != nil || first != end {
					t.Fatalf("append after crash: %d, %v; want %d", first, err, end)
				}
			}
		})
	}
}

// TestCrashLosesUnsyncedAppends is the control for the crash test: with
// SyncInterval > 0 acknowledged appends are not fsynced, and the crash
// harness does lose them, unless Log.Sync ran.
func TestCrashLosesUnsyncedAppends(t *testing.T) {
	for _, sync := range []bool{false, true} {
		t.Run(fmt.Sprintf("sync=%t", sync), func(t *testing.T) {
			fs := vfs.NewStrictMem()
			opts := testOptions(fs)
			opts.SyncInterval = time.Hour
			l := mustOpen(t, opts)
			tp := mustCreate(t, l, "t", 1)
			var acks []appended
			rng := rand.New(rand.NewSource(1))
			for i := 0; i < 10; i++ {
				recs := writerRecords(rng, 0, i)
				first, err := tp.Append(0, recs)
				if err != nil {
					t.Fatal(err)
				}
				acks = append(acks, appended{first, recs})
			}
			checkAppended(t, tp, 0, acks) // visible before any fsync
			if sync {
				if err := l.Sync(); err != nil {
					t.Fatal(err)
				}
			}
			fs.SetIgnoreSyncs(true)
			_ = l.Close()
			fs.ResetToSyncedState()
			fs.SetIgnoreSyncs(false)
			l = mustOpen(t, opts)
			defer l.Close()
			tp, _ = l.Topic("t")
			if sync {
				checkAppended(t, tp, 0, acks)
			} else if tp.EndOffset(0) != 0 {
				t.Fatalf("end offset %d after crash: the crash harness kept unsynced data", tp.EndOffset(0))
			}
		})
	}
}

// TestCrashAfterCreateTopic: a created topic survives a crash at once.
func TestCrashAfterCreateTopic(t *testing.T) {
	fs := vfs.NewStrictMem()
	opts := testOptions(fs)
	l := mustOpen(t, opts)
	mustCreate(t, l, "t", 3)
	fs.SetIgnoreSyncs(true)
	_ = l.Close()
	fs.ResetToSyncedState()
	fs.SetIgnoreSyncs(false)
	l = mustOpen(t, opts)
	defer l.Close()
	tp, ok := l.Topic("t")
	if !ok || tp.NumPartitions() != 3 {
		t.Fatalf("topic after crash: %v", l.Topics())
	}
	if _, err := tp.Append(2, []Record{{Value: []byte("x")}}); err != nil {
		t.Fatal(err)
	}
}

// TestSyncFailureIsSticky: after a failed fsync an append fails, and so do
// all later ones, since the file's state is unknown; reads still work.
func TestSyncFailureIsSticky(t *testing.T) {
	var fail atomic.Bool
	injected := errors.New("injected sync failure")
	fs := errorfs.Wrap(vfs.NewMem(), errorfs.InjectorFunc(func(op errorfs.Op, path string) error {
		if fail.Load() && op == errorfs.OpFileSync && strings.HasSuffix(path, logExt) {
			return injected
		}
		return nil
	}))
	l := mustOpen(t, testOptions(fs))
	defer l.Close()
	tp := mustCreate(t, l, "t", 1)
	if _, err := tp.Append(0, []Record{{Value: []byte("ok")}}); err != nil {
		t.Fatal(err)
	}
	fail.Store(true)
	if _, err := tp.Append(0, []Record{{Value: []byte("lost")}}); !errors.Is(err, injected) {
		t.Fatalf("append with failing fsync: %v", err)
	}
	fail.Store(false)
	if _, err := tp.Append(0, []Record{{Value: []byte("refused")}}); !errors.Is(err, injected) {
		t.Fatalf("append after failed fsync: %v", err)
	}
	if _, recs := readAll(t, tp, 0, 100); len(recs) != 1 || string(recs[0].Value) != "ok" {
		t.Fatalf("read %v", recs)
	}
}

func TestWait(t *testing.T) {
	l := mustOpen(t, testOptions(vfs.NewMem()))
	tp := mustCreate(t, l, "t", 1)
	w0, w2 := tp.Wait(0, 0), tp.Wait(0, 2)
	if w0 != tp.Wait(0, 0) {
		t.Error("waits for the same offset do not share a channel")
	}
	isClosed := func(ch <-chan struct{}) bool {
		select {
		case <-ch:
			return true
		default:
			return false
		}
	}
	if isClosed(w0) || isClosed(w2) {
		t.Fatal("Wait fired on an empty partition")
	}

	// A reader blocked in Wait wakes when a record is appended.
	got := make(chan string)
	go func() {
		<-w0
		_, err := tp.Read(0, 0, 100, func(_ int64, r Record) error {
			got <- string(r.Value)
			return nil
		})
		if err != nil {
			t.Error(err)
		}
	}()
	if _, err := tp.Append(0, []Record{{Value: []byte("hello")}}); err != nil {
		t.Fatal(err)
	}
	select {
	case v := <-got:
		if v != "hello" {
			t.Fatalf("tailer read %q", v)
		}
	case <-time.After(failAfter):
		t.Fatal("tailer never woke")
	}
	if isClosed(w2) {
		t.Fatal("Wait(2) fired at end offset 1")
	}
	if _, err := tp.Append(0, []Record{{Value: []byte("a")}, {Value: []byte("b")}}); err != nil {
		t.Fatal(err)
	}
	if !isClosed(w2) || !isClosed(tp.Wait(0, 1)) {
		t.Fatal("Wait did not fire once the end offset passed")
	}
	// Closing the log releases waiters.
	w9 := tp.Wait(0, 9)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if !isClosed(w9) || !isClosed(tp.Wait(0, 100)) {
		t.Fatal("Close did not release waiters")
	}
	if _, err := tp.Append(0, []Record{{}}); !errors.Is(err, ErrClosed) {
		t.Fatalf("append after close: %v", err)
	}
	if _, err := tp.Read(0, 0, 1, func(int64, Record) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Fatalf("read after close: %v", err)
	}
}

// TestOffsetForTime compares OffsetForTime with a naive scan for random,
// non-monotonic timestamps across many segments, with the indexes as
// written, as loaded on reopen, and as rebuilt.
func TestOffsetForTime(t *testing.T) {
	fs := vfs.NewMem()
	opts := testOptions(fs)
	opts.IndexIntervalBytes = 200
	l := mustOpen(t, opts)
	tp := mustCreate(t, l, "t", 1)
	rng := rand.New(rand.NewSource(1))
	var ts []int64
	clock := int64(1_000_000)
	for i := 0; i < 300; i++ {
		recs := make([]Record, 1+rng.Intn(4))
		for j := range recs {
			clock += rng.Int63n(100) - 30 // mostly rising, sometimes not
			recs[j] = Record{Value: make([]byte, rng.Intn(100)), Timestamp: clock + rng.Int63n(200) - 100}
			ts = append(ts, recs[j].Timestamp)
		}
		if _, err := tp.Append(0, recs); err != nil {
			t.Fatal(err)
		}
	}
	naive := func(target int64) int64 {
		for i, x := range ts {
			if x >= target {
				return int64(i)
			}
		}
		return int64(len(ts))
	}
	check := func(stage string) {
		t.Helper()
		lo, hi := ts[0]-1000, clock+1000
		for i := 0; i < 500; i++ {
			target := lo + rng.Int63n(hi-lo)
			if i%5 == 0 {
				target = ts[rng.Intn(len(ts))]
			}
			got, err := tp.OffsetForTime(0, target)
			if err != nil {
				t.Fatal(err)
			}
			if want := naive(target); got != want {
				t.Fatalf("%s: OffsetForTime(%d) = %d, want %d", stage, target, got, want)
			}
		}
	}
	check("written")
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l = mustOpen(t, opts)
	tp, _ = l.Topic("t")
	check("reopened")
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	for _, name := range segmentsOf(t, fs, "/data/t/0") {
		base := strings.TrimSuffix(name, logExt)
		_ = fs.Remove("/data/t/0/" + base + timeIndexExt)
	}
	l = mustOpen(t, opts)
	defer l.Close()
	tp, _ = l.Topic("t")
	check("rebuilt")
}

func TestPartitionFor(t *testing.T) {
	l := mustOpen(t, testOptions(vfs.NewMem()))
	defer l.Close()
	tp := mustCreate(t, l, "t", 7)
	for _, key := range []string{"21", "foobar", "abc", ""} {
		want := int(toPositive(murmur2([]byte(key))) % 7)
		if got := tp.PartitionFor([]byte(key)); got != want {
			t.Errorf("PartitionFor(%q) = %d, want %d", key, got, want)
		}
	}
	// "21" hashes to -973932308; toPositive gives 1173551340 (the sign bit
	// is cleared, not negated: abs would give 973932308, partition 4), and
	// 1173551340 % 7 = 3.
	if got := tp.PartitionFor([]byte("21")); got != 3 {
		t.Errorf("PartitionFor(21) = %d, want 3", got)
	}
	// Nil keys go round-robin over all partitions.
	seen := map[int]int{}
	for i := 0; i < 70; i++ {
		seen[tp.PartitionFor(nil)]++
	}
	for p := 0; p < 7; p++ {
		if seen[p] != 10 {
			t.Errorf("round-robin gave partition %d %d times of 70", p, seen[p])
		}
	}
}

// TestReadCallback: an error from the callback stops Read at that record,
// and a callback may append to the partition it reads (no lock is held).
func TestReadCallback(t *testing.T) {
	l := mustOpen(t, testOptions(vfs.NewMem()))
	defer l.Close()
	tp := mustCreate(t, l, "t", 1)
	for i := 0; i < 5; i++ {
		if _, err := tp.Append(0, []Record{{Value: []byte{byte(i)}}}); err != nil {
			t.Fatal(err)
		}
	}
	stop := errors.New("stop")
	next, err := tp.Read(0, 0, 1<<20, func(off int64, r Record) error {
		if off == 3 {
			return stop
		}
		_, err := tp.Append(0, []Record{{Value: r.Value}})
		return err
	})
	if err != stop || next != 3 {
		t.Fatalf("Read = %d, %v; want 3, stop", next, err)
	}
	if end := tp.EndOffset(0); end != 8 {
		t.Fatalf("end offset %d, want 8", end)
	}
}

func BenchmarkAppend(b *testing.B) {
	for _, batch := range []int{1, 100} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			opts := Options{FS: vfs.NewMem(), Dir: "/data", Logf: func(string, ...any) {}}
			l := mustOpen(b, opts)
			defer l.Close()
			tp := mustCreate(b, l, "t", 1)
			recs := make([]Record, batch)
			for i := range recs {
				recs[i] = Record{Key: []byte("key-00000"), Value: make([]byte, 100), Timestamp: 1}
			}
			b.SetBytes(int64(100 * batch))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := tp.Append(0, recs); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
