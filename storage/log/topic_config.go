package log

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"

	"github.com/cockroachdb/pebble/vfs"
)

const (
	topicConfigFile    = "topic.json"
	maxTopicNameLength = 249 // as Kafka
	maxPartitions      = 1 << 16
	minSegmentBytes    = 1 << 10

	// DefaultTombstoneRetentionMs is how long a compacted topic keeps a
	// tombstone (a record with a key and a null value) when
	// TopicConfig.TombstoneRetentionMs is 0: Kafka's delete.retention.ms.
	DefaultTombstoneRetentionMs = 24 * 60 * 60 * 1000
)

// TopicConfig is a topic's configuration. Partitions is fixed at creation;
// the rest can be changed with Topic.SetConfig. No field may be negative.
type TopicConfig struct {
	Partitions int
	// SegmentBytes rolls segments at this size; 0 means Options.SegmentBytes.
	SegmentBytes int64
	// RetentionMs deletes the oldest sealed segments whose largest record
	// timestamp is more than RetentionMs before now (Kafka's retention.ms);
	// RetentionBytes deletes the oldest sealed segments of a partition while
	// what remains is still at least RetentionBytes (retention.bytes, per
	// partition). 0 is unlimited. Both apply to compacted topics too
	// (cleanup.policy=compact,delete).
	RetentionMs, RetentionBytes int64
	// Compact asks for log compaction (cleanup.policy=compact): sealed
	// segments keep only the latest record of each key.
	Compact bool
	// TombstoneRetentionMs is how long compaction keeps a tombstone after
	// its timestamp (delete.retention.ms); 0 means
	// DefaultTombstoneRetentionMs.
	TombstoneRetentionMs int64
}

func (c TopicConfig) validate() error {
	switch {
	case c.Partitions < 1 || c.Partitions > maxPartitions:
		return fmt.Errorf("%d partitions, want 1 to %d", c.Partitions, maxPartitions)
	case c.SegmentBytes != 0 && (c.SegmentBytes < minSegmentBytes || c.SegmentBytes > math.MaxInt32):
		return fmt.Errorf("segment bytes %d, want 0 or %d to %d", c.SegmentBytes, minSegmentBytes, math.MaxInt32)
	case c.RetentionMs < 0 || c.RetentionBytes < 0:
		return fmt.Errorf("negative retention (%d ms, %d bytes); 0 is unlimited", c.RetentionMs, c.RetentionBytes)
	case c.TombstoneRetentionMs < 0:
		return fmt.Errorf("negative tombstone retention %d ms; 0 is the default", c.TombstoneRetentionMs)
	}
	return nil
}

// tombstoneRetentionMs applies the default.
func (c TopicConfig) tombstoneRetentionMs() int64 {
	if c.TombstoneRetentionMs == 0 {
		return DefaultTombstoneRetentionMs
	}
	return c.TombstoneRetentionMs
}

// topicFile is the on-disk form of TopicConfig, kept apart from the API type.
type topicFile struct {
	Version              int   `json:"version"`
	Partitions           int   `json:"partitions"`
	SegmentBytes         int64 `json:"segment_bytes,omitempty"`
	RetentionMs          int64 `json:"retention_ms,omitempty"`
	RetentionBytes       int64 `json:"retention_bytes,omitempty"`
	Compact              bool  `json:"compact,omitempty"`
	TombstoneRetentionMs int64 `json:"tombstone_retention_ms,omitempty"`
}

func encodeTopicConfig(c TopicConfig) ([]byte, error) {
	return json.Marshal(topicFile{
		Version:              1,
		Partitions:           c.Partitions,
		SegmentBytes:         c.SegmentBytes,
		RetentionMs:          c.RetentionMs,
		RetentionBytes:       c.RetentionBytes,
		Compact:              c.Compact,
		TombstoneRetentionMs: c.TombstoneRetentionMs,
	})
}

func decodeTopicConfig(b []byte) (TopicConfig, error) {
	var f topicFile
	if err := json.Unmarshal(b, &f); err != nil {
		return TopicConfig{}, fmt.Errorf("%w: %s: %v", ErrCorrupt, topicConfigFile, err)
	}
	if f.Version != 1 {
		return TopicConfig{}, fmt.Errorf("%s: unknown version %d", topicConfigFile, f.Version)
	}
	c := TopicConfig{
		Partitions:           f.Partitions,
		SegmentBytes:         f.SegmentBytes,
		RetentionMs:          f.RetentionMs,
		RetentionBytes:       f.RetentionBytes,
		Compact:              f.Compact,
		TombstoneRetentionMs: f.TombstoneRetentionMs,
	}
	if err := c.validate(); err != nil {
		return TopicConfig{}, fmt.Errorf("%w: %s: %v", ErrCorrupt, topicConfigFile, err)
	}
	return c, nil
}

// readTopicConfig reads dir's topic.json; ok is false if there is none.
func readTopicConfig(fs vfs.FS, dir string) (cfg TopicConfig, ok bool, err error) {
	f, err := fs.Open(fs.PathJoin(dir, topicConfigFile))
	if errors.Is(err, os.ErrNotExist) {
		return cfg, false, nil
	}
	if err != nil {
		return cfg, false, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return cfg, false, err
	}
	if st.Size() > 1<<20 {
		return cfg, false, fmt.Errorf("%w: %s of %d bytes", ErrCorrupt, topicConfigFile, st.Size())
	}
	b := make([]byte, st.Size())
	if _, err := f.ReadAt(b, 0); err != nil && len(b) > 0 {
		return cfg, false, err
	}
	cfg, err = decodeTopicConfig(b)
	return cfg, err == nil, err
}

// writeTopicConfig replaces dir's topic.json crash-safely: the new file is
// written and fsynced under a temporary name and renamed over the old one,
// so a crash leaves one or the other.
func writeTopicConfig(fs vfs.FS, dir string, cfg TopicConfig) error {
	b, err := encodeTopicConfig(cfg)
	if err != nil {
		return err
	}
	f, err := writeFile(fs, dir, topicConfigFile+tmpExt, b)
	if err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := fs.Rename(fs.PathJoin(dir, topicConfigFile+tmpExt), fs.PathJoin(dir, topicConfigFile)); err != nil {
		return err
	}
	return syncDir(fs, dir)
}

// SetConfig changes the topic's configuration at run time (ALTER STREAM ...
// SET): it validates cfg, writes it durably to topic.json and applies it.
// The number of partitions cannot change. A new SegmentBytes applies from
// the next roll; retention and compaction settings from the next cleanup
// pass (Log.EnforceRetention, Log.Compact, or the background cleaner).
func (t *Topic) SetConfig(cfg TopicConfig) error {
	if err := cfg.validate(); err != nil {
		return fmt.Errorf("configuring topic %s: %w", t.name, err)
	}
	t.cfgMu.Lock()
	defer t.cfgMu.Unlock()
	if t.closed {
		return fmt.Errorf("configuring topic %s: %w", t.name, ErrClosed)
	}
	if old := t.cfg.Load(); cfg.Partitions != old.Partitions {
		return fmt.Errorf("configuring topic %s: cannot change the number of partitions from %d to %d", t.name, old.Partitions, cfg.Partitions)
	}
	if err := writeTopicConfig(t.fs, t.dir, cfg); err != nil {
		return fmt.Errorf("configuring topic %s: %w", t.name, err)
	}
	t.cfg.Store(&cfg)
	for _, p := range t.parts {
		p.segmentBytes.Store(t.segmentBytes(cfg))
	}
	return nil
}
