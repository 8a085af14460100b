package log

import (
	"errors"
	"fmt"
	"io"
	stdlog "log"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/vfs"
)

const (
	// DefaultSegmentBytes is the default segment size.
	DefaultSegmentBytes = 64 << 20
	// DefaultIndexIntervalBytes is the default spacing of index entries.
	DefaultIndexIntervalBytes = 4 << 10
	// DefaultCleanupInterval is how often the background cleaner runs.
	DefaultCleanupInterval = 30 * time.Second

	// The log's own names under Options.Dir contain '~', which topic names
	// cannot.
	lockFileName   = "~lock"
	creatingSuffix = "~creating"
	deletingSuffix = "~deleting"
)

var (
	// ErrCorrupt marks errors caused by damaged data on disk.
	ErrCorrupt = errors.New("corrupt log data")
	// ErrClosed is returned by operations on a closed log or dropped topic.
	ErrClosed = errors.New("log closed")
	// ErrTopicExists is returned by CreateTopic for an existing topic.
	ErrTopicExists = errors.New("topic already exists")
	// ErrTopicNotFound is returned by DropTopic for a missing topic.
	ErrTopicNotFound = errors.New("topic not found")
	// ErrOffsetOutOfRange is returned by Read for an offset outside
	// [StartOffset, EndOffset].
	ErrOffsetOutOfRange = errors.New("offset out of range")
)

// corruptf returns an error wrapping ErrCorrupt.
func corruptf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
}

// Header is a record header. Key is never null; a nil Value is null.
type Header struct {
	Key   string
	Value []byte
}

// Record is one record. A nil Key or Value is null, distinct from empty.
// Timestamp is in Unix milliseconds, as in Kafka; the log stores it as given.
type Record struct {
	Key, Value []byte
	Headers    []Header
	Timestamp  int64
}

// Options configure a Log.
type Options struct {
	// FS does all file I/O: vfs.Default in production, vfs.NewMem() or
	// vfs.NewStrictMem() in tests. Nil means vfs.Default.
	FS vfs.FS
	// Dir is the root directory: one subdirectory per topic, one per
	// partition in it (Dir/topic/<partition>/).
	Dir string
	// SegmentBytes rolls segments at this size (default 64 MiB); a topic's
	// TopicConfig.SegmentBytes overrides it.
	SegmentBytes int64
	// SyncInterval 0 (the default) fsyncs every append before acknowledging
	// it, sharing fsyncs among concurrent appends. A positive SyncInterval
	// acknowledges appends once written to the file system and fsyncs every
	// interval, as Kafka does by default: faster, but a machine crash loses
	// up to an interval of acknowledged appends. A process crash loses
	// nothing either way.
	SyncInterval time.Duration
	// IndexIntervalBytes is the spacing of sparse index entries (default 4 KiB).
	IndexIntervalBytes int
	// CleanupInterval is how often a background goroutine enforces
	// retention and compacts what is due (default 30s; negative: never,
	// leaving it to EnforceRetention and Compact).
	CleanupInterval time.Duration
	// Logf reports recovery actions such as truncating a torn tail
	// (default: the standard library logger).
	Logf func(format string, args ...any)
}

func (o *Options) ensureDefaults() error {
	if o.FS == nil {
		o.FS = vfs.Default
	}
	if o.Dir == "" {
		return errors.New("no directory")
	}
	if o.SegmentBytes == 0 {
		o.SegmentBytes = DefaultSegmentBytes
	}
	if o.SegmentBytes < minSegmentBytes || o.SegmentBytes > math.MaxInt32 {
		return fmt.Errorf("segment bytes %d, want %d to %d", o.SegmentBytes, minSegmentBytes, math.MaxInt32)
	}
	if o.SyncInterval < 0 {
		return fmt.Errorf("negative sync interval %s", o.SyncInterval)
	}
	if o.IndexIntervalBytes == 0 {
		o.IndexIntervalBytes = DefaultIndexIntervalBytes
	}
	if o.IndexIntervalBytes < 0 {
		return fmt.Errorf("negative index interval %d", o.IndexIntervalBytes)
	}
	if o.Logf == nil {
		o.Logf = stdlog.Printf
	}
	if o.CleanupInterval == 0 {
		o.CleanupInterval = DefaultCleanupInterval
	}
	return nil
}

// A Log is a directory of topics. Its methods are safe for concurrent use.
type Log struct {
	opts Options
	lock io.Closer

	mu     sync.RWMutex
	topics map[string]*Topic
	closed bool

	stopSync chan struct{} // closed by Close to stop the periodic syncer
	syncDone chan struct{}

	stopCleaner chan struct{} // closed by Close to stop the background cleaner
	cleanerDone chan struct{}

	offsets offsetStore // consumer groups' committed offsets
}

