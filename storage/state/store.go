package state

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	crerrors "github.com/cockroachdb/errors"
	"github.com/cockroachdb/pebble"
	"github.com/cockroachdb/pebble/bloom"
	"github.com/cockroachdb/pebble/vfs"
	"github.com/weir-db/weir/storage/encoding"
)

// Store is the node's state store.
type Store struct {
	db    *pebble.DB
	cache *pebble.Cache
	dir   string
	po    *pebble.Options
	space *spaceGuard
	bufs  batchBuffers
}

// Options configures Open.
type Options struct {
	Dir string
	FS  vfs.FS // nil: the real file system
	// CacheBytes sizes the block cache (0: DefaultCacheBytes). Operators'
	// lookups of state they do not hold in memory read through it.
	CacheBytes int64
	// ReserveBytes is the free disk space commits leave (0:
	// DefaultReserveBytes; negative: no check, as on an in-memory FS).
	ReserveBytes int64
	// FreeBytes reports the free space of a directory (nil: the disk's);
	// tests replace it.
	FreeBytes func(dir string) (int64, error)
}

// DefaultCacheBytes is the block cache when Options leave it unset.
const DefaultCacheBytes = 256 << 20

// Open opens (creating if needed) the store in dir.
func Open(opts Options) (*Store, error) {
	if opts.CacheBytes <= 0 {
		opts.CacheBytes = DefaultCacheBytes
	}
	cache := pebble.NewCache(opts.CacheBytes)
	po := &pebble.Options{FS: opts.FS, Cache: cache}
	if po.FS == nil {
		po.FS = vfs.Default
	}
	// Operators probe state for keys that are mostly absent (a new group,
	// a new view row): bloom filters answer those without reading blocks.
	// Upper levels, rewritten most, stay uncompressed to spare CPU.
	po.Levels = make([]pebble.LevelOptions, 7)
	for i := range po.Levels {
		po.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
		po.Levels[i].Compression = pebble.SnappyCompression
		if i < 3 {
			po.Levels[i].Compression = pebble.NoCompression
		}
	}
	// Views write many small rows per epoch; a 64 MiB memtable (Pebble's
	// default is 4 MiB) flushes a sixteenth as often and so leaves fewer,
	// larger L0 files to compact: q0's view over 500k events went from
	// 121k to 133–165k events/s/core with it.
	po.MemTableSize = 64 << 20
	po.EnsureDefaults()
	po.Logger = quietLogger{}
	db, err := openChecked(opts.Dir, po)
	if err != nil {
		cache.Unref()
		return nil, err
	}
	reserve := opts.ReserveBytes
	switch {
	case reserve == 0 && opts.FS == nil:
		reserve = DefaultReserveBytes
	case reserve == 0:
		reserve = -1 // not the real disk
	}
	free := opts.FreeBytes
	if free == nil {
		free = freeBytes
	}
	return &Store{db: db, cache: cache, space: &spaceGuard{dir: opts.Dir, reserve: reserve, free: free}, dir: opts.Dir, po: po}, nil
}

// openChecked opens the Pebble instance in dir and verifies the checksum
// of every block of every table file. Pebble reads a table's blocks only
// when a read reaches them, so damage would otherwise surface as errors
// long after start. Checking checksums reads the files once, without
// decompressing or iterating keys: a start costs about a sequential read
// of the state. Pebble reports some damage through Logger.Fatalf, which
// panics (quietLogger): that is an error here too, not a crash.
func openChecked(dir string, po *pebble.Options) (db *pebble.DB, err error) {
	defer func() {
		if r := recover(); r != nil {
			if db != nil {
				db.Close()
			}
			db, err = nil, fmt.Errorf("state store in %s is corrupt: %v", dir, r)
		}
	}()
	if err := checkCleanStop(po, dir); err != nil {
		return nil, fmt.Errorf("state store in %s is corrupt: %w", dir, err)
	}
	db, err = pebble.Open(dir, po)
	if err != nil {
		// A file the MANIFEST lists is gone, or a damaged MANIFEST record
		// made Pebble stop reading at an older version (whose files are
		// gone). Pebble's object store does not mark the missing file as
		// os.ErrNotExist, only says so.
		if errors.Is(err, pebble.ErrCorruption) || errors.Is(err, os.ErrNotExist) || strings.Contains(err.Error(), "file does not exist") {
			return nil, fmt.Errorf("state store in %s is corrupt or missing files: %w", dir, err)
		}
		return nil, fmt.Errorf("opening state store in %s: %w", dir, err)
	}
	if err := verifyTables(db, dir, po); err != nil {
		db.Close()
		return nil, fmt.Errorf("state store in %s is corrupt: %w", dir, err)
	}
	return db, nil
}

