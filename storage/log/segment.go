package log

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/pebble/vfs"
)

const (
	logExt       = ".log"
	indexExt     = ".index"
	timeIndexExt = ".timeindex"
	tmpExt       = ".tmp"

	// segmentNameDigits is the width of a segment file's zero-padded base
	// offset, as in Kafka.
	segmentNameDigits = 20
)

// segmentFileName names a segment's file with the given extension.
func segmentFileName(base int64, ext string) string {
	return fmt.Sprintf("%0*d%s", segmentNameDigits, base, ext)
}

// parseSegmentFileName is the inverse of segmentFileName.
func parseSegmentFileName(name string) (base int64, ext string, ok bool) {
	if len(name) <= segmentNameDigits {
		return 0, "", false
	}
	digits, ext := name[:segmentNameDigits], name[segmentNameDigits:]
	if strings.Trim(digits, "0123456789") != "" {
		return 0, "", false
	}
	base, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		return 0, "", false
	}
	return base, ext, true
}

// A segment is one .log file of a partition with its two sparse indexes. The
// last segment of a partition is active: it alone is written, its indexes
// live in memory, and recovery rescans it. Rolling seals it: its log is
// fsynced, its indexes written and fsynced, and it never changes again.
type segment struct {
	dir  string
	name string // the .log file's base name, for errors
	base int64
	f    vfs.File

	// Published state: what readers may see. Guarded by partition.segMu.
	offsets index
	times   index
	size    int64   // bytes of published batches
	next    int64   // offset after the last published batch (for a sealed segment, the next segment's base)
	ix      indexer // where the next index entry goes; ix.maxTs is the segment's largest timestamp

	// written is where the next batch goes: it runs ahead of size between a
	// write and its publication. Owned by the holder of partition.ioMu.
	written int64

	// refs counts the partition's reference plus one per in-flight reader;
	// the last unref closes the files.
	refs atomic.Int32
}

func newSegment(dir string, base, interval int64, f vfs.File) *segment {
	s := &segment{
		dir:  dir,
		name: segmentFileName(base, logExt),
		base: base,
		f:    f,
		next: base,
		ix:   newIndexer(interval),
	}
	s.offsets = index{name: segmentFileName(base, indexExt), width: offsetEntrySize}
	s.times = index{name: segmentFileName(base, timeIndexExt), width: timeEntrySize}
	s.refs.Store(1)
	return s
}

// createSegment creates an empty active segment. The caller must sync dir.
func createSegment(fs vfs.FS, dir string, base, interval int64) (*segment, error) {
	name := segmentFileName(base, logExt)
	f, err := fs.Create(fs.PathJoin(dir, name))
	if err != nil {
		return nil, fmt.Errorf("creating segment %s: %w", name, err)
	}
	return newSegment(dir, base, interval, f), nil
}

// maxTimestamp is the largest record timestamp in the segment, or
// math.MinInt64 if it has none.
func (s *segment) maxTimestamp() int64 { return s.ix.maxTs }

func (s *segment) ref() { s.refs.Add(1) }

func (s *segment) unref() error {
	if s.refs.Add(-1) != 0 {
		return nil
	}
	return errors.Join(s.f.Close(), s.offsets.close(), s.times.close())
}

// position returns where to start reading for offset: the position of the
// last indexed batch at or before it, and that batch's base offset, which the
// reader checks so that a damaged index cannot make it skip records. The
// caller holds partition.segMu.
func (s *segment) position(offset int64) (pos, batchBase int64, err error) {
	rel := min(offset-s.base, math.MaxUint32)
	n, err := s.offsets.count(func(e []byte) bool {
		r, _ := offsetEntry(e)
		return int64(r) <= rel
	})
	if err != nil || n == 0 {
		return 0, s.base, err
	}
	var buf [offsetEntrySize]byte
	e, err := s.offsets.entry(n-1, buf[:])
	if err != nil {
		return 0, s.base, err
	}
	r, p := offsetEntry(e)
	if int64(p) >= s.size || s.base+int64(r) >= s.next {
		// A damaged index entry points outside the segment: ignore it and
		// scan from the start rather than read past the end.
		return 0, s.base, nil
	}
	return int64(p), s.base + int64(r), nil
}

// timePosition is position for the first record with timestamp >= ts: it
// starts after every batch the time index proves is older. The caller holds
// partition.segMu.
func (s *segment) timePosition(ts int64) (pos, batchBase int64, err error) {
	n, err := s.times.count(func(e []byte) bool {
		t, _ := timeEntry(e)
		return t < ts
	})
	if err != nil || n == 0 {
		return 0, s.base, err
	}
	var buf [timeEntrySize]byte
	e, err := s.times.entry(n-1, buf[:])
	if err != nil {
		return 0, s.base, err
	}
	_, rel := timeEntry(e)
	return s.position(s.base + int64(rel))
}

