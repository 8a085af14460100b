package log

import (
	"errors"
	"fmt"
	"math"
	"os"
	"time"

	"github.com/cockroachdb/pebble/vfs"
)

// EnforceRetention runs one retention pass over every topic, synchronously:
// in each partition it deletes the oldest sealed segments that RetentionMs
// or RetentionBytes (see TopicConfig) no longer keep, which moves
// StartOffset forward; a Read from before it then fails with
// ErrOffsetOutOfRange, as a Kafka fetch does. now decides what is expired.
// The active segment is never deleted, but if every record in a partition
// has expired, the active segment is sealed first (a roll) so that it can
// be, as Kafka does; otherwise an idle topic would keep its last segment
// forever. The background cleaner (Options.CleanupInterval) calls this with
// the wall clock.
func (l *Log) EnforceRetention(now time.Time) error {
	topics, err := l.snapshotTopics()
	if err != nil {
		return fmt.Errorf("enforcing retention: %w", err)
	}
	nowMs := now.UnixMilli()
	var errs []error
	for _, t := range topics {
		cfg := t.Config()
		if cfg.RetentionMs == 0 && cfg.RetentionBytes == 0 {
			continue
		}
		for _, p := range t.parts {
			err := p.enforceRetention(cfg.RetentionMs, cfg.RetentionBytes, nowMs)
			if err != nil && !errors.Is(err, ErrClosed) {
				errs = append(errs, fmt.Errorf("enforcing retention of %s: %w", p.desc, err))
			}
		}
	}
	return errors.Join(errs...)
}

// retentionCutoff is the timestamp before which records have expired, or
// math.MinInt64 if retentionMs is 0 (unlimited).
func retentionCutoff(nowMs, retentionMs int64) int64 {
	if retentionMs == 0 {
		return math.MinInt64
	}
	if nowMs < math.MinInt64+retentionMs {
		return math.MinInt64
	}
	return nowMs - retentionMs
}

// enforceRetention deletes the longest prefix of sealed segments that are
// each either expired (their largest timestamp is before the cutoff; an
// empty segment has none and counts as expired) or, by bytes, deletable
// because what would remain is still at least retentionBytes.
func (p *partition) enforceRetention(retentionMs, retentionBytes, nowMs int64) error {
	p.cleanMu.Lock()
	defer p.cleanMu.Unlock()
	if p.clean.err != nil {
		return p.clean.err
	}
	cutoff := retentionCutoff(nowMs, retentionMs)
	n, all, err := p.deletablePrefix(cutoff, retentionBytes)
	if err != nil {
		return err
	}
	if all && retentionMs > 0 {
		rolled, err := p.rollExpired(cutoff)
		if err != nil {
			return err
		}
		if rolled {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	return p.deleteSegments(n)
}

// deletablePrefix returns how many leading sealed segments retention
// deletes, and whether that is all of them.
func (p *partition) deletablePrefix(cutoff, retentionBytes int64) (n int, all bool, err error) {
	p.segMu.RLock()
	defer p.segMu.RUnlock()
	if p.closed {
		return 0, false, ErrClosed
	}
	var total int64
	for _, s := range p.segs {
		total += s.size
	}
	sealed := p.segs[:len(p.segs)-1]
	for n < len(sealed) {
		s := sealed[n]
		expired := s.maxTimestamp() < cutoff
		tooBig := retentionBytes > 0 && total-s.size >= retentionBytes
		if !expired && !tooBig {
			break
		}
		total -= s.size
		n++
	}
	return n, n == len(sealed), nil
}

// rollExpired seals the active segment if it has records and all of them
// are before cutoff, so that retention can delete it.
func (p *partition) rollExpired(cutoff int64) (bool, error) {
	p.ioMu.Lock()
	defer p.ioMu.Unlock()
	if p.closed {
		return false, ErrClosed
	}
	// The ioMu holder may read the active segment's published state.
	s := p.segs[len(p.segs)-1]
	if s.size == 0 || s.maxTimestamp() >= cutoff {
		return false, nil
	}
	if err := p.roll(s, s.next); err != nil {
		// As after a failed flush, the files' state is unknown.
		err = fmt.Errorf("rolling expired segment of %s: %w", p.desc, err)
		p.mu.Lock()
		if p.err == nil {
			p.err = err
			p.logf("log: %s: refusing further appends: %v", p.desc, err)
		}
		p.mu.Unlock()
		return false, err
	}
	return true, nil
}

// deleteSegments removes the first n segments, which are sealed: from the
// list at once, then their files, oldest first with a directory sync after
// each, so that a crash leaves a contiguous run of segments. Readers still
// holding one keep reading it; its files are closed when they let go.
func (p *partition) deleteSegments(n int) error {
	p.ioMu.Lock()
	p.segMu.Lock()
	if p.closed {
		p.segMu.Unlock()
		p.ioMu.Unlock()
		return ErrClosed
	}
	doomed := append([]*segment(nil), p.segs[:n]...)
	p.segs = append([]*segment(nil), p.segs[n:]...)
	p.segMu.Unlock()
	p.ioMu.Unlock()

	var errs []error
	failed := false
	for i, s := range doomed {
		if !failed {
			err := removeSegmentFiles(p.fs, p.dir, s.base)
			if err == nil {
				err = syncDir(p.fs, p.dir)
			}
			if err != nil {
				// The files left behind reappear when the log is reopened,
				// still in order: nothing after them was removed.
				errs = append(errs, fmt.Errorf("deleting segment %s and %d after it: %w", s.name, len(doomed)-i-1, err))
				failed = true
			}
		}
		errs = append(errs, s.unref())
	}
	return errors.Join(errs...)
}

// removeSegmentFiles removes a segment's log, then its indexes; files that
// do not exist are skipped. The caller syncs dir. (Indexes left behind by a
// crash are removed by tidyPartitionDir.)
func removeSegmentFiles(fs vfs.FS, dir string, base int64) error {
	for _, ext := range []string{logExt, indexExt, timeIndexExt} {
		err := fs.Remove(fs.PathJoin(dir, segmentFileName(base, ext)))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}
