package exec

import (
	"bytes"
	"fmt"
	"github.com/apache/arrow/go/v15/arrow/decimal128"
	"math/rand"
	"testing"

	"github.com/weir-db/weir/types"
)

// TestAppendOnlyKeysAscendByEpoch checks that an append-only view's row
// keys, written by tasks that see different numbers of rows, sort after
// every key of earlier epochs, also across a restart (Reset), and that
// every row is kept, and that the per-row keys an index would give a
// block's rows (ViewBlockKeys) are all distinct.
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
	rowsIn, entries := 0, 0
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
		rowKeys := map[string]bool{}
		if err := st.Scan(view, nil, func(k, v []byte) error {
			epochKeys = append(epochKeys, append([]byte(nil), k...))
			raws, _, err := SplitViewBlock(v)
			if err != nil {
				return err
			}
			keys, err := ViewBlockKeys(k, len(raws))
			if err != nil {
				return err
			}
			for _, rk := range keys {
				if rowKeys[string(rk)] {
					t.Fatalf("epoch %d: row key %x taken twice", e, rk)
				}
				rowKeys[string(rk)] = true
			}
			return ForEachViewRow(v, ts, func(row []types.Datum, n int64) error {
				all += int(n)
				return nil
			})
		}); err != nil {
			t.Fatal(err)
		}
		if all != rowsIn {
			t.Fatalf("epoch %d: %d rows stored, %d written", e, all, rowsIn)
		}
		// The keys added this epoch (a block per task) are the last ones
		// in key order.
		added := epochKeys[entries:]
		entries = len(epochKeys)
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

// TestViewBlocks checks that rows larger in sum than a block are split
// over several, each row read back once and in order, and that damaged
// block values fail with data_corrupted instead of yielding rows.
func TestViewBlocks(t *testing.T) {
	st := newTestStore(t)
	ts := []types.Type{types.TInt8, types.TText}
	m := &Materialize{ID: 9, Types: ts, State: &StateHandle{}, AppendOnly: true, SeqTable: 3, SeqKey: []byte{'s'}}
	b := st.NewBatch()
	m.State.Store = b
	cb := NewChunkBuilder(ts)
	const n = 100
	pad := string(bytes.Repeat([]byte{'x'}, 1000)) // 100 kB in all: 4 blocks
	for i := 0; i < n; i++ {
		cb.Append(Insert, []types.Datum{int64(i), pad})
	}
	if _, err := m.Process(Message{Chunk: cb.Build()}); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	var got []int64
	var values [][]byte
	if err := st.Scan(9, nil, func(k, v []byte) error {
		values = append(values, append([]byte(nil), v...))
		return ForEachViewRow(v, ts, func(row []types.Datum, c int64) error {
			if c != 1 || row[1] != pad {
				t.Fatalf("row %v ×%d", row[0], c)
			}
			got = append(got, row[0].(int64))
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	if len(values) < 2 || len(values) > 5 {
		t.Fatalf("%d blocks for 100 kB of rows", len(values))
	}
	for i, v := range got {
		if v != int64(i) || len(got) != n {
			t.Fatalf("rows read back as %v", got)
		}
	}
	v := values[0]
	for _, bad := range [][]byte{v[:len(v)-1], append(append([]byte(nil), v...), 0), v[:3]} {
		err := ForEachViewRow(bad, ts, func([]types.Datum, int64) error { return nil })
		if types.ErrorCode(err) != types.CodeDataCorrupted {
			t.Fatalf("damaged block: %v", err)
		}
	}
	if _, _, err := DecodeViewRow(v, ts); types.ErrorCode(err) != types.CodeDataCorrupted {
		t.Fatalf("a block read as one row: %v", err)
	}
}

// TestRowKeyFromArrays checks that a row's key read straight from its
// chunk's arrays is RowKey's, for every column type a chunk carries
// (text-carried numerics, NULLs and the fast paths' types among them).
func TestRowKeyFromArrays(t *testing.T) {
	ts := []types.Type{types.TInt8, types.TInt4, types.TInt2, types.TText, types.TVarchar, types.TTimestamp,
		types.TBool, types.TFloat8, types.NumericOf(2), types.TNumeric, types.TInterval, types.TDate}
	rng := rand.New(rand.NewSource(3))
	cb := NewChunkBuilder(ts)
	var rows [][]types.Datum
	for r := 0; r < 200; r++ {
		row := []types.Datum{int64(rng.Intn(2000) - 1000), int64(rng.Intn(100)), int64(rng.Intn(10)),
			fmt.Sprint("s", rng.Intn(50)), fmt.Sprint("v", rng.Intn(5)), types.DTimestamp(rng.Int63n(1e15)),
			rng.Intn(2) == 0, rng.Float64(), types.Decimal{Coef: decimal128.FromI64(int64(rng.Intn(100000))), Scale: 2},
			types.Decimal{Coef: decimal128.FromI64(int64(rng.Intn(1000))), Scale: int32(rng.Intn(3))},
			types.DInterval{Days: int32(rng.Intn(3)), Micros: rng.Int63n(1e9)}, types.DDate(rng.Intn(20000))}
		for j := range row {
			if rng.Intn(8) == 0 {
				row[j] = nil
			}
		}
		cb.Append(Insert, row)
		rows = append(rows, row)
	}
	c := cb.Build()
	for i := range rows {
		want := RowKey(ts, c.Row(i, nil))
		if got := appendRowKeyFrom(nil, ts, c.Rec.Columns(), i); string(got) != string(want) {
			t.Fatalf("row %d %v: key from arrays %x, RowKey %x", i, rows[i], got, want)
		}
	}
}
