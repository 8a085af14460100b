package windowing

import "math"

// NoWatermark is the watermark before any event time is known.
const NoWatermark = math.MinInt64

// Tracker derives a stream's watermark from its partitions. Each partition
// tracks the largest event time it has delivered. A partition is idle when
// it has delivered nothing for IdleTimeout of processing time (since its
// last record, or since tracking began). The watermark is the minimum over
// the partitions that are not idle, minus Delay; a non-idle partition that
// has delivered nothing yet holds the watermark back entirely. When every
// partition is idle, none holds it back: the watermark is the largest event
// time seen minus Delay. It never goes backwards.
//
// Processing time arrives as arguments (microseconds); the tracker reads
// no clock.
type Tracker struct {
	Delay       int64
	IdleTimeout int64
	MaxSeen     []int64 // per partition; NoWatermark when none yet
	lastActive  []int64
	current     int64
}

// NewTracker tracks n partitions starting at processing time now.
func NewTracker(n int, delay, idleTimeout, now int64) *Tracker {
	t := &Tracker{Delay: delay, IdleTimeout: idleTimeout, MaxSeen: make([]int64, n), lastActive: make([]int64, n), current: NoWatermark}
	for i := range t.MaxSeen {
		t.MaxSeen[i] = NoWatermark
		t.lastActive[i] = now
	}
	return t
}

// Observe records an event time seen on partition p at processing time now.
func (t *Tracker) Observe(p int, ts, now int64) {
	if ts > t.MaxSeen[p] {
		t.MaxSeen[p] = ts
	}
	t.lastActive[p] = now
}

func (t *Tracker) idle(p int, now int64) bool { return now-t.lastActive[p] >= t.IdleTimeout }

// candidate is the watermark the partitions allow at now, without the
// never-backwards rule.
func (t *Tracker) candidate(now int64) (int64, bool) {
	lo, hi := int64(math.MaxInt64), int64(NoWatermark)
	active := false
	for p, s := range t.MaxSeen {
		hi = max(hi, s)
		if t.idle(p, now) {
			continue
		}
		if s == NoWatermark {
			return 0, false
		}
		active = true
		lo = min(lo, s)
	}
	if !active {
		lo = hi
	}
	if lo == NoWatermark {
		return 0, false
	}
	return lo - t.Delay, true
}

// Advance recomputes the watermark at processing time now and reports
// whether it moved forward.
func (t *Tracker) Advance(now int64) (int64, bool) {
	wm, ok := t.candidate(now)
	if ok && wm > t.current {
		t.current = wm
		return wm, true
	}
	return t.current, false
}

// WouldAdvance reports whether Advance(now) would move the watermark.
func (t *Tracker) WouldAdvance(now int64) bool {
	wm, ok := t.candidate(now)
	return ok && wm > t.current
}

// NextIdle is the processing time at which the next non-idle partition
// turns idle (false when none will).
func (t *Tracker) NextIdle(now int64) (int64, bool) {
	next, ok := int64(math.MaxInt64), false
	for p := range t.MaxSeen {
		if !t.idle(p, now) {
			next, ok = min(next, t.lastActive[p]+t.IdleTimeout), true
		}
	}
	return next, ok
}

// Current is the watermark so far.
func (t *Tracker) Current() int64 { return t.current }

// Restore sets the watermark reached before a restart.
func (t *Tracker) Restore(wm int64) { t.current = max(t.current, wm) }

// Clone copies the tracker, so a failed epoch can be rolled back.
func (t *Tracker) Clone() *Tracker {
	c := *t
	c.MaxSeen = append([]int64(nil), t.MaxSeen...)
	c.lastActive = append([]int64(nil), t.lastActive...)
	return &c
}
