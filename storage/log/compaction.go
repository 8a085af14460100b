package log

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"time"

	"github.com/cockroachdb/pebble/vfs"
)

const (
	// cleanedExt marks a compacted segment's files while they are written.
	cleanedExt = ".cleaned"
	// swapExt marks a compacted segment's log once it is committed and
	// until it has replaced the segments it was made from.
	swapExt = ".swap"
)

// errCleanerStopped aborts a compaction of a partition that is closing.
var errCleanerStopped = fmt.Errorf("compaction stopped: %w", ErrClosed)

// cleanerState is what a partition remembers between compaction passes.
// It is not persisted: after Open the first pass cleans everything.
type cleanerState struct {
	// cleanedTo is the end of the sealed segments the last pass compacted:
	// sealed segments from here on are dirty.
	cleanedTo int64
	// tombstoneDeadline is the earliest time (Unix ms) at which a tombstone
	// the last pass kept may be dropped; a pass is due then even with
	// nothing dirty. 0 (before the first pass) is always due.
	tombstoneDeadline int64
	// err is sticky: a compaction that failed after committing a swap on
	// disk but before installing it leaves the directory ahead of memory,
	// so cleaning stops until the log is reopened (Open finishes the swap).
	err error
}

// due reports whether a background pass should compact: when at least half
// of the sealed bytes are dirty (Kafka's min.cleanable.dirty.ratio of 0.5),
// or a kept tombstone has come of age.
func (c *cleanerState) due(sealed []*segment, nowMs int64) bool {
	var dirty, total int64
	for _, s := range sealed {
		total += s.size
		if s.base >= c.cleanedTo {
			dirty += s.size
		}
	}
	return dirty > 0 && 2*dirty >= total || nowMs >= c.tombstoneDeadline
}

// Compact runs one compaction pass, synchronously, over every topic with
// TopicConfig.Compact: in each partition, the sealed segments are rewritten
// keeping only the latest record of each key (the latest among everything
// published, the active segment included), all records with a nil key, and
// tombstones (a key with a nil value) whose timestamp is not yet
// TombstoneRetentionMs before now. Kept records keep their offsets; what
// was dropped leaves gaps that Read skips. Small neighbouring segments are
// merged while they fit in SegmentBytes. Reads and appends go on meanwhile:
// each rewritten group of segments is swapped in under a short lock, and a
// reader already inside an old segment finishes reading it.
//
// The background cleaner (Options.CleanupInterval) runs the same pass with
// the wall clock, but only on partitions with enough new (dirty) data or a
// tombstone to drop.
func (l *Log) Compact(now time.Time) error {
	return l.compact(now, true)
}

func (l *Log) compact(now time.Time, force bool) error {
	topics, err := l.snapshotTopics()
	if err != nil {
		return fmt.Errorf("compacting: %w", err)
	}
	nowMs := now.UnixMilli()
	var errs []error
	for _, t := range topics {
		cfg := t.Config()
		if !cfg.Compact {
			continue
		}
		for _, p := range t.parts {
			err := p.compact(nowMs, cfg.tombstoneRetentionMs(), force)
			if err != nil && !errors.Is(err, ErrClosed) {
				errs = append(errs, fmt.Errorf("compacting %s: %w", p.desc, err))
			}
		}
	}
	return errors.Join(errs...)
}

// compact is one compaction pass over the partition; force skips the
// dirtiness test.
func (p *partition) compact(nowMs, tombstoneMs int64, force bool) error {
	p.cleanMu.Lock()
	defer p.cleanMu.Unlock()
	if p.clean.err != nil {
		return p.clean.err
	}
	views, err := p.snapshot()
	if err != nil {
		return err
	}
	defer func() {
		for _, v := range views {
			_ = v.s.unref()
		}
	}()
	sealed := make([]*segment, len(views)-1)
	for i := range sealed {
		sealed[i] = views[i].s
	}
	if len(sealed) == 0 || !force && !p.clean.due(sealed, nowMs) {
		return nil
	}
	latest, err := p.latestOffsets(views)
	if err != nil {
		return err
	}
	f := recordFilter{
		latest:    latest,
		horizon:   retentionCutoff(nowMs, tombstoneMs),
		ageToDrop: tombstoneMs,
		deadline:  math.MaxInt64,
	}
	for _, g := range p.compactionGroups(sealed) {
		if p.stopClean.Load() {
			return errCleanerStopped
		}
		if err := p.compactGroup(g, &f); err != nil {
			return err
		}
	}
	p.clean.cleanedTo = sealed[len(sealed)-1].next
	p.clean.tombstoneDeadline = f.deadline
	return nil
}

