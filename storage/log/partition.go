package log

import (
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/pebble/vfs"
)

// A partition is one ordered, durable sequence of record batches: a
// directory of segments.
//
// Appends are group-committed. An appender encodes its batch without a lock,
// then under mu takes the next offsets and queues the batch. If no flush is
// running it becomes the leader: it takes the whole queue, writes it with one
// WriteAt per segment and one fsync, publishes it, and wakes the others;
// batches queued meanwhile wait for the next leader. So the number of fsyncs
// adapts to the load, and only one goroutine at a time writes or syncs the
// active segment, as vfs.File requires.
//
// Retention and compaction (the cleaners) run under cleanMu, one at a time.
// They do their slow work — scanning, rewriting, deleting files — holding
// only cleanMu, and change the segment list under ioMu and segMu for a
// moment; a segment leaving the list is closed once its last reader
// releases it.
//
// Lock order: cleanMu, then ioMu, then segMu, then mu; mu is never held
// while taking another. No lock is held while a reader's callback runs, so
// it may Append or Read.
type partition struct {
	fs            vfs.FS
	dir           string
	desc          string       // "topic/partition", for errors
	segmentBytes  atomic.Int64 // changed by Topic.SetConfig; read by the ioMu holder
	indexInterval int64
	syncEach      bool // fsync before acknowledging; else Log's syncer fsyncs periodically
	logf          func(string, ...any)

	// cleanMu serializes retention and compaction passes, and close with them.
	cleanMu sync.Mutex
	clean   cleanerState // cleanMu
	// stopClean asks a running cleaner to give up soon: the partition is closing.
	stopClean atomic.Bool
	// testHookRewrite, if set, runs before compaction rewrites each batch.
	testHookRewrite func()

	// ioMu serializes writes, fsyncs, rolls and seals.
	ioMu  sync.Mutex
	dirty bool   // ioMu: bytes written to the active segment but not fsynced
	wbuf  []byte // ioMu: concatenation buffer for writing several batches at once

	// segMu guards the segment list and the published state of segments.
	// Both are changed only by the holder of ioMu, which may therefore read
	// them without segMu.
	segMu  sync.RWMutex
	segs   []*segment
	closed bool // files closed; set under ioMu and segMu

	// durable is the offset after the last published batch: EndOffset.
	// Written under segMu, so it agrees with the segments' published state.
	durable atomic.Int64

	mu       sync.Mutex
	cond     sync.Cond
	next     int64 // next offset to assign
	queue    []queuedBatch
	spare    []queuedBatch
	flushing bool
	closing  bool
	err      error                   // sticky: after a failed write or fsync the partition takes no appends
	waiters  map[int64]chan struct{} // Wait channels by offset
}

// queuedBatch is an encoded batch waiting to be written.
type queuedBatch struct {
	buf    *[]byte
	header batchHeader // the fields the writer and the indexer use
}

func newPartition(desc, dir string, opts *Options, segmentBytes int64, segs []*segment) *partition {
	p := &partition{
		fs:            opts.FS,
		dir:           dir,
		desc:          desc,
		indexInterval: int64(opts.IndexIntervalBytes),
		syncEach:      opts.SyncInterval == 0,
		logf:          opts.Logf,
		segs:          segs,
		waiters:       make(map[int64]chan struct{}),
	}
	p.segmentBytes.Store(segmentBytes)
	p.cond.L = &p.mu
	end := segs[len(segs)-1].next
	p.next = end
	p.durable.Store(end)
	return p
}

// openPartition recovers a partition directory: every segment but the last
// is opened sealed, the last is rescanned and its torn tail truncated.
func openPartition(desc, dir string, opts *Options, segmentBytes int64) (*partition, error) {
	fs := opts.FS
	names, err := fs.List(dir)
	if err != nil {
		return nil, fmt.Errorf("listing partition %s: %w", desc, err)
	}
	bases, err := tidyPartitionDir(fs, dir, names, opts.Logf)
	if err != nil {
		return nil, fmt.Errorf("opening partition %s: %w", desc, err)
	}
	interval := int64(opts.IndexIntervalBytes)
	var segs []*segment
	fail := func(err error) (*partition, error) {
		for _, s := range segs {
			_ = s.unref()
		}
		return nil, fmt.Errorf("opening partition %s: %w", desc, err)
	}
	if len(bases) == 0 {
		s, err := createSegment(fs, dir, 0, interval)
		if err != nil {
			return fail(err)
		}
		if err := syncDir(fs, dir); err != nil {
			_ = s.unref()
			return fail(err)
		}
		return newPartition(desc, dir, opts, segmentBytes, []*segment{s}), nil
	}
	for i, base := range bases[:len(bases)-1] {
		s, err := openSealedSegment(fs, dir, base, bases[i+1], interval, opts.Logf)
		if err != nil {
			return fail(err)
		}
		segs = append(segs, s)
	}
	s, err := recoverSegment(fs, dir, bases[len(bases)-1], interval, opts.Logf)
	if err != nil {
		return fail(err)
	}
	segs = append(segs, s)
	return newPartition(desc, dir, opts, segmentBytes, segs), nil
}