// Close flushes and closes the store.
func (s *Store) Close() error {
	// Flush the memtables first: with 64 MiB of them a clean stop would
	// otherwise leave the next start to replay that much WAL.
	err := s.db.Flush()
	if cerr := s.db.Close(); err == nil {
		err = cerr
	}
	s.cache.Unref()
	if err == nil {
		err = recordCleanStop(s.po, s.dir)
	}
	return err
}

// TableKey builds the full key of k in table id.
func TableKey(buf []byte, id uint32, k []byte) []byte {
	buf = binary.BigEndian.AppendUint32(buf, id)
	return append(buf, k...)
}

// IsCorruption reports whether err comes from damaged state on disk (a
// checksum mismatch, a table that does not parse).
func IsCorruption(err error) bool { return crerrors.Is(err, pebble.ErrCorruption) }

// ErrNotFound is returned by Get for a missing key.
var ErrNotFound = errors.New("not found")

// Get reads the value of k in table id from the last committed state.
func (s *Store) Get(id uint32, k []byte) ([]byte, error) { return get(s.db, id, k) }

type getter interface {
	Get(key []byte) ([]byte, io.Closer, error)
}

// get reads a copy of k's value in table id, ErrNotFound when absent.
func get(r getter, id uint32, k []byte) ([]byte, error) {
	v, closer, err := r.Get(TableKey(nil, id, k))
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	out := append([]byte(nil), v...)
	return out, closer.Close()
}

// NewBatch starts an atomic write batch that can also read its own writes
// over the committed state.
func (s *Store) NewBatch() *Batch {
	b := &Batch{b: s.db.NewIndexedBatch(), store: s}
	if buf := s.bufs.get(); buf != nil {
		// An empty representation: nothing to fail on.
		_ = b.b.SetRepr(buf)
	}
	return b
}

// Snapshot is a consistent read view of committed state.
type Snapshot struct{ snap *pebble.Snapshot }

// NewSnapshot pins the current committed state.
func (s *Store) NewSnapshot() *Snapshot { return &Snapshot{snap: s.db.NewSnapshot()} }

// Close releases the snapshot.
func (s *Snapshot) Close() error { return s.snap.Close() }

// Scan iterates table id's keys with the given prefix in order, calling fn
// with each key (without the table id) and value; both alias internal
// buffers valid only during the call.
func (s *Snapshot) Scan(id uint32, prefix []byte, fn func(k, v []byte) error) error {
	return scan(s.snap, id, prefix, fn)
}

// Scan reads committed state, like Snapshot.Scan.
func (s *Store) Scan(id uint32, prefix []byte, fn func(k, v []byte) error) error {
	return scan(s.db, id, prefix, fn)
}

type iterable interface {
	NewIter(*pebble.IterOptions) (*pebble.Iterator, error)
}

func scan(r iterable, id uint32, prefix []byte, fn func(k, v []byte) error) error {
	lo := TableKey(nil, id, prefix)
	return scanBounds(r, lo, encoding.PrefixEnd(lo), fn)
}

// scanBounds iterates the full keys in [lower, upper), passing fn each key
// without its table id.
func scanBounds(r iterable, lower, upper []byte, fn func(k, v []byte) error) error {
	it, err := r.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return err
	}
	for it.First(); it.Valid(); it.Next() {
		if err := fn(it.Key()[4:], it.Value()); err != nil {
			it.Close()
			return err
		}
	}
	if err := it.Error(); err != nil {
		it.Close()
		return err
	}
	return it.Close()
}

// scanRange iterates table id's keys in [lower, upper) (upper nil: to the
// table's end).
func scanRange(r iterable, id uint32, lower, upper []byte, fn func(k, v []byte) error) error {
	hi := encoding.PrefixEnd(TableKey(nil, id, nil))
	if upper != nil {
		hi = TableKey(nil, id, upper)
	}
	return scanBounds(r, TableKey(nil, id, lower), hi, fn)
}

