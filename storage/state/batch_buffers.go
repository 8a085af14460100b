package state

import "sync"

// batchBuffers keeps the data buffers of committed or discarded batches
// that Pebble's own batch pool lets go. Pebble pools a batch's buffer only
// up to 1 MiB (batchMaxRetainedSize); a view's epoch often writes a few
// MiB, so each epoch would grow a fresh buffer from 1 KiB by doubling,
// copying the epoch's writes about once more and faulting in fresh memory
// (q20's batches average 2.2 MiB: 5% of its CPU went to that regrowth).
//
// A buffer is reused only once Pebble no longer reads it: after Commit
// returned (the WAL and the memtable copied it) or after Close. A batch
// big enough for Pebble to queue as a flushable batch keeps being read
// until its memtable flushes, so its buffer is never kept (see retain).
type batchBuffers struct {
	mu   sync.Mutex
	free [][]byte
}

const (
	// pebblePooledBytes is the largest buffer Pebble's batch pool keeps
	// itself: keeping a smaller one here would give it two owners.
	pebblePooledBytes = 1 << 20
	// maxKeptBuffer bounds a kept buffer, and maxKeptBuffers their number
	// (the epoch's batch and one per parallel task).
	maxKeptBuffer  = 16 << 20
	maxKeptBuffers = 4
	// batchHeaderLen is a Pebble batch representation's header: an
	// 8-byte sequence number and a 4-byte count, both zero when empty.
	batchHeaderLen = 12
	// nodeOverhead bounds what a memtable entry costs beyond its key and
	// value (arenaskl's node with a full tower, the trailer, padding).
	nodeOverhead = 256
)

// get returns an empty batch representation on a kept buffer, or nil.
func (p *batchBuffers) get() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(p.free)
	if n == 0 {
		return nil
	}
	buf := p.free[n-1]
	p.free[n-1] = nil
	p.free = p.free[:n-1]
	buf = buf[:batchHeaderLen]
	clear(buf)
	return buf
}

// retain keeps data, the representation of a batch of count writes that
// Pebble no longer reads, unless Pebble pools it itself, it is too big,
// or the batch may have been queued whole as a flushable batch: Pebble
// does that from (memtable size - empty size)/2 of memtable bytes; data
// plus nodeOverhead per write bounds those from above, and keeping that
// bound under a third of the memtable leaves a wide margin.
func (p *batchBuffers) retain(data []byte, count uint32, memTableSize uint64) {
	if cap(data) <= pebblePooledBytes || cap(data) > maxKeptBuffer {
		return
	}
	if uint64(len(data))+uint64(count)*nodeOverhead >= memTableSize/3 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.free) < maxKeptBuffers {
		p.free = append(p.free, data[:0])
	}
}
