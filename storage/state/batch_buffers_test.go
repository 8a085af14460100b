package state

import (
	"fmt"
	"testing"

	"github.com/cockroachdb/pebble/vfs"
)

// TestBatchBuffersReused writes epochs of a few MiB each, alternately
// committed and discarded, on buffers kept from the epochs before, and
// checks that the store (and, after a reopen, its WAL replay) holds
// exactly the committed epochs' last values.
func TestBatchBuffersReused(t *testing.T) {
	fs := vfs.NewMem()
	s, err := Open(Options{Dir: "db", FS: fs})
	if err != nil {
		t.Fatal(err)
	}
	const keys = 20000
	key := func(i int) []byte { return []byte(fmt.Sprintf("k%06d", i)) }
	val := func(epoch, i int) []byte { return []byte(fmt.Sprintf("epoch %d row %d %080d", epoch, i, i)) }
	want := map[string]string{}
	for epoch := 0; epoch < 8; epoch++ {
		b := s.NewBatch()
		if epoch > 0 && cap(b.b.Repr()) <= pebblePooledBytes {
			t.Fatalf("epoch %d: batch starts on a %d-byte buffer, not the last epoch's", epoch, cap(b.b.Repr()))
		}
		if !b.Empty() {
			t.Fatalf("epoch %d: a new batch on a kept buffer is not empty", epoch)
		}
		// Each epoch writes a different subset, so stale bytes of an
		// earlier epoch in the buffer would show as wrong values.
		for i := epoch % 3; i < keys; i += 1 + epoch%2 {
			must(t, b.Set(1, key(i), val(epoch, i)))
		}
		if v, err := b.Get(1, key(epoch%3)); err != nil || string(v) != string(val(epoch, epoch%3)) {
			t.Fatalf("epoch %d: read own write: %q %v", epoch, v, err)
		}
		if epoch%2 == 1 {
			must(t, b.Close())
			continue
		}
		must(t, b.Commit())
		for i := epoch % 3; i < keys; i += 1 + epoch%2 {
			want[string(key(i))] = string(val(epoch, i))
		}
	}
	check := func(when string) {
		got := map[string]string{}
		must(t, s.Scan(1, nil, func(k, v []byte) error {
			got[string(k)] = string(v)
			return nil
		}))
		if len(got) != len(want) {
			t.Fatalf("%s: %d keys, want %d", when, len(got), len(want))
		}
		for k, v := range want {
			if got[k] != v {
				t.Fatalf("%s: %s = %q, want %q", when, k, got[k], v)
			}
		}
	}
	check("after the epochs")
	must(t, s.Close())
	if s, err = Open(Options{Dir: "db", FS: fs}); err != nil {
		t.Fatal(err)
	}
	check("after a reopen")
	must(t, s.Close())
}

func TestBatchBuffersRetainBounds(t *testing.T) {
	const memtable = 64 << 20
	for _, c := range []struct {
		name  string
		cap   int
		len   int
		count uint32
		kept  bool
	}{
		{"pooled by Pebble", pebblePooledBytes, 1000, 10, false},
		{"a few MiB", 4 << 20, 3 << 20, 40000, true},
		{"too big to keep", maxKeptBuffer + 1, 1 << 20, 10, false},
		{"may be a flushable batch", 16 << 20, 15 << 20, 40000, false},
		{"many small writes", 4 << 20, 3 << 20, 80000, false},
	} {
		var p batchBuffers
		p.retain(make([]byte, c.len, c.cap), c.count, memtable)
		if kept := len(p.free) == 1; kept != c.kept {
			t.Errorf("%s: kept %v, want %v", c.name, kept, c.kept)
		}
	}
	var p batchBuffers
	for i := 0; i < maxKeptBuffers+2; i++ {
		p.retain(make([]byte, 100, 2<<20), 1, memtable)
	}
	if len(p.free) != maxKeptBuffers {
		t.Fatalf("kept %d buffers, want at most %d", len(p.free), maxKeptBuffers)
	}
	buf := p.get()
	if len(buf) != batchHeaderLen || cap(buf) != 2<<20 {
		t.Fatalf("get: len %d cap %d", len(buf), cap(buf))
	}
}