// tidyPartitionDir readies a partition directory for opening and returns
// its segments' base offsets, sorted. It finishes a compaction that was
// committed (a .log.swap file, see compactGroup), and removes what
// interrupted work left behind: compaction's .cleaned files, a truncation's
// .tmp file (the segment it was made from is intact), and indexes whose log
// retention had removed.
func tidyPartitionDir(fs vfs.FS, dir string, names []string, logf func(string, ...any)) ([]int64, error) {
	var bases, swaps []int64
	for _, name := range names {
		if base, ext, ok := parseSegmentFileName(name); ok && ext == logExt {
			bases = append(bases, base)
		} else if ok && ext == logExt+swapExt {
			swaps = append(swaps, base)
		}
	}
	sort.Slice(bases, func(i, j int) bool { return bases[i] < bases[j] })
	sort.Slice(swaps, func(i, j int) bool { return swaps[i] < swaps[j] })
	for _, base := range swaps {
		var err error
		if bases, err = finishSwap(fs, dir, base, bases, logf); err != nil {
			return nil, err
		}
	}
	if len(swaps) > 0 {
		var err error
		if names, err = fs.List(dir); err != nil {
			return nil, err
		}
	}
	isLog := make(map[int64]bool, len(bases))
	for _, b := range bases {
		isLog[b] = true
	}
	removed := false
	for _, name := range names {
		base, ext, ok := parseSegmentFileName(name)
		orphan := ok && (ext == indexExt || ext == timeIndexExt) && !isLog[base]
		if orphan || strings.HasSuffix(name, tmpExt) || strings.HasSuffix(name, cleanedExt) {
			if err := fs.Remove(fs.PathJoin(dir, name)); err != nil {
				return nil, fmt.Errorf("removing %s: %w", name, err)
			}
			removed = true
		}
	}
	if removed {
		if err := syncDir(fs, dir); err != nil {
			return nil, err
		}
	}
	return bases, nil
}

var batchBufPool = sync.Pool{New: func() any { return new([]byte) }}

// append writes recs as one batch and returns its base offset once the batch
// is published (fsynced, unless Options.SyncInterval says otherwise).
func (p *partition) append(recs []Record) (int64, error) {
	bp := batchBufPool.Get().(*[]byte)
	b, info, err := appendBatch((*bp)[:0], 0, recs)
	*bp = b
	if err == nil && len(b) > MaxBatchBytes {
		err = fmt.Errorf("batch of %d bytes exceeds %d", len(b), MaxBatchBytes)
	}
	if err != nil {
		batchBufPool.Put(bp)
		return 0, fmt.Errorf("appending to %s: %w", p.desc, err)
	}

	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.closing:
		batchBufPool.Put(bp)
		return 0, fmt.Errorf("appending to %s: %w", p.desc, ErrClosed)
	case p.err != nil:
		batchBufPool.Put(bp)
		return 0, p.err
	}
	base := p.next
	setBatchBaseOffset(b, base)
	p.next += int64(info.count)
	end := p.next
	p.queue = append(p.queue, queuedBatch{buf: bp, header: batchHeader{
		baseOffset:      base,
		length:          int32(len(b) - batchLogOverhead),
		lastOffsetDelta: info.count - 1,
		maxTimestamp:    info.maxTimestamp,
		numRecords:      info.count,
	}})

	for p.durable.Load() < end && p.err == nil {
		if p.flushing {
			p.cond.Wait()
			continue
		}
		// Lead a flush of everything queued.
		p.flushing = true
		batch := p.queue
		p.queue, p.spare = p.spare[:0], nil
		p.mu.Unlock()
		err := p.flush(batch)
		for i := range batch {
			batchBufPool.Put(batch[i].buf)
			batch[i] = queuedBatch{}
		}
		p.mu.Lock()
		p.flushing = false
		p.spare = batch[:0]
		if err != nil && p.err == nil {
			p.err = fmt.Errorf("appending to %s: %w", p.desc, err)
			p.logf("log: %s: refusing further appends: %v", p.desc, err)
			// The queued batches' owners will see p.err; nobody flushes them.
			for i := range p.queue {
				batchBufPool.Put(p.queue[i].buf)
			}
			p.queue = nil
		}
		p.cond.Broadcast()
	}
	if p.durable.Load() >= end {
		return base, nil
	}
	return 0, p.err
}