// Open opens the log in opts.Dir, creating the directory if needed, and
// recovers every topic in it. It holds a lock file so that one process at a
// time uses the directory.
func Open(opts Options) (*Log, error) {
	if err := opts.ensureDefaults(); err != nil {
		return nil, fmt.Errorf("opening log: %w", err)
	}
	fs, dir := opts.FS, opts.Dir
	if err := fs.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("opening log %s: %w", dir, err)
	}
	if err := syncDir(fs, fs.PathDir(dir)); err != nil {
		return nil, fmt.Errorf("opening log %s: %w", dir, err)
	}
	lock, err := fs.Lock(fs.PathJoin(dir, lockFileName))
	if err != nil {
		return nil, fmt.Errorf("opening log %s: locking: %w", dir, err)
	}
	l := &Log{opts: opts, lock: lock, topics: make(map[string]*Topic)}
	err = l.recover()
	if err == nil {
		err = l.loadOffsets()
	}
	if err != nil {
		_ = l.closeTopics()
		_ = lock.Close()
		return nil, fmt.Errorf("opening log %s: %w", dir, err)
	}
	if opts.SyncInterval > 0 {
		l.stopSync, l.syncDone = make(chan struct{}), make(chan struct{})
		go l.syncLoop()
	}
	if opts.CleanupInterval > 0 {
		l.stopCleaner, l.cleanerDone = make(chan struct{}), make(chan struct{})
		go l.cleanerLoop()
	}
	return l, nil
}

// recover opens every topic directory and finishes interrupted creations
// and drops by removing their directories.
func (l *Log) recover() error {
	fs, dir := l.opts.FS, l.opts.Dir
	names, err := fs.List(dir)
	if err != nil {
		return err
	}
	sort.Strings(names)
	removed := false
	for _, name := range names {
		path := fs.PathJoin(dir, name)
		if strings.HasSuffix(name, creatingSuffix) || strings.HasSuffix(name, deletingSuffix) {
			l.opts.Logf("log: %s: removing interrupted topic creation or drop %s", dir, name)
			if err := fs.RemoveAll(path); err != nil {
				return err
			}
			removed = true
			continue
		}
		if validTopicName(name) != nil {
			continue
		}
		if st, err := fs.Stat(path); err != nil || !st.IsDir() {
			continue
		}
		cfg, ok, err := readTopicConfig(fs, path)
		if err != nil {
			return fmt.Errorf("opening topic %s: %w", name, err)
		}
		if !ok {
			l.opts.Logf("log: %s: ignoring directory %s without %s", dir, name, topicConfigFile)
			continue
		}
		t, err := openTopic(name, path, cfg, &l.opts)
		if err != nil {
			return err
		}
		l.topics[name] = t
	}
	if removed {
		return syncDir(fs, dir)
	}
	return nil
}

// CreateTopic creates a topic. The topic appears atomically: it is built
// in a scratch directory that is renamed into place. Internal topics' names
// (see IsInternal) are reserved.
func (l *Log) CreateTopic(name string, cfg TopicConfig) (*Topic, error) {
	if err := validTopicName(name); err != nil {
		return nil, fmt.Errorf("creating topic: %w", err)
	}
	if l.IsInternal(name) {
		return nil, fmt.Errorf("creating topic %s: the name is reserved for an internal topic", name)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.createTopicLocked(name, cfg)
}

// createTopicLocked is CreateTopic under l.mu.
func (l *Log) createTopicLocked(name string, cfg TopicConfig) (*Topic, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("creating topic %s: %w", name, err)
	}
	if l.closed {
		return nil, fmt.Errorf("creating topic %s: %w", name, ErrClosed)
	}
	if _, ok := l.topics[name]; ok {
		return nil, fmt.Errorf("creating topic %s: %w", name, ErrTopicExists)
	}
	fs, dir := l.opts.FS, l.opts.Dir
	final := fs.PathJoin(dir, name)
	if err := l.buildTopicDir(name, cfg); err != nil {
		return nil, fmt.Errorf("creating topic %s: %w", name, err)
	}
	// A directory left without topic.json (see recover) is in the way.
	if err := fs.RemoveAll(final); err != nil {
		return nil, fmt.Errorf("creating topic %s: %w", name, err)
	}
	if err := fs.Rename(fs.PathJoin(dir, name+creatingSuffix), final); err != nil {
		return nil, fmt.Errorf("creating topic %s: %w", name, err)
	}
	if err := syncDir(fs, dir); err != nil {
		return nil, fmt.Errorf("creating topic %s: %w", name, err)
	}
	t, err := openTopic(name, final, cfg, &l.opts)
	if err != nil {
		return nil, fmt.Errorf("creating topic %s: %w", name, err)
	}
	l.topics[name] = t
	return t, nil
}