// sealedIndexes are a segment's index files, written and fsynced.
type sealedIndexes struct {
	offsets, times   vfs.File
	nOffsets, nTimes int
}

// writeIndexes writes the segment's index files for a seal at end, with
// suffix after their names (compaction writes them aside first). The
// caller owns partition.ioMu (or the segment is not yet in the list), syncs
// the directory, and then installs the files with useSealedIndexes under
// partition.segMu.
func (s *segment) writeIndexes(fs vfs.FS, end int64, suffix string) (sealedIndexes, error) {
	times := s.ix.seal(append([]byte(nil), s.times.mem...), s.base, end)
	var si sealedIndexes
	var err error
	if si.offsets, err = writeFile(fs, s.dir, s.offsets.name+suffix, s.offsets.mem); err != nil {
		return si, err
	}
	if si.times, err = writeFile(fs, s.dir, s.times.name+suffix, times); err != nil {
		_ = si.offsets.Close()
		return si, err
	}
	si.nOffsets, si.nTimes = len(s.offsets.mem)/offsetEntrySize, len(times)/timeEntrySize
	return si, nil
}

func (s *segment) useSealedIndexes(si sealedIndexes) {
	s.offsets.mem, s.offsets.f, s.offsets.n = nil, si.offsets, si.nOffsets
	s.times.mem, s.times.f, s.times.n = nil, si.times, si.nTimes
}

// writeFile creates dir/name holding data and fsyncs it; the caller syncs
// dir. It returns the file, open for reading.
func writeFile(fs vfs.FS, dir, name string, data []byte) (vfs.File, error) {
	f, err := fs.Create(fs.PathJoin(dir, name))
	if err != nil {
		return nil, fmt.Errorf("creating %s: %w", name, err)
	}
	if len(data) > 0 {
		if _, err := f.WriteAt(data, 0); err != nil {
			_ = f.Close()
			return nil, fmt.Errorf("writing %s: %w", name, err)
		}
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("syncing %s: %w", name, err)
	}
	return f, nil
}

// syncDir fsyncs a directory, making the creation, renaming or removal of
// its entries durable.
func syncDir(fs vfs.FS, dir string) error {
	d, err := fs.OpenDir(dir)
	if err != nil {
		return fmt.Errorf("opening directory %s: %w", dir, err)
	}
	if err := d.Sync(); err != nil {
		_ = d.Close()
		return fmt.Errorf("syncing directory %s: %w", dir, err)
	}
	return d.Close()
}

// recoverSegment opens the active segment: it reads every batch, verifying
// lengths, CRCs, records and offsets, rebuilds the indexes in memory, and
// truncates the file after the last good batch (vfs.File has no Truncate, so
// the good prefix is copied to a temporary file that is renamed over the
// segment).
func recoverSegment(fs vfs.FS, dir string, base, interval int64, logf func(string, ...any)) (*segment, error) {
	name := segmentFileName(base, logExt)
	path := fs.PathJoin(dir, name)
	f, err := fs.OpenReadWrite(path)
	if err != nil {
		return nil, fmt.Errorf("opening segment %s: %w", name, err)
	}
	fail := func(err error) (*segment, error) {
		_ = f.Close()
		return nil, fmt.Errorf("recovering segment %s: %w", name, err)
	}
	st, err := f.Stat()
	if err != nil {
		return fail(err)
	}
	s := newSegment(dir, base, interval, f)
	rd := getBatchReader()
	defer putBatchReader(rd)
	rd.reset(f, 0, st.Size())
	var it recordIter
	var cause error
	for {
		pos := rd.pos
		b, h, err := rd.next()
		if err == io.EOF {
			break
		}
		if err == nil && h.baseOffset != s.next {
			err = corruptf("batch base offset %d, want %d", h.baseOffset, s.next)
		}
		if err == nil {
			// Check every record too: a batch is kept only if Read would
			// serve all of it.
			for it.reset(b, h); ; {
				var ok bool
				if _, _, ok, err = it.next(); !ok {
					break
				}
			}
		}
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				return fail(err)
			}
			cause = fmt.Errorf("at position %d: %w", pos, err)
			break
		}
		s.offsets.mem, s.times.mem = s.ix.add(s.offsets.mem, s.times.mem, base, pos, &h)
		s.size, s.next = rd.pos, h.lastOffset()+1
	}
	s.written = s.size
	if cause == nil {
		return s, nil
	}
	logf("log: %s: truncating torn or corrupt tail of segment %s from %d to %d bytes (offsets from %d): %v",
		dir, name, st.Size(), s.size, s.next, cause)
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("recovering segment %s: %w", name, err)
	}
	if err := truncateFile(fs, dir, name, s.size); err != nil {
		return nil, fmt.Errorf("recovering segment %s: %w", name, err)
	}
	if s.f, err = fs.OpenReadWrite(path); err != nil {
		return nil, fmt.Errorf("recovering segment %s: %w", name, err)
	}
	return s, nil
}

