package log

import (
	"errors"
	"time"
)

// cleanerLoop is the background cleaner: every Options.CleanupInterval it
// enforces retention and compacts the partitions that are due, reading the
// wall clock; the work itself is EnforceRetention and Compact's, which
// tests call directly with a time of their choosing.
func (l *Log) cleanerLoop() {
	defer close(l.cleanerDone)
	tick := time.NewTicker(l.opts.CleanupInterval)
	defer tick.Stop()
	for {
		select {
		case <-l.stopCleaner:
			return
		case <-tick.C:
		}
		now := time.Now()
		for _, err := range []error{l.EnforceRetention(now), l.compact(now, false /* force */)} {
			if err != nil && !errors.Is(err, ErrClosed) {
				l.opts.Logf("log: background cleanup: %v", err)
			}
		}
	}
}
