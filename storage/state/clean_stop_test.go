package state

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCorruptManifestAfterCleanStop checks that damage in the MANIFEST a
// clean stop left is refused, where Pebble alone would read up to the
// damage and open an older version; and that a start after a crash (no
// clean-stop record) opens as before.
func TestCorruptManifestAfterCleanStop(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	fill := func(st *Store, n int) {
		for i := 0; i < n; i++ {
			b := st.NewBatch()
			if err := b.Set(7, []byte{byte(i)}, []byte("v")); err != nil {
				t.Fatal(err)
			}
			if err := b.Commit(); err != nil {
				t.Fatal(err)
			}
			if err := st.db.Flush(); err != nil { // one MANIFEST record per flush
				t.Fatal(err)
			}
		}
	}
	st, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	fill(st, 8)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	cur, err := os.ReadFile(filepath.Join(dir, "CURRENT"))
	if err != nil {
		t.Fatal(err)
	}
	manifest := filepath.Join(dir, strings.TrimSpace(string(cur)))
	good, err := os.ReadFile(manifest)
	if err != nil {
		t.Fatal(err)
	}
	bad := append([]byte(nil), good...)
	for i := len(bad) / 2; i < len(bad)/2+8; i++ {
		bad[i] ^= 0xff
	}
	if err := os.WriteFile(manifest, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	if st, err := Open(Options{Dir: dir}); err == nil {
		st.Close()
		t.Fatal("opened a state store whose MANIFEST changed after a clean stop")
	} else if !strings.Contains(err.Error(), "corrupt") {
		t.Fatalf("the error does not say corrupt: %v", err)
	}

	// Restored, it opens; then a crash (no Close) leaves no record.
	if err := os.WriteFile(manifest, good, 0o644); err != nil {
		t.Fatal(err)
	}
	st, err = Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(cleanStopPath(dir)); !os.IsNotExist(err) {
		t.Fatalf("the clean-stop record outlives the start: %v", err)
	}
	fill(st, 2)
	st.db.Close() // as a crash would, without recording a clean stop
	st.cache.Unref()
	st, err = Open(Options{Dir: dir})
	if err != nil {
		t.Fatalf("reopening after a crash: %v", err)
	}
	if v, err := st.Get(7, []byte{1}); err != nil || string(v) != "v" {
		t.Fatalf("row after reopening: %q, %v", v, err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
}