// flush writes batches (consecutive, in offset order) to the active segment,
// rolling as needed, fsyncs them if syncEach, and publishes them.
func (p *partition) flush(batches []queuedBatch) error {
	p.ioMu.Lock()
	defer p.ioMu.Unlock()
	if p.closed {
		return ErrClosed
	}
	segmentBytes := p.segmentBytes.Load()
	for len(batches) > 0 {
		s := p.segs[len(p.segs)-1] // p.segs changes only under ioMu
		n, size := 0, s.written
		for _, b := range batches {
			bs := b.header.size()
			if size > 0 && (size+bs > segmentBytes || b.header.lastOffset()-s.base > math.MaxInt32) {
				break
			}
			size += bs
			n++
		}
		if n > 0 {
			if err := p.write(s, batches[:n]); err != nil {
				return err
			}
			batches = batches[n:]
		}
		if len(batches) > 0 {
			if err := p.roll(s, batches[0].header.baseOffset); err != nil {
				return err
			}
		}
	}
	return nil
}

// write writes a run of batches at the end of s, fsyncs and publishes them.
func (p *partition) write(s *segment, run []queuedBatch) error {
	data := *run[0].buf
	if len(run) > 1 {
		p.wbuf = p.wbuf[:0]
		for _, b := range run {
			p.wbuf = append(p.wbuf, *b.buf...)
		}
		data = p.wbuf
	}
	if _, err := s.f.WriteAt(data, s.written); err != nil {
		return fmt.Errorf("writing segment %s at position %d: %w", s.name, s.written, err)
	}
	start := s.written
	s.written += int64(len(data))
	if cap(p.wbuf) > 4<<20 {
		p.wbuf = nil
	}
	if p.syncEach {
		if err := s.f.Sync(); err != nil {
			return fmt.Errorf("syncing segment %s: %w", s.name, err)
		}
	} else {
		p.dirty = true
	}

	p.segMu.Lock()
	pos := start
	for i := range run {
		h := &run[i].header
		s.offsets.mem, s.times.mem = s.ix.add(s.offsets.mem, s.times.mem, s.base, pos, h)
		pos += h.size()
	}
	s.size = s.written
	s.next = run[len(run)-1].header.lastOffset() + 1
	p.durable.Store(s.next)
	p.segMu.Unlock()
	p.notify(s.next)
	return nil
}

// roll seals s and starts a new active segment at base.
func (p *partition) roll(s *segment, base int64) error {
	if p.dirty {
		if err := s.f.Sync(); err != nil {
			return fmt.Errorf("syncing segment %s: %w", s.name, err)
		}
		p.dirty = false
	}
	si, err := s.writeIndexes(p.fs, s.next, "")
	if err != nil {
		return fmt.Errorf("sealing segment %s: %w", s.name, err)
	}
	ns, err := createSegment(p.fs, p.dir, base, p.indexInterval)
	if err == nil {
		// One directory sync makes the sealed indexes and the new segment durable.
		if err = syncDir(p.fs, p.dir); err != nil {
			_ = ns.unref()
		}
	}
	if err != nil {
		_ = si.offsets.Close()
		_ = si.times.Close()
		return fmt.Errorf("rolling segment %s: %w", s.name, err)
	}
	p.segMu.Lock()
	s.useSealedIndexes(si)
	p.segs = append(p.segs, ns)
	p.segMu.Unlock()
	return nil
}

// sync fsyncs data written but not yet fsynced (SyncInterval > 0).
func (p *partition) sync() error {
	p.ioMu.Lock()
	defer p.ioMu.Unlock()
	if !p.dirty || p.closed {
		return nil
	}
	s := p.segs[len(p.segs)-1]
	if err := s.f.Sync(); err != nil {
		err = fmt.Errorf("syncing %s segment %s: %w", p.desc, s.name, err)
		p.mu.Lock()
		if p.err == nil {
			p.err = err
		}
		p.mu.Unlock()
		return err
	}
	p.dirty = false
	return nil
}

