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

func TestTrackerMinAcrossPartitionsNeverBackwards(t *testing.T) {
	tr := NewTracker(3, 5)
	if _, moved := tr.Advance(); moved {
		t.Fatal("watermark moved with no data")
	}
	tr.Observe(0, 100)
	if wm, moved := tr.Advance(); !moved || wm != 95 {
		t.Fatalf("got %d %v, want 95 (idle partitions do not hold it back)", wm, moved)
	}
	tr.Observe(1, 50)
	if wm, moved := tr.Advance(); moved || wm != 95 {
		t.Fatalf("got %d %v: watermark must not go backwards", wm, moved)
	}
	tr.Observe(1, 200)
	if wm, _ := tr.Advance(); wm != 95 {
		t.Fatalf("got %d, want min over partitions 100-5", wm)
	}
	tr.Observe(0, 300)
	if wm, _ := tr.Advance(); wm != 195 {
		t.Fatalf("got %d, want 195", wm)
	}
}