// snapshot references every segment and returns views of them as
// published now (the last one is the active segment).
func (p *partition) snapshot() ([]segmentView, error) {
	p.segMu.RLock()
	defer p.segMu.RUnlock()
	if p.closed {
		return nil, ErrClosed
	}
	views := make([]segmentView, len(p.segs))
	for i, s := range p.segs {
		s.ref()
		views[i] = segmentView{s: s, size: s.size, next: s.next, batchBase: s.base}
	}
	return views, nil
}

// latestOffsets maps every key in the views to the offset of its last
// record. Its memory is proportional to the distinct keys' bytes.
func (p *partition) latestOffsets(views []segmentView) (map[string]int64, error) {
	latest := make(map[string]int64)
	var it recordIter
	for _, v := range views {
		err := scanSegment(v, func(b []byte, h *batchHeader) error {
			if p.stopClean.Load() {
				return errCleanerStopped
			}
			for it.reset(b, *h); ; {
				off, r, ok, err := it.next()
				if err != nil || !ok {
					return err
				}
				if r.Key != nil {
					latest[string(r.Key)] = off
				}
			}
		})
		if err != nil {
			return nil, err
		}
	}
	return latest, nil
}

// scanSegment calls fn for every batch of a view from its start, checking
// that offsets increase and stay in the segment.
func scanSegment(v segmentView, fn func(b []byte, h *batchHeader) error) error {
	rd := getBatchReader()
	defer putBatchReader(rd)
	rd.reset(v.s.f, 0, v.size)
	expect := v.s.base
	for {
		pos := rd.pos
		b, h, err := rd.next()
		if err == io.EOF {
			return nil
		}
		if err == nil && (h.baseOffset < expect || h.lastOffset() >= v.next) {
			err = corruptf("batch [%d, %d] out of place: want offsets from %d and below %d", h.baseOffset, h.lastOffset(), expect, v.next)
		}
		if err == nil {
			err = fn(b, &h)
		}
		if err != nil {
			if errors.Is(err, ErrCorrupt) {
				err = fmt.Errorf("reading segment %s at position %d: %w", v.s.name, pos, err)
			}
			return err
		}
		expect = h.lastOffset() + 1
	}
}

// compactionGroups splits the sealed segments into runs of neighbours that
// are rewritten into one segment: as many as fit in the segment size, with
// relative offsets that fit the index. (Sizes are before compaction, so a
// group's output always fits; already compacted, shrunken segments merge.)
func (p *partition) compactionGroups(sealed []*segment) [][]*segment {
	limit := p.segmentBytes.Load()
	var groups [][]*segment
	for i := 0; i < len(sealed); {
		j, size := i+1, sealed[i].size
		for j < len(sealed) && size+sealed[j].size <= limit && sealed[j].next-1-sealed[i].base <= math.MaxInt32 {
			size += sealed[j].size
			j++
		}
		groups = append(groups, sealed[i:j])
		i = j
	}
	return groups
}

// recordFilter decides which records compaction keeps.
type recordFilter struct {
	latest    map[string]int64
	horizon   int64 // tombstones with a timestamp before this are dropped
	ageToDrop int64 // TombstoneRetentionMs
	deadline  int64 // earliest time a kept tombstone may be dropped
	dropped   int   // records dropped by the current group
}

func (f *recordFilter) keep(off int64, r *Record) bool {
	if r.Key == nil {
		return true
	}
	if f.latest[string(r.Key)] != off {
		f.dropped++
		return false
	}
	if r.Value == nil {
		if r.Timestamp < f.horizon {
			f.dropped++
			return false
		}
		if r.Timestamp <= math.MaxInt64-f.ageToDrop-1 {
			f.deadline = min(f.deadline, r.Timestamp+f.ageToDrop+1)
		}
	}
	return true
}

