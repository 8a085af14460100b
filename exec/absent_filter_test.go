package exec

import (
	"encoding/binary"
	"testing"
)

// TestAbsentFilter checks that the filter never calls a stored key absent,
// through a build from a scan, additions past its size and the rebuilds
// they cause, and that it calls most unknown keys absent.
func TestAbsentFilter(t *testing.T) {
	stored := map[string]bool{}
	key := func(i int) []byte { return binary.BigEndian.AppendUint64([]byte("v"), uint64(i)) }
	for i := 0; i < 1000; i++ {
		stored[string(key(i))] = true
	}
	scan := func(fn func(k, v []byte) error) error {
		for k := range stored {
			if err := fn([]byte(k), nil); err != nil {
				return err
			}
		}
		return nil
	}
	var f absentFilter
	if !f.mayHold(key(5000)) {
		t.Fatal("an unbuilt filter called a key absent")
	}
	if err := f.build(0, scan); err != nil {
		t.Fatal(err)
	}
	rebuilds := 0
	for i := 1000; i < 300_000; i++ {
		k := key(i)
		stored[string(k)] = true
		f.add(k)
		if f.full() {
			rebuilds++
			if err := f.build(2*f.keys, scan); err != nil {
				t.Fatal(err)
			}
		}
		if i%997 == 0 {
			for j := 0; j <= i; j += 101 {
				if !f.mayHold(key(j)) {
					t.Fatalf("after %d keys: stored key %d called absent", i, j)
				}
			}
		}
	}
	if rebuilds == 0 {
		t.Fatal("the filter was never rebuilt")
	}
	fp := 0
	for i := 1_000_000; i < 1_100_000; i++ {
		if f.mayHold(key(i)) {
			fp++
		}
	}
	if fp > 3000 {
		t.Fatalf("%d of 100000 unknown keys may be held", fp)
	}
	// Too many keys: the filter turns off and answers "maybe" always.
	var g absentFilter
	big := func(fn func(k, v []byte) error) error {
		for i := 0; i <= maxAbsentKeys; i++ {
			if err := fn(key(i), nil); err != nil {
				return err
			}
		}
		return nil
	}
	if err := g.build(0, big); err != nil {
		t.Fatal(err)
	}
	if g.state != absentOff || !g.mayHold(key(-1)) {
		t.Fatalf("filter over %d keys: state %d", maxAbsentKeys+1, g.state)
	}
}