// buildTopicDir writes a complete, fsynced topic directory under its
// scratch name: the config and each partition with an empty first segment.
func (l *Log) buildTopicDir(name string, cfg TopicConfig) error {
	fs := l.opts.FS
	tmp := fs.PathJoin(l.opts.Dir, name+creatingSuffix)
	if err := fs.RemoveAll(tmp); err != nil {
		return err
	}
	if err := fs.MkdirAll(tmp, 0o755); err != nil {
		return err
	}
	for i := 0; i < cfg.Partitions; i++ {
		pdir := fs.PathJoin(tmp, strconv.Itoa(i))
		if err := fs.MkdirAll(pdir, 0o755); err != nil {
			return err
		}
		f, err := writeFile(fs, pdir, segmentFileName(0, logExt), nil)
		if err != nil {
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		if err := syncDir(fs, pdir); err != nil {
			return err
		}
	}
	b, err := encodeTopicConfig(cfg)
	if err != nil {
		return err
	}
	f, err := writeFile(fs, tmp, topicConfigFile, b)
	if err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return syncDir(fs, tmp)
}

// Topic returns the named topic.
func (l *Log) Topic(name string) (*Topic, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	t, ok := l.topics[name]
	return t, ok
}

// snapshotTopics returns the open topics.
func (l *Log) snapshotTopics() ([]*Topic, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return nil, ErrClosed
	}
	topics := make([]*Topic, 0, len(l.topics))
	for _, t := range l.topics {
		topics = append(topics, t)
	}
	sort.Slice(topics, func(i, j int) bool { return topics[i].name < topics[j].name })
	return topics, nil
}

// Topics returns the names of all topics, sorted, internal ones included.
func (l *Log) Topics() []string {
	l.mu.RLock()
	defer l.mu.RUnlock()
	names := make([]string, 0, len(l.topics))
	for name := range l.topics {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// DropTopic deletes a topic and its files, and the offsets consumer groups
// committed for it. Appends in flight finish first; later calls on the
// Topic fail with ErrClosed. The directory is renamed aside before it is
// removed, so a crash cannot leave half a topic. Internal topics cannot be
// dropped.
func (l *Log) DropTopic(name string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return fmt.Errorf("dropping topic %s: %w", name, ErrClosed)
	}
	if l.IsInternal(name) {
		return fmt.Errorf("dropping topic %s: it is an internal topic", name)
	}
	t, ok := l.topics[name]
	if !ok {
		return fmt.Errorf("dropping topic %s: %w", name, ErrTopicNotFound)
	}
	delete(l.topics, name)
	closeErr := t.close()
	fs, dir := l.opts.FS, l.opts.Dir
	aside := fs.PathJoin(dir, name+deletingSuffix)
	if err := fs.RemoveAll(aside); err != nil {
		return fmt.Errorf("dropping topic %s: %w", name, err)
	}
	if err := fs.Rename(fs.PathJoin(dir, name), aside); err != nil {
		return fmt.Errorf("dropping topic %s: %w", name, err)
	}
	if err := syncDir(fs, dir); err != nil {
		return fmt.Errorf("dropping topic %s: %w", name, err)
	}
	if err := fs.RemoveAll(aside); err != nil {
		return fmt.Errorf("dropping topic %s: %w", name, err)
	}
	if err := syncDir(fs, dir); err != nil {
		return fmt.Errorf("dropping topic %s: %w", name, err)
	}
	if closeErr != nil && !errors.Is(closeErr, os.ErrClosed) {
		l.opts.Logf("log: dropping topic %s: %v", name, closeErr)
	}
	if err := l.forgetOffsetsLocked(name); err != nil {
		return fmt.Errorf("dropping topic %s: %w", name, err)
	}
	return nil
}

// Sync fsyncs everything appended so far. It matters only with
// Options.SyncInterval > 0, where it ends a window of possible loss early.
func (l *Log) Sync() error {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return ErrClosed
	}
	var errs []error
	for _, t := range l.topics {
		for _, p := range t.parts {
			errs = append(errs, p.sync())
		}
	}
	return errors.Join(errs...)
}

func (l *Log) syncLoop() {
	defer close(l.syncDone)
	tick := time.NewTicker(l.opts.SyncInterval)
	defer tick.Stop()
	for {
		select {
		case <-l.stopSync:
			return
		case <-tick.C:
			if err := l.Sync(); err != nil && !errors.Is(err, ErrClosed) {
				l.opts.Logf("log: periodic sync: %v", err)
			}
		}
	}
}

// Close waits for appends in flight, fsyncs, closes every topic and releases
// the directory. Wait channels are closed.
func (l *Log) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return ErrClosed
	}
	l.closed = true
	l.mu.Unlock()
	if l.stopSync != nil {
		close(l.stopSync)
		<-l.syncDone
	}
	if l.stopCleaner != nil {
		// A pass under way stops at its next check: closing a partition
		// stops its cleaner.
		close(l.stopCleaner)
	}
	err := l.closeTopics()
	if l.cleanerDone != nil {
		<-l.cleanerDone
	}
	return errors.Join(err, l.lock.Close())
}

func (l *Log) closeTopics() error {
	var errs []error
	for _, t := range l.topics {
		errs = append(errs, t.close())
	}
	return errors.Join(errs...)
}
