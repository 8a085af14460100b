package state

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/vfs"
)

// TestStoreCrash commits batches from several goroutines and crashes the
// file system under them (Pebble's strict MemFS drops everything not
// synced), over and over, reopening the store each time: every batch whose
// Commit returned before the crash is present, and every batch is present
// whole or not at all. Batches are big enough that memtables flush and
// compactions run while the crash lands.
func TestStoreCrash(t *testing.T) {
	rounds := 12
	if testing.Short() {
		rounds = 3
	}
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewSource(seed))
	fs := vfs.NewStrictMem()
	const writers = 4
	// The data directory exists durably before the store is created in it,
	// as the engine's does (Pebble syncs what it creates inside, not the
	// directory's own entry in its parent).
	must(t, fs.MkdirAll("db", 0o755))
	root, err := fs.OpenDir("/")
	must(t, err)
	must(t, root.Sync())
	must(t, root.Close())

	// acked[b] is set once batch b's Commit returned before a crash; tried
	// holds every batch handed to Commit, acknowledged or not.
	acked := map[uint64]bool{}
	tried := map[uint64]int{} // batch -> its key count
	var next atomic.Uint64
	for round := 0; round < rounds; round++ {
		s, err := Open(Options{Dir: "db", FS: fs, CacheBytes: 1 << 20})
		if err != nil {
			t.Fatalf("round %d: reopening after a crash: %v", round, err)
		}
		checkCrashBatches(t, s, acked, tried)

		var crashed atomic.Bool
		var mu sync.Mutex
		var wg sync.WaitGroup
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func(seed int64) {
				defer wg.Done()
				rng := rand.New(rand.NewSource(seed))
				for !crashed.Load() {
					id := next.Add(1)
					n := 1 + rng.Intn(40)
					mu.Lock()
					tried[id] = n
					mu.Unlock()
					b := s.NewBatch()
					for k := 0; k < n; k++ {
						must(t, b.Set(7, crashKey(id, k), crashValue(id, k, rng)))
					}
					if err := b.Commit(); err != nil {
						t.Errorf("commit %d: %v", id, err)
						return
					}
					// Decide under the lock, so that a batch acknowledged
					// here was synced before the crash below.
					mu.Lock()
					if !crashed.Load() {
						acked[id] = true
					}
					mu.Unlock()
				}
			}(rng.Int63())
		}
		time.Sleep(time.Duration(5+rng.Intn(80)) * time.Millisecond)
		mu.Lock()
		fs.SetIgnoreSyncs(true) // the crash: nothing from here on is durable
		crashed.Store(true)
		mu.Unlock()
		wg.Wait()
		s.Close()
		fs.ResetToSyncedState()
		fs.SetIgnoreSyncs(false)
	}
	s, err := Open(Options{Dir: "db", FS: fs})
	if err != nil {
		t.Fatalf("final reopen: %v", err)
	}
	defer s.Close()
	checkCrashBatches(t, s, acked, tried)
	t.Logf("%d batches committed, %d acknowledged before a crash", len(tried), len(acked))
}

// crashKey is batch id's k-th key: the batch id first, so a batch's keys
// are adjacent.
func crashKey(id uint64, k int) []byte {
	return binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint64(nil, id), uint32(k))
}

// crashValue names its key and pads it to 1-4 KiB.
func crashValue(id uint64, k int, rng *rand.Rand) []byte {
	v := fmt.Appendf(nil, "%d/%d|", id, k)
	return append(v, bytes.Repeat([]byte{byte('a' + rng.Intn(26))}, 1024+rng.Intn(3072))...)
}

// checkCrashBatches checks that every acknowledged batch is whole and any
// other batch that survived is whole too.
func checkCrashBatches(t *testing.T, s *Store, acked map[uint64]bool, tried map[uint64]int) {
	t.Helper()
	got := map[uint64]int{}
	must(t, s.Scan(7, nil, func(k, v []byte) error {
		if len(k) != 12 {
			return fmt.Errorf("bad key %x", k)
		}
		id, n := binary.BigEndian.Uint64(k), binary.BigEndian.Uint32(k[8:])
		if want := fmt.Sprintf("%d/%d|", id, n); !bytes.HasPrefix(v, []byte(want)) {
			return fmt.Errorf("key %d/%d has value %.20q", id, n, v)
		}
		got[id]++
		return nil
	}))
	for id, n := range got {
		if tried[id] == 0 {
			t.Fatalf("batch %d was never written but %d of its keys are present", id, n)
		}
		if n != tried[id] {
			t.Fatalf("batch %d is partial: %d of %d keys", id, n, tried[id])
		}
	}
	for id := range acked {
		if got[id] == 0 {
			t.Fatalf("acknowledged batch %d is lost", id)
		}
	}
}