// filterBatch appends to dst the batch b with only the records f keeps, and
// returns the new batch's header; dst is unchanged if none are kept. The
// batch keeps its base offset, base timestamp and last offset delta, so
// kept records keep their offsets and their encoding, which is copied
// byte for byte; the count, length, maximum timestamp and CRC are redone.
func filterBatch(dst, b []byte, h *batchHeader, f *recordFilter) ([]byte, batchHeader, error) {
	var it recordIter
	it.reset(b, *h)
	start := len(dst)
	nh := *h
	nh.numRecords, nh.maxTimestamp = 0, math.MinInt64
	dst = append(dst, b[:batchHeaderSize]...)
	for {
		from := it.pos
		off, r, ok, err := it.next()
		if err != nil {
			return dst[:start], nh, err
		}
		if !ok {
			break
		}
		if f.keep(off, &r) {
			dst = append(dst, b[from:it.pos]...)
			nh.numRecords++
			nh.maxTimestamp = max(nh.maxTimestamp, r.Timestamp)
		}
	}
	if nh.numRecords == 0 {
		return dst[:start], nh, nil
	}
	out := dst[start:]
	nh.length = int32(len(out) - batchLogOverhead)
	be := binary.BigEndian
	be.PutUint32(out[batchLengthOffset:], uint32(nh.length))
	be.PutUint64(out[batchMaxTimeOffset:], uint64(nh.maxTimestamp))
	be.PutUint32(out[batchCountOffset:], uint32(nh.numRecords))
	nh.crc = crc32.Checksum(out[batchAttributesOffset:], castagnoli)
	be.PutUint32(out[batchCRCOffset:], nh.crc)
	return dst, nh, nil
}

// compactGroup rewrites the segments g into one segment with g[0]'s base
// and swaps it in. On disk:
//
//  1. write <base>.log.cleaned and its two indexes as <base>.index.cleaned
//     and <base>.timeindex.cleaned, and fsync them;
//  2. rename <base>.log.cleaned to <base>.log.swap and sync the directory:
//     the commit point, after which Open finishes the swap (finishSwap);
//  3. remove the files of the segments in g;
//  4. rename the indexes, then the log, to their final names, and sync the
//     directory.
//
// Then the segment list is updated under ioMu and segMu. A group of one
// segment from which nothing was dropped is left alone.
func (p *partition) compactGroup(g []*segment, f *recordFilter) error {
	fs, dir := p.fs, p.dir
	base, end := g[0].base, g[len(g)-1].next
	logName := segmentFileName(base, logExt)
	cleaned := fs.PathJoin(dir, logName+cleanedExt)
	file, err := fs.Create(cleaned)
	if err != nil {
		return fmt.Errorf("compacting segment %s: %w", logName, err)
	}
	ns := newSegment(dir, base, p.indexInterval, file)
	abandon := func(err error) error {
		_ = ns.unref()
		for _, ext := range []string{logExt, indexExt, timeIndexExt} {
			_ = fs.Remove(fs.PathJoin(dir, segmentFileName(base, ext)+cleanedExt))
		}
		if err == nil || errors.Is(err, ErrClosed) {
			return err
		}
		return fmt.Errorf("compacting segment %s: %w", logName, err)
	}

	// 1. Rewrite.
	f.dropped = 0
	w := bufio.NewWriterSize(file, 256<<10)
	var pos int64
	var buf []byte
	for _, s := range g {
		err := scanSegment(segmentView{s: s, size: s.size, next: s.next}, func(b []byte, h *batchHeader) error {
			if p.testHookRewrite != nil {
				p.testHookRewrite()
			}
			if p.stopClean.Load() {
				return errCleanerStopped
			}
			var nh batchHeader
			var err error
			if buf, nh, err = filterBatch(buf[:0], b, h, f); err != nil || len(buf) == 0 {
				return err
			}
			if _, err := w.Write(buf); err != nil {
				return err
			}
			ns.offsets.mem, ns.times.mem = ns.ix.add(ns.offsets.mem, ns.times.mem, base, pos, &nh)
			pos += nh.size()
			return nil
		})
		if err != nil {
			return abandon(err)
		}
	}
	if len(g) == 1 && f.dropped == 0 {
		return abandon(nil) // nothing to gain
	}
	if err := w.Flush(); err != nil {
		return abandon(err)
	}
	if err := file.Sync(); err != nil {
		return abandon(err)
	}
	ns.size, ns.written, ns.next = pos, pos, end
	si, err := ns.writeIndexes(fs, end, cleanedExt)
	if err != nil {
		return abandon(err)
	}
	ns.useSealedIndexes(si)

	// 2. Commit.
	swap := fs.PathJoin(dir, logName+swapExt)
	if err := fs.Rename(cleaned, swap); err != nil {
		return abandon(err)
	}
	if err := syncDir(fs, dir); err != nil {
		// The rename may or may not be durable; Open will tell.
		return p.failAfterCommit(ns, logName, err)
	}

	// 3 and 4. Replace.
	for _, s := range g {
		if err := removeSegmentFiles(fs, dir, s.base); err != nil {
			return p.failAfterCommit(ns, logName, err)
		}
	}
	for _, r := range [][2]string{
		{segmentFileName(base, indexExt) + cleanedExt, segmentFileName(base, indexExt)},
		{segmentFileName(base, timeIndexExt) + cleanedExt, segmentFileName(base, timeIndexExt)},
		{logName + swapExt, logName},
	} {
		if err := fs.Rename(fs.PathJoin(dir, r[0]), fs.PathJoin(dir, r[1])); err != nil {
			return p.failAfterCommit(ns, logName, err)
		}
	}
	if err := syncDir(fs, dir); err != nil {
		return p.failAfterCommit(ns, logName, err)
	}
	return p.replaceSegments(g, ns)
}

