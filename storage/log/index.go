package log

import (
	"encoding/binary"
	"fmt"
	"math"
	"sort"

	"github.com/cockroachdb/pebble/vfs"
)

const (
	// offsetEntrySize is an .index entry: relative offset uint32, position uint32.
	offsetEntrySize = 8
	// timeEntrySize is a .timeindex entry: timestamp int64, relative offset uint32.
	timeEntrySize = 12
)

// index is one of a segment's two sparse lookup tables: fixed-width
// big-endian entries sorted by their first field. While the segment is active
// the entries live in mem (they are rebuilt from the log on recovery, so
// writing them to disk before the segment is sealed would buy nothing); once
// sealed they live only in the file, and lookups binary-search it with
// ReadAt, so sealed segments cost no heap.
//
// The partition's segMu guards mem and the switch to the file; a sealed
// index is immutable.
type index struct {
	name  string // file name, for errors
	width int
	mem   []byte   // active: the entries
	f     vfs.File // sealed: the index file
	n     int      // sealed: entries in f
}

func (x *index) len() int {
	if x.f != nil {
		return x.n
	}
	return len(x.mem) / x.width
}

// entry returns entry i, reading it into buf (of x.width bytes) if sealed.
func (x *index) entry(i int, buf []byte) ([]byte, error) {
	if x.f == nil {
		return x.mem[i*x.width : (i+1)*x.width], nil
	}
	if _, err := x.f.ReadAt(buf, int64(i*x.width)); err != nil {
		return nil, fmt.Errorf("reading index %s entry %d: %w", x.name, i, err)
	}
	return buf, nil
}

// count returns the number of leading entries for which below is true;
// below must be true for a prefix of the entries and false after it.
func (x *index) count(below func(e []byte) bool) (int, error) {
	var buf [timeEntrySize]byte
	var err error
	n := sort.Search(x.len(), func(i int) bool {
		if err != nil {
			return true
		}
		var e []byte
		if e, err = x.entry(i, buf[:x.width]); err != nil {
			return true
		}
		return !below(e)
	})
	return n, err
}

// last returns the last entry, or nil if there is none.
func (x *index) last(buf []byte) ([]byte, error) {
	if x.len() == 0 {
		return nil, nil
	}
	return x.entry(x.len()-1, buf)
}

func (x *index) close() error {
	if x.f == nil {
		return nil
	}
	err := x.f.Close()
	x.f = nil
	return err
}

func offsetEntry(e []byte) (rel uint32, pos uint32) {
	return binary.BigEndian.Uint32(e), binary.BigEndian.Uint32(e[4:])
}

func appendOffsetEntry(b []byte, rel, pos uint32) []byte {
	b = binary.BigEndian.AppendUint32(b, rel)
	return binary.BigEndian.AppendUint32(b, pos)
}

func timeEntry(e []byte) (ts int64, rel uint32) {
	return int64(binary.BigEndian.Uint64(e)), binary.BigEndian.Uint32(e[8:])
}

// appendTimeEntry adds (ts, rel) to the time index entries in b. Entry (T, r)
// promises that every record of the segment before relative offset r has a
// timestamp <= T, so timestamps never decrease; when ts equals the last
// entry's timestamp the last entry moves forward to rel instead, which keeps
// the index strictly increasing and lets lookups start as late as possible.
func appendTimeEntry(b []byte, ts int64, rel uint32) []byte {
	if n := len(b); n > 0 {
		if last, _ := timeEntry(b[n-timeEntrySize:]); last == ts {
			binary.BigEndian.PutUint32(b[n-4:], rel)
			return b
		}
	}
	b = binary.BigEndian.AppendUint64(b, uint64(ts))
	return binary.BigEndian.AppendUint32(b, rel)
}

// indexer decides where a segment gets index entries: one pair (an offset
// entry and, if the maximum timestamp grew, a time entry) for the first batch
// written after every interval bytes. The writer and the index rebuild share
// it, so a rebuilt index is identical to the one written.
type indexer struct {
	interval int64
	since    int64 // bytes since the last entry
	maxTs    int64 // largest timestamp in the segment so far
	empty    bool
}

func newIndexer(interval int64) indexer {
	return indexer{interval: interval, maxTs: math.MinInt64, empty: true}
}

// add records that the batch h was written at pos of a segment whose base
// offset is base, appending any entries to offsets and times.
func (ix *indexer) add(offsets, times []byte, base, pos int64, h *batchHeader) ([]byte, []byte) {
	if !ix.empty && ix.since >= ix.interval {
		rel := uint32(h.baseOffset - base)
		offsets = appendOffsetEntry(offsets, rel, uint32(pos))
		times = appendTimeEntry(times, ix.maxTs, rel)
		ix.since = 0
	}
	ix.empty = false
	ix.since += h.size()
	if h.numRecords > 0 {
		ix.maxTs = max(ix.maxTs, h.maxTimestamp)
	}
	return offsets, times
}

// seal appends the final time entry of a segment whose next offset is end:
// the segment's maximum timestamp, which recovery reads back from it.
func (ix *indexer) seal(times []byte, base, end int64) []byte {
	if ix.empty {
		return times
	}
	return appendTimeEntry(times, ix.maxTs, uint32(end-base))
}
