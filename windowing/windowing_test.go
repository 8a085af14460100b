package windowing

import "testing"

func TestTumbleStart(t *testing.T) {
	for _, c := range []struct{ ts, size, off, want int64 }{
		{0, 10, 0, 0}, {9, 10, 0, 0}, {10, 10, 0, 10}, {-1, 10, 0, -10}, {-10, 10, 0, -10},
		{12, 10, 3, 3}, {2, 10, 3, -7}, {13, 10, 3, 13},
	} {
		if got := TumbleStart(c.ts, c.size, c.off); got != c.want {
			t.Errorf("TumbleStart(%d, %d, %d) = %d, want %d", c.ts, c.size, c.off, got, c.want)
		}
	}
}

func TestTrackerMinAcrossPartitions(t *testing.T) {
	const idle = 1000
	tr := NewTracker(3, 5, idle, 0)
	tr.Observe(0, 100, 10)
	if _, moved := tr.Advance(10); moved {
		t.Fatal("partitions without data that are not idle must hold the watermark back")
	}
	tr.Observe(1, 50, 20)
	tr.Observe(2, 200, 30)
	if wm, moved := tr.Advance(30); !moved || wm != 45 {
		t.Fatalf("got %d %v, want min(100, 50, 200) - 5 = 45", wm, moved)
	}
	tr.Observe(1, 40, 40)
	if wm, moved := tr.Advance(40); moved || wm != 45 {
		t.Fatalf("got %d %v: the watermark must not go backwards", wm, moved)
	}
}

func TestTrackerIdlePartitions(t *testing.T) {
	const idle = 1000
	tr := NewTracker(2, 0, idle, 0)
	tr.Observe(0, 100, 500)
	if tr.WouldAdvance(999) {
		t.Fatal("partition 1 is not idle yet")
	}
	next, ok := tr.NextIdle(999)
	if !ok || next != 1000 {
		t.Fatalf("next idle at %d %v, want 1000", next, ok)
	}
	if wm, moved := tr.Advance(1000); !moved || wm != 100 {
		t.Fatalf("got %d %v, want 100 once partition 1 is idle", wm, moved)
	}
	// Partition 0 goes idle too: the largest event time seen rules.
	tr.Observe(1, 50, 1200)
	tr.Observe(0, 300, 1300)
	if wm, _ := tr.Advance(1300); wm != 100 {
		t.Fatalf("got %d, want 100 (min over active partitions is 50, never backwards)", wm)
	}
	if wm, _ := tr.Advance(5000); wm != 300 {
		t.Fatalf("got %d, want 300 when every partition is idle", wm)
	}
}