// failAfterCommit handles an error after a swap was committed on disk: the
// old segments stay in use (their files are open), cleaning stops, and the
// next Open finishes the swap.
func (p *partition) failAfterCommit(ns *segment, logName string, err error) error {
	_ = ns.unref()
	p.clean.err = fmt.Errorf("compacting segment %s: %w (cleaning stops until the log is reopened)", logName, err)
	p.logf("log: %s: %v", p.desc, p.clean.err)
	return p.clean.err
}

// replaceSegments puts ns in place of the segments g in the list, and
// releases the list's references to them.
func (p *partition) replaceSegments(g []*segment, ns *segment) error {
	p.ioMu.Lock()
	p.segMu.Lock()
	i := 0
	for i < len(p.segs) && p.segs[i] != g[0] {
		i++
	}
	ok := !p.closed && i+len(g) < len(p.segs) // the active segment stays after them
	for j := 0; ok && j < len(g); j++ {
		ok = p.segs[i+j] == g[j]
	}
	if ok {
		segs := make([]*segment, 0, len(p.segs)-len(g)+1)
		segs = append(append(append(segs, p.segs[:i]...), ns), p.segs[i+len(g):]...)
		p.segs = segs
	}
	p.segMu.Unlock()
	p.ioMu.Unlock()
	if !ok {
		// Only the cleaner, which holds cleanMu, removes segments.
		return p.failAfterCommit(ns, ns.name, errors.New("segment list changed during compaction"))
	}
	var errs []error
	for _, s := range g {
		errs = append(errs, s.unref())
	}
	return errors.Join(errs...)
}

// finishSwap completes a compaction interrupted after its commit point:
// <base>.log.swap holds the compacted segment, and every segment from base
// up to the swap's last offset is one it replaces. Those are removed (with
// the indexes of base, which may be stale; they are rebuilt), the swap is
// renamed into place, and the directory synced. bases are the partition's
// .log files; finishSwap returns them updated.
func finishSwap(fs vfs.FS, dir string, base int64, bases []int64, logf func(string, ...any)) ([]int64, error) {
	logName := segmentFileName(base, logExt)
	swap := fs.PathJoin(dir, logName+swapExt)
	f, err := fs.Open(swap)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	// The swap was fsynced before it was committed, so any damage is
	// corruption, and then the segments it replaces may be gone already.
	last := base - 1
	s := &segment{name: logName + swapExt, base: base, f: f}
	err = scanSegment(segmentView{s: s, size: st.Size(), next: math.MaxInt64}, func(b []byte, h *batchHeader) error {
		var it recordIter
		for it.reset(b, *h); ; {
			_, _, ok, err := it.next()
			if err != nil || !ok {
				last = h.lastOffset()
				return err
			}
		}
	})
	_ = f.Close()
	if err != nil {
		return nil, fmt.Errorf("finishing compaction into %s: %w", s.name, err)
	}
	var kept, replaced []int64
	for _, b := range bases {
		if b == base || base < b && b <= last {
			replaced = append(replaced, b)
		} else {
			kept = append(kept, b)
		}
	}
	if len(kept) == 0 || kept[len(kept)-1] < base {
		return nil, fmt.Errorf("finishing compaction into %s: %w: it would replace the active segment", s.name, ErrCorrupt)
	}
	logf("log: %s: finishing interrupted compaction: %s replaces %d segments", dir, s.name, len(replaced))
	for _, b := range append(replaced, base) {
		if err := removeSegmentFiles(fs, dir, b); err != nil {
			return nil, err
		}
	}
	if err := fs.Rename(swap, fs.PathJoin(dir, logName)); err != nil {
		return nil, err
	}
	if err := syncDir(fs, dir); err != nil {
		return nil, err
	}
	return insertSorted(kept, base), nil
}

// insertSorted inserts x into the sorted slice xs.
func insertSorted(xs []int64, x int64) []int64 {
	i := 0
	for i < len(xs) && xs[i] < x {
		i++
	}
	xs = append(xs, 0)
	copy(xs[i+1:], xs[i:])
	xs[i] = x
	return xs
}