// truncateFile cuts dir/name to size bytes, crash-safely: at every point
// either the old or the new file is in place.
func truncateFile(fs vfs.FS, dir, name string, size int64) error {
	src, err := fs.Open(fs.PathJoin(dir, name))
	if err != nil {
		return err
	}
	defer src.Close()
	tmp := fs.PathJoin(dir, name+tmpExt)
	dst, err := fs.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, io.NewSectionReader(src, 0, size)); err != nil {
		_ = dst.Close()
		return fmt.Errorf("copying %s: %w", name, err)
	}
	if err := dst.Sync(); err != nil {
		_ = dst.Close()
		return fmt.Errorf("syncing %s: %w", name, err)
	}
	if err := dst.Close(); err != nil {
		return err
	}
	if err := fs.Rename(tmp, fs.PathJoin(dir, name)); err != nil {
		return err
	}
	return syncDir(fs, dir)
}

// openSealedSegment opens a segment that is not the last of its partition;
// end is the next segment's base offset. Sealed segments are not rescanned
// (a corrupt batch in one is reported when read); their indexes are checked
// and rebuilt from the batch headers if missing or inconsistent.
func openSealedSegment(fs vfs.FS, dir string, base, end, interval int64, logf func(string, ...any)) (*segment, error) {
	name := segmentFileName(base, logExt)
	f, err := fs.Open(fs.PathJoin(dir, name))
	if err != nil {
		return nil, fmt.Errorf("opening segment %s: %w", name, err)
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("opening segment %s: %w", name, err)
	}
	s := newSegment(dir, base, interval, f)
	s.size, s.written, s.next = st.Size(), st.Size(), end
	if err := s.loadIndexes(fs); err != nil {
		_ = s.offsets.close()
		_ = s.times.close()
		var sm *sealMismatch
		gap := errors.As(err, &sm) && sm.sealed < end
		logf("log: %s: rebuilding indexes of segment %s: %v", dir, name, err)
		check := func(dataEnd int64) error {
			if gap && dataEnd == sm.sealed {
				// The segment's data and its seal agree that it ends at
				// sm.sealed, yet the next segment starts at end: the
				// segments between are gone.
				return fmt.Errorf("segment %s ends at offset %d but the next segment starts at %d: records %d..%d are missing (segment %s is gone): %w",
					name, sm.sealed, end, sm.sealed, end-1, segmentFileName(sm.sealed, logExt), ErrCorrupt)
			}
			return nil
		}
		if err := s.rebuildIndexes(fs, logf, check); err != nil {
			_ = s.unref()
			return nil, fmt.Errorf("rebuilding indexes of segment %s: %w", name, err)
		}
	}
	return s, nil
}

// sealMismatch is a sealed segment whose seal entry names another end
// than the next segment's base.
type sealMismatch struct {
	name         string
	sealed, want int64
}

func (e *sealMismatch) Error() string {
	return fmt.Sprintf("%s ends at offset %d, want seal entry at %d", e.name, e.sealed, e.want)
}

// loadIndexes opens a sealed segment's index files and checks that they fit
// the log: whole entries, the last offset entry pointing at a batch with that
// offset, and the final time entry being the seal entry.
func (s *segment) loadIndexes(fs vfs.FS) error {
	for _, x := range []*index{&s.offsets, &s.times} {
		f, err := fs.Open(fs.PathJoin(s.dir, x.name))
		if err != nil {
			return err
		}
		x.f = f
		st, err := f.Stat()
		if err != nil {
			return err
		}
		if st.Size()%int64(x.width) != 0 {
			return fmt.Errorf("%s has %d bytes, not a multiple of %d", x.name, st.Size(), x.width)
		}
		x.n = int(st.Size() / int64(x.width))
	}
	var buf [timeEntrySize]byte
	e, err := s.offsets.last(buf[:offsetEntrySize])
	if err != nil {
		return err
	}
	if e != nil {
		rel, pos := offsetEntry(e)
		if int64(pos)+batchHeaderSize > s.size || s.base+int64(rel) >= s.next {
			return fmt.Errorf("last entry (%d, %d) outside the segment", rel, pos)
		}
		var hb [batchHeaderSize]byte
		if _, err := s.f.ReadAt(hb[:], int64(pos)); err != nil {
			return err
		}
		if h, err := parseBatchHeader(hb[:]); err != nil || h.baseOffset != s.base+int64(rel) {
			return fmt.Errorf("last entry (%d, %d) does not point at its batch", rel, pos)
		}
	}
	e, err = s.times.last(buf[:])
	if err != nil {
		return err
	}
	switch {
	case e == nil && s.size > 0:
		return fmt.Errorf("%s has no seal entry", s.times.name)
	case e != nil:
		ts, rel := timeEntry(e)
		if s.base+int64(rel) != s.next {
			return &sealMismatch{name: s.times.name, sealed: s.base + int64(rel), want: s.next}
		}
		s.ix.maxTs, s.ix.empty = ts, false
	}
	return nil
}

