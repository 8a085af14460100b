package log

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"
)

const (
	// ConsumerOffsetsTopic is the internal, compacted topic in which
	// consumer groups' committed offsets are kept, one partition.
	ConsumerOffsetsTopic = "__consumer_offsets"

	offsetsSegmentBytes = 1 << 20
	maxGroupLength      = 1 << 10
	offsetRecordVersion = 1
)

// TopicPartition names one partition of a topic.
type TopicPartition struct {
	Topic     string
	Partition int
}

// offsetStore caches the committed offsets held in ConsumerOffsetsTopic.
// Commits are serialized under mu, so that the cache and the topic agree
// on which of two commits of the same partition came last.
type offsetStore struct {
	mu     sync.Mutex
	groups map[string]map[TopicPartition]int64
}

// IsInternal reports whether name is a topic the log keeps for itself
// (ConsumerOffsetsTopic). Internal topics are listed by Topics but cannot
// be created or dropped by name.
func (l *Log) IsInternal(name string) bool { return name == ConsumerOffsetsTopic }

// CommitOffsets durably records, for a consumer group, the offset of the
// next record to consume in each of the given partitions (which must
// exist). The commit is one record batch, so after a crash either all of
// it is there or none. It replaces earlier commits of the same partitions
// by the same group.
func (l *Log) CommitOffsets(group string, offsets map[TopicPartition]int64) error {
	if err := validGroup(group); err != nil {
		return fmt.Errorf("committing offsets: %w", err)
	}
	if len(offsets) == 0 {
		return nil
	}
	t, err := l.offsetsTopic()
	if err != nil {
		return fmt.Errorf("committing offsets of group %q: %w", group, err)
	}
	l.mu.RLock() // no topic is dropped during the commit
	defer l.mu.RUnlock()
	if l.closed {
		return fmt.Errorf("committing offsets of group %q: %w", group, ErrClosed)
	}
	tps := make([]TopicPartition, 0, len(offsets))
	for tp, off := range offsets {
		tt, ok := l.topics[tp.Topic]
		switch {
		case !ok:
			return fmt.Errorf("committing offsets of group %q: %w: %s", group, ErrTopicNotFound, tp.Topic)
		case tt.checkPartition(tp.Partition) != nil:
			return fmt.Errorf("committing offsets of group %q: %w", group, tt.checkPartition(tp.Partition))
		case off < 0:
			return fmt.Errorf("committing offsets of group %q: negative offset %d for %s/%d", group, off, tp.Topic, tp.Partition)
		}
		tps = append(tps, tp)
	}
	sortTopicPartitions(tps)
	now := time.Now().UnixMilli()
	recs := make([]Record, len(tps))
	for i, tp := range tps {
		recs[i] = Record{Key: encodeOffsetKey(group, tp), Value: encodeOffsetValue(offsets[tp]), Timestamp: now}
	}

	l.offsets.mu.Lock()
	defer l.offsets.mu.Unlock()
	if _, err := t.Append(0, recs); err != nil {
		return fmt.Errorf("committing offsets of group %q: %w", group, err)
	}
	for _, tp := range tps {
		l.offsets.set(group, tp, offsets[tp])
	}
	return nil
}

// FetchOffsets returns the offsets the group last committed, by partition;
// an empty map if it committed none.
func (l *Log) FetchOffsets(group string) (map[TopicPartition]int64, error) {
	if err := validGroup(group); err != nil {
		return nil, fmt.Errorf("fetching offsets: %w", err)
	}
	l.mu.RLock()
	closed := l.closed
	l.mu.RUnlock()
	if closed {
		return nil, fmt.Errorf("fetching offsets of group %q: %w", group, ErrClosed)
	}
	l.offsets.mu.Lock()
	defer l.offsets.mu.Unlock()
	out := make(map[TopicPartition]int64, len(l.offsets.groups[group]))
	for tp, off := range l.offsets.groups[group] {
		out[tp] = off
	}
	return out, nil
}

func validGroup(group string) error {
	if group == "" || len(group) > maxGroupLength {
		return fmt.Errorf("invalid consumer group name of %d bytes, want 1 to %d", len(group), maxGroupLength)
	}
	return nil
}

func sortTopicPartitions(tps []TopicPartition) {
	sort.Slice(tps, func(i, j int) bool {
		if tps[i].Topic != tps[j].Topic {
			return tps[i].Topic < tps[j].Topic
		}
		return tps[i].Partition < tps[j].Partition
	})
}

