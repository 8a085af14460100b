package exec

import (
	"encoding/binary"
	"testing"
)

// TestAbsentFilter checks that the filter never calls a stored key absent:
// after a build from a scan, as new keys fill layer after layer, and after
// the rebuild that consolidates them; and that it calls most unknown keys
// absent.
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
	if err := f.ready(scan); err != nil {
		t.Fatal(err)
	}
	layered, rebuilt := false, false
	const n = 1_300_000
	for i := 1000; i < n; i++ {
		k := key(i)
		stored[string(k)] = true
		before := len(f.layers)
		if err := f.note(k, scan); err != nil {
			t.Fatal(err)
		}
		layered = layered || len(f.layers) > before
		rebuilt = rebuilt || len(f.layers) < before
		if i%9973 == 0 || len(f.layers) != before {
			for j := 0; j <= i; j += 1013 {
				if !f.mayHold(key(j)) {
					t.Fatalf("after %d keys (%d layers): stored key %d called absent", i, len(f.layers), j)
				}
			}
		}
	}
	if !layered || !rebuilt {
		t.Fatalf("layers added: %v, rebuilt: %v", layered, rebuilt)
	}
	fp := 0
	for i := 10_000_000; i < 10_100_000; i++ {
		if f.mayHold(key(i)) {
			fp++
		}
	}
	if fp > 1000 {
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