// rebuildIndexes recreates a sealed segment's indexes from its batch
// headers. It stops at the first header that does not make sense and logs
// it; reads that reach that point fail as corrupt. Before writing, check
// (when not nil) may refuse the offset after the last batch found.
func (s *segment) rebuildIndexes(fs vfs.FS, logf func(string, ...any), check func(dataEnd int64) error) error {
	var hb [batchHeaderSize]byte
	expect := s.base
	for pos := int64(0); pos < s.size; {
		var h batchHeader
		_, err := s.f.ReadAt(hb[:], pos)
		if err == nil {
			h, err = parseBatchHeader(hb[:])
		}
		if err == nil && (h.size() > s.size-pos || h.baseOffset < expect || h.lastOffset() >= s.next) {
			err = corruptf("batch [%d, %d] of %d bytes at position %d does not fit", h.baseOffset, h.lastOffset(), h.size(), pos)
		}
		if err != nil {
			logf("log: %s: indexing of segment %s stopped at position %d: %v", s.dir, s.name, pos, err)
			break
		}
		s.offsets.mem, s.times.mem = s.ix.add(s.offsets.mem, s.times.mem, s.base, pos, &h)
		expect, pos = h.lastOffset()+1, pos+h.size()
	}
	if check != nil {
		if err := check(expect); err != nil {
			return err
		}
	}
	si, err := s.writeIndexes(fs, s.next, "")
	if err != nil {
		return err
	}
	s.useSealedIndexes(si)
	return syncDir(fs, s.dir)
}

// batchReader reads whole, CRC-checked batches from a range of a segment
// file through a read-ahead buffer.
type batchReader struct {
	sr  io.SectionReader
	br  *bufio.Reader
	pos int64 // position of the next batch
	end int64
	buf []byte
}

var batchReaderPool = sync.Pool{New: func() any {
	return &batchReader{br: bufio.NewReaderSize(nil, 64<<10)}
}}

func getBatchReader() *batchReader { return batchReaderPool.Get().(*batchReader) }

func putBatchReader(r *batchReader) {
	r.sr = io.SectionReader{}
	r.br.Reset(nil)
	if cap(r.buf) > 1<<20 {
		r.buf = nil
	}
	batchReaderPool.Put(r)
}

func (r *batchReader) reset(f io.ReaderAt, pos, end int64) {
	r.sr = *io.NewSectionReader(f, pos, end-pos)
	r.br.Reset(&r.sr)
	r.pos, r.end = pos, end
}

// next returns the next batch, valid until the following call, or io.EOF
// at the end of the range. Malformed data is an error marked ErrCorrupt.
func (r *batchReader) next() ([]byte, batchHeader, error) {
	left := r.end - r.pos
	if left == 0 {
		return nil, batchHeader{}, io.EOF
	}
	if left < batchLogOverhead {
		return nil, batchHeader{}, corruptf("truncated batch: %d bytes left", left)
	}
	r.buf = r.buf[:0]
	r.buf = grow(r.buf, batchLogOverhead)
	if _, err := io.ReadFull(r.br, r.buf); err != nil {
		return nil, batchHeader{}, readErr(err)
	}
	length := int32(binary.BigEndian.Uint32(r.buf[batchLengthOffset:]))
	if length < minBatchLength || int64(length) > left-batchLogOverhead {
		return nil, batchHeader{}, corruptf("batch length %d with %d bytes left", length, left-batchLogOverhead)
	}
	r.buf = grow(r.buf, int(length))
	if _, err := io.ReadFull(r.br, r.buf[batchLogOverhead:]); err != nil {
		return nil, batchHeader{}, readErr(err)
	}
	h, err := checkBatch(r.buf)
	if err != nil {
		return nil, h, err
	}
	r.pos += h.size()
	return r.buf, h, nil
}

// readErr marks a short read of a range that Stat said was there as
// corruption; other errors are I/O errors.
func readErr(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return corruptf("truncated batch")
	}
	return err
}
