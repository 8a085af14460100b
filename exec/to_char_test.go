package exec

import (
	"math/rand"
	"sort"
	"testing"
	"time"
)

// TestToCharMemo checks that reusing the last string gives what
// formatting afresh gives, for templates of every granularity, over
// timestamps in order (the memo's case), shuffled, and around unit
// boundaries before and after 1970.
func TestToCharMemo(t *testing.T) {
	formats := []string{"YYYY-MM-DD", "YYYY-MM-DD HH24:MI:SS", "HH12 AM", "Day, DD Mon YYYY", "MI:SS.MS", "SS.US", `"day "DDD Q`, "YYYY-MM-DD HH24"}
	rng := rand.New(rand.NewSource(3))
	var ts []int64
	for _, base := range []int64{0, -1, 1, microsPerDay, -microsPerDay, 1436918400000000} {
		for d := int64(-3); d <= 3; d++ {
			ts = append(ts, base+d, base+d*1000, base+d*1e6, base+d*3600e6)
		}
	}
	for i := 0; i < 2000; i++ {
		ts = append(ts, rng.Int63n(4e15)-2e15)
	}
	sorted := append([]int64(nil), ts...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	for _, f := range formats {
		c := compileToChar(f)
		for _, seq := range [][]int64{sorted, ts} {
			for _, us := range seq {
				want := c.render(time.UnixMicro(us).UTC())
				if got := c.format(us); got != want {
					t.Fatalf("to_char(%d, %q) = %q, want %q", us, f, got, want)
				}
			}
		}
	}
	if got := compileToChar("YYYY-MM-DD").format(1436918400000000); got != "2015-07-15" {
		t.Fatalf("to_char(2015-07-15, 'YYYY-MM-DD') = %q", got)
	}
}
