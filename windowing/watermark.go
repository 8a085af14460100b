package windowing

import "math"

// NoWatermark is the watermark before any event time is known.
const NoWatermark = math.MinInt64

// Tracker derives a stream's watermark from its partitions: each partition
// tracks the largest event time it has delivered; the stream's watermark is
// the minimum over partitions that have delivered data, minus the declared
// delay. Partitions that never delivered data do not hold the watermark
// back (they count as idle). The watermark never goes backwards.
type Tracker struct {
	Delay   int64
	MaxSeen []int64 // per partition; NoWatermark when none yet
	current int64
}

// NewTracker tracks n partitions.
func NewTracker(n int, delay int64) *Tracker {
	t := &Tracker{Delay: delay, MaxSeen: make([]int64, n), current: NoWatermark}
	for i := range t.MaxSeen {
		t.MaxSeen[i] = NoWatermark
	}
	return t
}

// Observe records an event time seen on partition p.
func (t *Tracker) Observe(p int, ts int64) {
	if ts > t.MaxSeen[p] {
		t.MaxSeen[p] = ts
	}
}

// Advance recomputes the watermark and reports whether it moved forward.
func (t *Tracker) Advance() (int64, bool) {
	m := int64(math.MaxInt64)
	any := false
	for _, s := range t.MaxSeen {
		if s != NoWatermark {
			any = true
			m = min(m, s)
		}
	}
	if !any {
		return t.current, false
	}
	wm := m - t.Delay
	if wm > t.current {
		t.current = wm
		return wm, true
	}
	return t.current, false
}

// Current is the watermark so far.
func (t *Tracker) Current() int64 { return t.current }