// DropTable deletes every key of table id.
func (s *Store) DropTable(id uint32) error {
	lo := TableKey(nil, id, nil)
	return s.db.DeleteRange(lo, encoding.PrefixEnd(lo), pebble.Sync)
}

// Batch is an atomic set of writes that sees its own writes.
type Batch struct {
	b     *pebble.Batch
	store *Store
}

// Set writes k = v in table id.
func (b *Batch) Set(id uint32, k, v []byte) error {
	// Built in place in the batch: no key is allocated per write.
	op := b.b.SetDeferred(4+len(k), len(v))
	binary.BigEndian.PutUint32(op.Key, id)
	copy(op.Key[4:], k)
	copy(op.Value, v)
	return op.Finish()
}

// Delete removes k from table id.
func (b *Batch) Delete(id uint32, k []byte) error {
	op := b.b.DeleteDeferred(4 + len(k)) // built in place, like Set's
	binary.BigEndian.PutUint32(op.Key, id)
	copy(op.Key[4:], k)
	return op.Finish()
}

// DeleteRange removes table id's keys in [lower, upper).
func (b *Batch) DeleteRange(id uint32, lower, upper []byte) error {
	return b.b.DeleteRange(TableKey(nil, id, lower), TableKey(nil, id, upper), nil)
}

// Get reads k in table id through the batch.
func (b *Batch) Get(id uint32, k []byte) ([]byte, error) { return get(b.b, id, k) }

// Scan iterates table id's keys with prefix through the batch.
func (b *Batch) Scan(id uint32, prefix []byte, fn func(k, v []byte) error) error {
	return scan(b.b, id, prefix, fn)
}

// ScanRange iterates table id's keys in [lower, upper) through the batch
// (upper nil: to the table's end). Starting past keys deleted earlier
// spares stepping over their tombstones.
func (b *Batch) ScanRange(id uint32, lower, upper []byte, fn func(k, v []byte) error) error {
	return scanRange(b.b, id, lower, upper, fn)
}

// Apply adds o's writes to b, after b's own; o stays open.
func (b *Batch) Apply(o *Batch) error {
	if err := b.b.Apply(o.b, nil); err != nil {
		return fmt.Errorf("merging state batches: %w", err)
	}
	return nil
}

// Empty reports whether the batch holds no writes.
func (b *Batch) Empty() bool { return b.b.Empty() }

// Commit applies the batch atomically and durably.
func (b *Batch) Commit() error {
	if b.store.space != nil {
		if err := b.store.space.allow(int64(b.b.Len())); err != nil {
			return fmt.Errorf("committing state batch: %w", err)
		}
	}
	if err := b.b.Commit(pebble.Sync); err != nil {
		return fmt.Errorf("committing state batch: %w", err)
	}
	return b.close()
}

// Close discards an uncommitted batch.
func (b *Batch) Close() error { return b.close() }

// close releases the batch to Pebble and keeps its buffer for the next.
func (b *Batch) close() error {
	data, count := b.b.Repr(), b.b.Count()
	err := b.b.Close()
	if err == nil {
		b.store.bufs.retain(data, count, b.store.po.MemTableSize)
	}
	return err
}

type quietLogger struct{}

func (quietLogger) Infof(string, ...any)  {}
func (quietLogger) Errorf(string, ...any) {}
func (quietLogger) Fatalf(format string, args ...any) {
	panic(fmt.Sprintf(format, args...))
}

// DropPrefix deletes every key of table id that starts with prefix.
func (s *Store) DropPrefix(id uint32, prefix []byte) error {
	lo := TableKey(nil, id, prefix)
	return s.db.DeleteRange(lo, encoding.PrefixEnd(lo), pebble.Sync)
}

// ScanRange iterates table id's keys in [lo, hi) (nil hi: to the table's
// end) of committed state, in order.
func (s *Snapshot) ScanRange(id uint32, lo, hi []byte, fn func(k, v []byte) error) error {
	lower := TableKey(nil, id, lo)
	upper := encoding.PrefixEnd(TableKey(nil, id, nil))
	if hi != nil {
		upper = TableKey(nil, id, hi)
	}
	return scanBounds(s.snap, lower, upper, fn)
}

// Get reads k of table id from the snapshot.
func (s *Snapshot) Get(id uint32, k []byte) ([]byte, error) { return get(s.snap, id, k) }