// offsetsTopic returns the offsets topic, creating it on first use.
func (l *Log) offsetsTopic() (*Topic, error) {
	if t, ok := l.Topic(ConsumerOffsetsTopic); ok {
		return t, nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if t, ok := l.topics[ConsumerOffsetsTopic]; ok {
		return t, nil
	}
	return l.createTopicLocked(ConsumerOffsetsTopic, TopicConfig{
		Partitions:   1,
		SegmentBytes: offsetsSegmentBytes,
		Compact:      true,
	})
}

// forgetOffsetsLocked deletes every committed offset of topic, writing
// tombstones, so that a topic created later under the same name does not
// inherit them. The caller holds l.mu.
func (l *Log) forgetOffsetsLocked(topic string) error {
	l.offsets.mu.Lock()
	defer l.offsets.mu.Unlock()
	var recs []Record
	var keys []groupPartition
	now := time.Now().UnixMilli()
	for group, tps := range l.offsets.groups {
		for tp := range tps {
			if tp.Topic == topic {
				recs = append(recs, Record{Key: encodeOffsetKey(group, tp), Timestamp: now})
				keys = append(keys, groupPartition{group, tp})
			}
		}
	}
	if len(recs) == 0 {
		return nil
	}
	t, ok := l.topics[ConsumerOffsetsTopic]
	if !ok {
		return fmt.Errorf("forgetting committed offsets: %w: %s", ErrTopicNotFound, ConsumerOffsetsTopic)
	}
	if _, err := t.Append(0, recs); err != nil {
		return fmt.Errorf("forgetting committed offsets: %w", err)
	}
	for _, k := range keys {
		l.offsets.remove(k.group, k.tp)
	}
	return nil
}

type groupPartition struct {
	group string
	tp    TopicPartition
}

func (s *offsetStore) set(group string, tp TopicPartition, off int64) {
	if s.groups == nil {
		s.groups = make(map[string]map[TopicPartition]int64)
	}
	g := s.groups[group]
	if g == nil {
		g = make(map[TopicPartition]int64)
		s.groups[group] = g
	}
	g[tp] = off
}

func (s *offsetStore) remove(group string, tp TopicPartition) {
	delete(s.groups[group], tp)
	if len(s.groups[group]) == 0 {
		delete(s.groups, group)
	}
}

// loadOffsets fills the cache from the offsets topic, if there is one.
// It runs in Open, before the log is shared.
func (l *Log) loadOffsets() error {
	t, ok := l.topics[ConsumerOffsetsTopic]
	if !ok {
		return nil
	}
	for next, end := t.StartOffset(0), t.EndOffset(0); next < end; {
		n, err := t.Read(0, next, 1<<20, func(off int64, r Record) error {
			group, tp, err := decodeOffsetKey(r.Key)
			if err != nil {
				return fmt.Errorf("%w: record %d: %v", ErrCorrupt, off, err)
			}
			if r.Value == nil {
				l.offsets.remove(group, tp)
				return nil
			}
			v, err := decodeOffsetValue(r.Value)
			if err != nil {
				return fmt.Errorf("%w: record %d: %v", ErrCorrupt, off, err)
			}
			l.offsets.set(group, tp, v)
			return nil
		})
		if err != nil {
			return fmt.Errorf("loading committed offsets from %s: %w", ConsumerOffsetsTopic, err)
		}
		next = n
	}
	return nil
}

// encodeOffsetKey encodes a commit's key: version byte, then group and
// topic as uvarint-length-prefixed strings, then the partition as a uvarint.
func encodeOffsetKey(group string, tp TopicPartition) []byte {
	b := make([]byte, 0, 1+len(group)+len(tp.Topic)+3*binary.MaxVarintLen32)
	b = append(b, offsetRecordVersion)
	b = binary.AppendUvarint(b, uint64(len(group)))
	b = append(b, group...)
	b = binary.AppendUvarint(b, uint64(len(tp.Topic)))
	b = append(b, tp.Topic...)
	return binary.AppendUvarint(b, uint64(tp.Partition))
}

func decodeOffsetKey(b []byte) (group string, tp TopicPartition, err error) {
	if len(b) == 0 || b[0] != offsetRecordVersion {
		return "", tp, errors.New("unknown offset key version")
	}
	b = b[1:]
	str := func() string {
		n, k := binary.Uvarint(b)
		if k <= 0 || n > uint64(len(b)-k) {
			err = errors.New("malformed offset key")
			return ""
		}
		s := string(b[k : k+int(n)])
		b = b[k+int(n):]
		return s
	}
	group = str()
	tp.Topic = str()
	if err != nil {
		return "", tp, err
	}
	p, k := binary.Uvarint(b)
	if k <= 0 || k != len(b) || p >= maxPartitions {
		return "", tp, errors.New("malformed offset key partition")
	}
	tp.Partition = int(p)
	return group, tp, nil
}

// encodeOffsetValue encodes a commit's value: version byte, varint offset.
func encodeOffsetValue(off int64) []byte {
	return binary.AppendVarint([]byte{offsetRecordVersion}, off)
}

func decodeOffsetValue(b []byte) (int64, error) {
	if len(b) == 0 || b[0] != offsetRecordVersion {
		return 0, errors.New("unknown offset value version")
	}
	off, k := binary.Varint(b[1:])
	if k <= 0 || k != len(b)-1 || off < 0 {
		return 0, errors.New("malformed offset value")
	}
	return off, nil
}
