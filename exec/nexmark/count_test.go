package nexmark

import "testing"

// TestCountAndNthID checks the closed forms against counting KindOf one id
// at a time.
func TestCountAndNthID(t *testing.T) {
	var seen [3]int64
	for e := int64(0); e < 1000; e++ {
		for k := PersonEvent; k <= BidEvent; k++ {
			if got := k.Count(e); got != seen[k] {
				t.Fatalf("kind %d: Count(%d) = %d, want %d", k, e, got, seen[k])
			}
		}
		k := KindOf(e)
		if got := k.NthID(seen[k]); got != e {
			t.Fatalf("kind %d: NthID(%d) = %d, want %d", k, seen[k], got, e)
		}
		seen[k]++
	}
	if PersonEvent.Count(-5) != 0 {
		t.Fatal("no events before id 0")
	}
}
