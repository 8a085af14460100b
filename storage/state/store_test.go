package state

import (
	"testing"

	"github.com/cockroachdb/pebble/vfs"
)

func TestBatchAtomicAndScoped(t *testing.T) {
	fs := vfs.NewMem()
	s, err := Open(Options{Dir: "db", FS: fs})
	if err != nil {
		t.Fatal(err)
	}
	b := s.NewBatch()
	must(t, b.Set(1, []byte("a"), []byte("1")))
	must(t, b.Set(2, []byte("a"), []byte("2")))
	if v, err := b.Get(1, []byte("a")); err != nil || string(v) != "1" {
		t.Fatalf("batch read-own-write: %q %v", v, err)
	}
	if _, err := s.Get(1, []byte("a")); err != ErrNotFound {
		t.Fatalf("uncommitted write visible: %v", err)
	}
	must(t, b.Commit())
	var n int
	must(t, s.Scan(1, nil, func(k, v []byte) error { n++; return nil }))
	if n != 1 {
		t.Fatalf("table 1 has %d keys, want 1", n)
	}
	must(t, s.DropTable(1))
	if _, err := s.Get(1, []byte("a")); err != ErrNotFound {
		t.Fatal("dropped table still has keys")
	}
	if v, _ := s.Get(2, []byte("a")); string(v) != "2" {
		t.Fatal("dropping table 1 touched table 2")
	}
	must(t, s.Close())
	s, err = Open(Options{Dir: "db", FS: fs})
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := s.Get(2, []byte("a")); string(v) != "2" {
		t.Fatal("committed write lost on reopen")
	}
	must(t, s.Close())
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