// notify wakes appenders and closes the Wait channels of offsets below end.
func (p *partition) notify(end int64) {
	p.mu.Lock()
	for off, ch := range p.waiters {
		if off < end {
			close(ch)
			delete(p.waiters, off)
		}
	}
	p.cond.Broadcast()
	p.mu.Unlock()
}

var closedChan = func() chan struct{} {
	ch := make(chan struct{})
	close(ch)
	return ch
}()

func (p *partition) wait(offset int64) <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.durable.Load() > offset || p.waiters == nil {
		return closedChan
	}
	ch, ok := p.waiters[offset]
	if !ok {
		ch = make(chan struct{})
		p.waiters[offset] = ch
	}
	return ch
}

// close waits for queued appends, fsyncs, and closes the files once no
// reader uses them. Later appends and reads fail with ErrClosed.
func (p *partition) close() error {
	// Stop a cleaner first: it must not touch the directory once the
	// partition is closed (a dropped topic's name may be reused).
	p.stopClean.Store(true)
	p.cleanMu.Lock()
	defer p.cleanMu.Unlock()

	p.mu.Lock()
	p.closing = true
	for p.flushing || len(p.queue) > 0 {
		p.cond.Wait()
	}
	p.mu.Unlock()

	var errs []error
	p.ioMu.Lock()
	if p.dirty && !p.closed {
		s := p.segs[len(p.segs)-1]
		if err := s.f.Sync(); err != nil {
			errs = append(errs, fmt.Errorf("syncing %s segment %s: %w", p.desc, s.name, err))
		}
		p.dirty = false
	}
	p.segMu.Lock()
	if !p.closed {
		p.closed = true
		for _, s := range p.segs {
			errs = append(errs, s.unref())
		}
	}
	p.segMu.Unlock()
	p.ioMu.Unlock()

	p.mu.Lock()
	for _, ch := range p.waiters {
		close(ch)
	}
	p.waiters = nil
	p.mu.Unlock()
	return errors.Join(errs...)
}

func (p *partition) startOffset() int64 {
	p.segMu.RLock()
	defer p.segMu.RUnlock()
	return p.segs[0].base
}

func (p *partition) sizeBytes() int64 {
	p.segMu.RLock()
	defer p.segMu.RUnlock()
	var n int64
	for _, s := range p.segs {
		n += s.size
	}
	return n
}

// segmentView is a referenced segment and the part of it a reader may read.
type segmentView struct {
	s         *segment
	pos       int64 // where to start
	batchBase int64 // base offset of the batch at pos
	size      int64 // published bytes when the view was taken
	next      int64 // offset after the published batches when the view was taken
}

// view references the first segment that may hold offset from or later
// ones (with byTime, the first such segment whose largest timestamp is at
// least ts) and positions it with the index; ok is false if there is none.
// The caller unrefs v.s.
func (p *partition) view(from int64, byTime bool, ts int64) (v segmentView, ok bool, err error) {
	p.segMu.RLock()
	defer p.segMu.RUnlock()
	if p.closed {
		return v, false, ErrClosed
	}
	if !byTime && from < p.segs[0].base {
		// Retention deleted the segment since the caller checked.
		return v, false, fmt.Errorf("%w: offset %d is before start offset %d", ErrOffsetOutOfRange, from, p.segs[0].base)
	}
	i := sort.Search(len(p.segs), func(i int) bool { return p.segs[i].base > from }) - 1
	for i = max(i, 0); i < len(p.segs); i++ {
		s := p.segs[i]
		if s.next <= from || s.size == 0 || byTime && s.maxTimestamp() < ts {
			continue
		}
		v = segmentView{s: s, size: s.size, next: s.next}
		if byTime {
			v.pos, v.batchBase, err = s.timePosition(ts)
		} else {
			v.pos, v.batchBase, err = s.position(max(from, s.base))
		}
		if err != nil {
			return v, false, fmt.Errorf("segment %s: %w", s.name, err)
		}
		s.ref()
		return v, true, nil
	}
	return v, false, nil
}

