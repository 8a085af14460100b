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

func TestHopStarts(t *testing.T) {
	for _, c := range []struct {
		ts, size, slide, off int64
		want                 []int64
	}{
		{0, 10, 5, 0, []int64{0, -5}},
		{4, 10, 5, 0, []int64{0, -5}},
		{5, 10, 5, 0, []int64{5, 0}},
		{9, 10, 5, 0, []int64{5, 0}},
		{10, 10, 5, 0, []int64{10, 5}},
		{-1, 10, 5, 0, []int64{-5, -10}},
		{7, 10, 10, 0, []int64{0}},
		{7, 9, 3, 1, []int64{7, 4, 1}},
	} {
		got := HopStarts(nil, c.ts, c.size, c.slide, c.off)
		if len(got) != len(c.want) {
			t.Errorf("HopStarts(%d, %d, %d, %d) = %v, want %v", c.ts, c.size, c.slide, c.off, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("HopStarts(%d, %d, %d, %d) = %v, want %v", c.ts, c.size, c.slide, c.off, got, c.want)
				break
			}
			if s := got[i]; !(s <= c.ts && c.ts < s+c.size) {
				t.Errorf("window [%d, %d) does not hold %d", s, s+c.size, c.ts)
			}
		}
	}
}

func TestSessions(t *testing.T) {
	for _, c := range []struct {
		ts   []int64
		want []Span
	}{
		{nil, nil},
		{[]int64{5}, []Span{{5, 15}}},
		// A row at a session's end (last + gap) touches it.
		{[]int64{0, 10}, []Span{{0, 20}}},
		{[]int64{0, 11}, []Span{{0, 10}, {11, 21}}},
		{[]int64{0, 3, 3, 12, 30}, []Span{{0, 22}, {30, 40}}},
	} {
		got := Sessions(nil, c.ts, 10)
		if len(got) != len(c.want) {
			t.Errorf("Sessions(%v) = %v, want %v", c.ts, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("Sessions(%v) = %v, want %v", c.ts, got, c.want)
			}
		}
	}
	s := Span{10, 20}
	for ts, want := range map[int64]bool{-1: false, 0: true, 15: true, 20: true, 21: false} {
		if s.Touches(ts, 10) != want {
			t.Errorf("[10, 20) touched by a row at %d: got %v", ts, !want)
		}
	}
}

func TestPolicy(t *testing.T) {
	p := Policy{OnClose: true, AllowLateness: 5}
	if p.Closed(10, 9) || !p.Closed(10, 10) {
		t.Error("a window [s, 10) closes when the watermark reaches 10")
	}
	if p.Expired(10, 14) || !p.Expired(10, 15) {
		t.Error("with 5 of lateness it expires at 15")
	}
}
