package log

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/vfs"
)

// indexFixture is a closed log whose partition has several sealed segments,
// with timestamps out of order, and the records in it.
func indexFixture(t testing.TB) (*vfs.MemFS, Options, []Record, []string) {
	fs := vfs.NewMem()
	opts := testOptions(fs)
	opts.SegmentBytes = 2048
	opts.IndexIntervalBytes = 100
	l := mustOpen(t, opts)
	tp := mustCreate(t, l, "t", 1)
	var recs []Record
	for i := 0; i < 120; i++ {
		r := Record{Key: []byte(fmt.Sprint(i)), Value: make([]byte, i%50), Timestamp: int64(i*7%100) + int64(i/10)*50}
		if _, err := tp.Append(0, []Record{r}); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	var idx []string
	for _, name := range segmentsOf(t, fs, "/data/t/0") {
		base := name[:segmentNameDigits]
		if _, err := fs.Stat("/data/t/0/" + base + indexExt); err == nil {
			idx = append(idx, "/data/t/0/"+base+indexExt, "/data/t/0/"+base+timeIndexExt)
		}
	}
	if len(idx) < 4 {
		t.Fatalf("fixture has %d index files, want several segments", len(idx))
	}
	return fs, opts, recs, idx
}

// FuzzIndex replaces one sealed segment's .index or .timeindex file with
// arbitrary bytes. Opening must not panic (it may rebuild the index), the
// index may cost time but never correctness — every Read returns exactly
// the records appended, from exactly the offset asked for — and lookups
// stay within the segment and the partition.
func FuzzIndex(f *testing.F) {
	fs, opts, recs, idx := indexFixture(f)
	for i, path := range idx {
		b := readFile(f, fs, path)
		f.Add(uint8(i), b)
		// Damage an interior entry, which the checks at open (of the last
		// entry) do not see: its position, then its offset.
		if len(b) >= 3*offsetEntrySize && i%2 == 0 {
			bad := append([]byte(nil), b...)
			copy(bad[offsetEntrySize+4:], []byte{0xff, 0xff, 0xff, 0x00})
			f.Add(uint8(i), bad)
			bad = append([]byte(nil), b...)
			copy(bad[offsetEntrySize:], []byte{0x00, 0x00, 0xff, 0x00})
			f.Add(uint8(i), bad)
		}
	}
	f.Add(uint8(0), []byte{})
	f.Add(uint8(0), []byte{0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff})
	f.Add(uint8(1), []byte{0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0})
	f.Add(uint8(2), []byte{0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 200})
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		mem := vfs.NewMem()
		if _, err := vfs.Clone(fs, mem, "/data", "/data"); err != nil {
			t.Fatal(err)
		}
		writeWholeFile(t, mem, idx[int(which)%len(idx)], data)
		o := opts
		o.FS = mem
		l := mustOpen(t, o)
		defer l.Close()
		tp, _ := l.Topic("t")
		end := tp.EndOffset(0)
		if tp.StartOffset(0) != 0 || end != int64(len(recs)) {
			t.Fatalf("offsets [%d, %d), want [0, %d)", tp.StartOffset(0), end, len(recs))
		}
		p := tp.partition(0)
		for _, s := range p.segs {
			for off := s.base - 1; off <= s.next; off++ {
				pos, batchBase, err := s.position(off)
				if err != nil {
					t.Fatal(err)
				}
				if pos < 0 || pos > s.size || pos == s.size && s.size > 0 || batchBase < s.base || batchBase > max(off, s.base) {
					t.Fatalf("segment %s: position(%d) = %d, %d outside the segment of %d bytes from %d", s.name, off, pos, batchBase, s.size, s.base)
				}
			}
			for _, ts := range []int64{math.MinInt64, -1, 0, 50, 333, 1000, math.MaxInt64} {
				pos, batchBase, err := s.timePosition(ts)
				if err != nil {
					t.Fatal(err)
				}
				if pos < 0 || pos > s.size || pos == s.size && s.size > 0 || batchBase < s.base || batchBase >= s.next {
					t.Fatalf("segment %s: timePosition(%d) = %d, %d outside the segment of %d bytes, offsets [%d, %d)", s.name, ts, pos, batchBase, s.size, s.base, s.next)
				}
			}
		}
		for from := int64(0); from <= end; from += 7 {
			want := from
			_, err := tp.Read(0, from, 300, func(off int64, r Record) error {
				if off != want || !equalRecords(r, recs[off]) {
					t.Fatalf("Read from %d: got %d %s, want %d %s", from, off, formatRecord(r), want, formatRecord(recs[want]))
				}
				want++
				return nil
			})
			if err != nil {
				t.Fatalf("Read from %d: %v", from, err)
			}
			if want == from && from < end {
				t.Fatalf("Read from %d returned nothing", from)
			}
		}
		for _, ts := range []int64{-1, 0, 33, 250, 400, 1000} {
			off, err := tp.OffsetForTime(0, ts)
			if err != nil {
				t.Fatalf("OffsetForTime(%d): %v", ts, err)
			}
			if off < 0 || off > end || off < end && recs[off].Timestamp < ts {
				t.Fatalf("OffsetForTime(%d) = %d, outside [0, %d] or too early", ts, off, end)
			}
		}
	})
}

// TestMissingMiddleSegment: a segment gone from the middle of a partition
// is a hole in acknowledged data; the log refuses to open it rather than
// serve the records around the hole, naming what is missing.
func TestMissingMiddleSegment(t *testing.T) {
	fs, opts, _, _ := indexFixture(t)
	segs := segmentsOf(t, fs, "/data/t/0")
	if len(segs) < 3 {
		t.Fatalf("fixture has %d segments, want at least 3", len(segs))
	}
	gone := segs[len(segs)/2]
	if err := fs.Remove("/data/t/0/" + gone); err != nil {
		t.Fatal(err)
	}
	_, err := Open(opts)
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(fmt.Sprint(err), gone) {
		t.Fatalf("opening a partition without segment %s: got %v, want a corruption error naming it", gone, err)
	}
}
