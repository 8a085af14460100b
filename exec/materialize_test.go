package exec

import (
	"bytes"
	"testing"

	"github.com/weir-db/weir/types"
)

// TestAppendOnlyKeysAscendByEpoch checks that an append-only view's row
// keys, written by tasks that see different numbers of rows, sort after
// every key of earlier epochs, also across a restart (Reset), and that
// every row is kept under a key of its own.
func TestAppendOnlyKeysAscendByEpoch(t *testing.T) {
	st := newTestStore(t)
	ts := []types.Type{types.TInt8}
	const view, seqTable = 7, 3
	mats := make([]*Materialize, 2)
	for i := range mats {
		mats[i] = &Materialize{ID: view, Types: ts, State: &StateHandle{}, AppendOnly: true,
			Task: byte(i), SeqTable: seqTable, SeqKey: []byte{'s', byte(i)}}
	}
	var prevMax []byte
	rowsIn := 0
	// Per epoch, how many rows each task gets: uneven on purpose.
	epochs := [][2]int{{5, 1}, {0, 3}, {2, 9}, {1, 0}, {4, 4}}
	for e, counts := range epochs {
		if e == 3 { // a restart: sequences are read back from state
			for _, m := range mats {
				m.Reset()
			}
		}
		b := st.NewBatch()
		for _, m := range mats {
			m.State.Store = b
		}
		if err := AlignSeqs(mats); err != nil {
			t.Fatal(err)
		}
		var epochKeys [][]byte
		for i, n := range counts {
			cb := NewChunkBuilder(ts)
			for j := 0; j < n; j++ {
				cb.Append(Insert, []types.Datum{int64(100*e + j)})
			}
			if c := cb.Build(); c != nil {
				if _, err := mats[i].Process(Message{Chunk: c}); err != nil {
					t.Fatal(err)
				}
			}
			rowsIn += n
		}
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
		var all int
		if err := st.Scan(view, nil, func(k, v []byte) error {
			all++
			epochKeys = append(epochKeys, append([]byte(nil), k...))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if all != rowsIn {
			t.Fatalf("epoch %d: %d rows stored, %d written", e, all, rowsIn)
		}
		// The keys added this epoch are the last ones in key order.
		added := epochKeys[len(epochKeys)-(counts[0]+counts[1]):]
		for _, k := range added {
			if prevMax != nil && bytes.Compare(k, prevMax) <= 0 {
				t.Fatalf("epoch %d: key %x sorts before the previous epochs' last key %x", e, k, prevMax)
			}
		}
		if len(epochKeys) > 0 {
			prevMax = epochKeys[len(epochKeys)-1]
		}
	}
}