// scan calls fn for each batch of a view from v.pos on, checking that
// batches follow each other and that the first is the one the index named,
// until fn is done or fails or the view ends. fn iterates the batch's records
// itself; errors it returns are passed through unwrapped unless they are
// ErrCorrupt.
func (p *partition) scan(v segmentView, fn func(h *batchHeader, it *recordIter) (done bool, err error)) error {
	rd := getBatchReader()
	defer putBatchReader(rd)
	rd.reset(v.s.f, v.pos, v.size)
	var it recordIter
	expect := v.batchBase
	for {
		pos := rd.pos
		b, h, err := rd.next()
		if err == io.EOF {
			return nil
		}
		// A batch found through the index must have the entry's offset; at
		// the start of a segment, compaction may have removed the first
		// batches.
		if err == nil && (h.baseOffset < expect || pos == v.pos && pos != 0 && h.baseOffset != v.batchBase) {
			err = corruptf("batch base offset %d, want %d", h.baseOffset, expect)
		}
		if err != nil && pos == v.pos && (pos != 0 || v.batchBase != v.s.base) && errors.Is(err, ErrCorrupt) {
			// The index sent us somewhere wrong: scan from the start.
			p.logf("log: %s: segment %s: the batch at position %d, found through the index, is bad (%v); rescanning from the start",
				p.desc, v.s.name, pos, err)
			rd.reset(v.s.f, 0, v.size)
			v.pos, v.batchBase, expect = 0, v.s.base, v.s.base
			continue
		}
		if err == nil {
			it.reset(b, h)
			var done bool
			if done, err = fn(&h, &it); err == nil && done {
				return nil
			}
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

// read implements Topic.Read for this partition.
func (p *partition) read(from int64, maxBytes int, fn func(offset int64, r Record) error) (int64, error) {
	p.segMu.RLock()
	closed, start, end := p.closed, p.segs[0].base, p.durable.Load()
	p.segMu.RUnlock()
	switch {
	case closed:
		return from, fmt.Errorf("reading %s: %w", p.desc, ErrClosed)
	case from < start || from > end:
		return from, fmt.Errorf("reading %s: %w: offset %d not in [%d, %d]", p.desc, ErrOffsetOutOfRange, from, start, end)
	}
	next := from
	var read int64
	for {
		v, ok, err := p.view(next, false, 0)
		if errors.Is(err, ErrOffsetOutOfRange) && next > from {
			// What was read stands; the next Read reports the gap.
			return next, nil
		}
		if err != nil {
			return next, fmt.Errorf("reading %s: %w", p.desc, err)
		}
		if !ok {
			return next, nil
		}
		next = max(next, v.s.base)
		var fnErr error
		err = p.scan(v, func(h *batchHeader, it *recordIter) (bool, error) {
			if h.lastOffset() < next {
				return false, nil // before from: the index starts at or before it
			}
			for {
				off, r, ok, err := it.next()
				if err != nil || !ok {
					if err != nil {
						return true, err
					}
					break
				}
				if off < next {
					continue
				}
				if fnErr = fn(off, r); fnErr != nil {
					return true, nil
				}
				next = off + 1
			}
			// Offsets past the last record (compacted away) are consumed too.
			next = h.lastOffset() + 1
			read += h.size()
			return read >= int64(maxBytes), nil
		})
		_ = v.s.unref()
		switch {
		case fnErr != nil:
			return next, fnErr
		case err != nil:
			return next, fmt.Errorf("reading %s: %w", p.desc, err)
		case read >= int64(maxBytes) && read > 0:
			return next, nil
		}
		// The view is exhausted; what follows starts at its end.
		next = max(next, v.next)
	}
}

// offsetForTime implements Topic.OffsetForTime for this partition.
func (p *partition) offsetForTime(ts int64) (int64, error) {
	for from := int64(0); ; {
		end := p.durable.Load()
		v, ok, err := p.view(from, true, ts)
		if err != nil {
			return 0, fmt.Errorf("looking up time %d in %s: %w", ts, p.desc, err)
		}
		if !ok {
			return end, nil
		}
		found := int64(-1)
		err = p.scan(v, func(h *batchHeader, it *recordIter) (bool, error) {
			if h.maxTimestamp < ts {
				return false, nil
			}
			for {
				off, r, ok, err := it.next()
				if err != nil || !ok {
					return false, err
				}
				if r.Timestamp >= ts {
					found = off
					return true, nil
				}
			}
		})
		_ = v.s.unref()
		if err != nil {
			return 0, fmt.Errorf("looking up time %d in %s: %w", ts, p.desc, err)
		}
		if found >= 0 {
			return found, nil
		}
		// The segment's recorded maximum timestamp was not there (a
		// damaged index); go on with the following segments.
		from = v.next
	}
}
