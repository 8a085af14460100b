package log

import (
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/pebble/vfs"
)

// validTopicName applies Kafka's rule: 1 to 249 of [a-zA-Z0-9._-], and not
// "." or "..". Topic names are directory names, so the rule also keeps them
// clear of the log's own files, which all contain '~'.
func validTopicName(name string) error {
	if name == "" || name == "." || name == ".." || len(name) > maxTopicNameLength {
		return fmt.Errorf("invalid topic name %q", name)
	}
	for _, c := range []byte(name) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("invalid topic name %q: only ASCII letters, digits, '.', '_' and '-' are allowed", name)
		}
	}
	return nil
}

// A Topic is a named set of partitions. Its methods are safe for concurrent
// use; after the topic is dropped or the log closed they fail with ErrClosed.
type Topic struct {
	name  string
	fs    vfs.FS
	dir   string
	parts []*partition
	rr    atomic.Uint32 // round-robin counter for nil keys

	defaultSegmentBytes int64 // Options.SegmentBytes

	cfg    atomic.Pointer[TopicConfig]
	cfgMu  sync.Mutex // serializes SetConfig and close
	closed bool       // cfgMu
}

// openTopic opens the partitions of the topic in dir.
func openTopic(name, dir string, cfg TopicConfig, opts *Options) (*Topic, error) {
	t := &Topic{name: name, fs: opts.FS, dir: dir, defaultSegmentBytes: opts.SegmentBytes}
	t.cfg.Store(&cfg)
	segmentBytes := t.segmentBytes(cfg)
	for i := 0; i < cfg.Partitions; i++ {
		desc := name + "/" + strconv.Itoa(i)
		pdir := opts.FS.PathJoin(dir, strconv.Itoa(i))
		if _, err := opts.FS.Stat(pdir); err != nil {
			_ = t.close()
			return nil, fmt.Errorf("opening topic %s: %w: partition %d: %v", name, ErrCorrupt, i, err)
		}
		p, err := openPartition(desc, pdir, opts, segmentBytes)
		if err != nil {
			_ = t.close()
			return nil, fmt.Errorf("opening topic %s: %w", name, err)
		}
		t.parts = append(t.parts, p)
	}
	return t, nil
}

// segmentBytes is the segment size cfg asks for.
func (t *Topic) segmentBytes(cfg TopicConfig) int64 {
	if cfg.SegmentBytes == 0 {
		return t.defaultSegmentBytes
	}
	return cfg.SegmentBytes
}

func (t *Topic) close() error {
	t.cfgMu.Lock()
	t.closed = true
	t.cfgMu.Unlock()
	var errs []error
	for _, p := range t.parts {
		errs = append(errs, p.close())
	}
	return errors.Join(errs...)
}

// Name returns the topic's name.
func (t *Topic) Name() string { return t.name }

// Config returns the topic's current configuration.
func (t *Topic) Config() TopicConfig { return *t.cfg.Load() }

// NumPartitions returns the number of partitions.
func (t *Topic) NumPartitions() int { return len(t.parts) }

// PartitionFor chooses a partition for key as Kafka's default partitioner
// does: toPositive(murmur2(key)) % n for a non-nil key, round-robin for a nil
// one.
func (t *Topic) PartitionFor(key []byte) int {
	n := int32(len(t.parts))
	if key == nil {
		return int(toPositive(int32(t.rr.Add(1)-1)) % n)
	}
	return int(toPositive(murmur2(key)) % n)
}

// partition returns partition p; a missing partition is a programming error.
func (t *Topic) partition(p int) *partition {
	if p < 0 || p >= len(t.parts) {
		panic(fmt.Sprintf("log: topic %s has no partition %d", t.name, p))
	}
	return t.parts[p]
}

func (t *Topic) checkPartition(p int) error {
	if p < 0 || p >= len(t.parts) {
		return fmt.Errorf("topic %s has no partition %d", t.name, p)
	}
	return nil
}

// Append writes recs to partition p as one record batch and returns the
// offset of the first record. It returns once the batch is durable: fsynced,
// or with Options.SyncInterval > 0 written to the file system. Concurrent
// Appends share fsyncs. recs are copied; the caller may reuse them at once.
// After a failed write or fsync the partition refuses appends until the log
// is reopened, since the state of the file is unknown.
func (t *Topic) Append(p int, recs []Record) (first int64, err error) {
	if err := t.checkPartition(p); err != nil {
		return 0, err
	}
	return t.parts[p].append(recs)
}

// Read calls fn for the records of partition p with offsets >= from, in
// order, stopping at the end or once roughly maxBytes of batches have been
// read (always at least one batch with records at or after from). It returns
// the offset to read next. The Record passed to fn aliases buffers valid only
// during the call. If fn returns an error, Read returns it with the offset of
// the record fn refused. from must be in [StartOffset, EndOffset]; otherwise
// the error wraps ErrOffsetOutOfRange. A damaged batch is never passed to fn:
// Read fails with an error wrapping ErrCorrupt.
func (t *Topic) Read(p int, from int64, maxBytes int, fn func(offset int64, r Record) error) (next int64, err error) {
	if err := t.checkPartition(p); err != nil {
		return from, err
	}
	return t.parts[p].read(from, maxBytes, fn)
}

// StartOffset returns the first offset partition p holds.
func (t *Topic) StartOffset(p int) int64 { return t.partition(p).startOffset() }

// EndOffset returns the offset the next record appended to partition p will
// get: everything below it is durable and readable.
func (t *Topic) EndOffset(p int) int64 { return t.partition(p).durable.Load() }

// OffsetForTime returns the first offset of partition p whose record has a
// timestamp >= ts, or EndOffset if there is none. Timestamps need not
// increase with offsets; the answer is exact either way.
func (t *Topic) OffsetForTime(p int, ts int64) (int64, error) {
	if err := t.checkPartition(p); err != nil {
		return 0, err
	}
	return t.parts[p].offsetForTime(ts)
}

// Wait returns a channel that is closed once EndOffset(p) > offset, or the
// log closes or the topic is dropped; so a reader at the end tails the
// partition without polling. Every call for the same offset shares one
// channel.
func (t *Topic) Wait(p int, offset int64) <-chan struct{} { return t.partition(p).wait(offset) }

// SizeBytes returns the bytes of the segments of partition p.
func (t *Topic) SizeBytes(p int) int64 { return t.partition(p).sizeBytes() }
