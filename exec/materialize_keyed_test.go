package exec

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/weir-db/weir/types"
)

// TestKeyedViewDifferential applies random upsert changelogs (updates as a
// retraction then an insert, possibly in different chunks, deletes, rows
// inserted and retracted within a chunk) to a keyed view with an index,
// and checks the stored rows and index entries against the live rows.
func TestKeyedViewDifferential(t *testing.T) {
	ts := []types.Type{types.TInt8, types.TText, types.TInt8}
	for seed := int64(0); seed < 20; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewSource(seed))
			st := newTestStore(t)
			h := &StateHandle{}
			v := &Materialize{ID: 50, Types: ts, State: h, Keyed: true, KeyCols: []int{1, 0},
				Indexes: []ViewIndex{{ID: 51, Columns: []int{2}, Desc: []bool{false}}}}
			live := map[string][]types.Datum{}
			var pending []struct {
				op  Op
				row []types.Datum
			} // an update's insert, held for a later chunk
			for step := 0; step < 80; step++ {
				b := st.NewBatch()
				h.Store = b
				cb := NewChunkBuilder(ts)
				for _, p := range pending {
					cb.Append(p.op, p.row)
				}
				pending = pending[:0]
				touched := map[string]bool{}
				for n := rng.Intn(6); n > 0; n-- {
					key := []types.Datum{int64(rng.Intn(4)), []string{"a", "b", "c"}[rng.Intn(3)]}
					k := fmt.Sprint(key...)
					if touched[k] {
						continue
					}
					touched[k] = true
					row := []types.Datum{key[0], key[1], int64(rng.Intn(5))}
					old, had := live[k]
					switch {
					case had && rng.Intn(3) == 0:
						cb.Append(Delete, old)
						delete(live, k)
					case had:
						cb.Append(Delete, old)
						live[k] = row
						if rng.Intn(3) == 0 {
							pending = append(pending, struct {
								op  Op
								row []types.Datum
							}{Insert, row})
						} else {
							cb.Append(Insert, row)
						}
					default:
						cb.Append(Insert, row)
						if rng.Intn(4) == 0 {
							cb.Append(Delete, row) // inserted and retracted at once
						} else {
							live[k] = row
						}
					}
				}
				if c := cb.Build(); c != nil {
					if _, err := v.Process(Message{Chunk: c}); err != nil {
						t.Fatal(err)
					}
				}
				if err := b.Commit(); err != nil {
					t.Fatal(err)
				}
			}
			for _, p := range pending { // the last updates' inserts were never sent
				delete(live, fmt.Sprint(p.row[0], p.row[1]))
			}
			want := map[string]bool{}
			for _, r := range live {
				want[formatRow(ts, r)] = true
			}
			got := map[string]bool{}
			err := st.Scan(50, nil, func(k, val []byte) error {
				row, n, err := DecodeViewRow(val, ts)
				if err != nil {
					return err
				}
				if n != 1 || string(k) != string(v.viewKey(nil, row)) {
					return fmt.Errorf("row %s stored %d times under the wrong key", formatRow(ts, row), n)
				}
				got[formatRow(ts, row)] = true
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("keyed view rows differ\ngot:  %v\nwant: %v", got, want)
			}
			entries := 0
			err = st.Scan(51, nil, func(k, rk []byte) error {
				entries++
				val, err := st.Get(50, rk)
				if err != nil {
					return fmt.Errorf("index entry points at no row: %v", err)
				}
				row, _, err := DecodeViewRow(val, ts)
				if err != nil {
					return err
				}
				if string(k) != string(IndexKey(ts, []int{2}, []bool{false}, row, rk)) {
					return fmt.Errorf("stale index entry for %s", formatRow(ts, row))
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if entries != len(live) {
				t.Fatalf("index has %d entries for %d rows", entries, len(live))
			}
		})
	}
}

// TestKeyedViewRejectsDuplicateKeys checks that rows not unique on the
// view's key are an internal error, not stored.
func TestKeyedViewRejectsDuplicateKeys(t *testing.T) {
	ts := []types.Type{types.TInt8, types.TInt8}
	st := newTestStore(t)
	h := &StateHandle{Store: st.NewBatch()}
	v := &Materialize{ID: 50, Types: ts, State: h, Keyed: true, KeyCols: []int{0}}
	cb := NewChunkBuilder(ts)
	cb.Append(Insert, []types.Datum{int64(1), int64(1)})
	cb.Append(Insert, []types.Datum{int64(1), int64(2)})
	_, err := v.Process(Message{Chunk: cb.Build()})
	if err == nil || !strings.Contains(err.Error(), "not unique on their key") {
		t.Fatalf("two rows under one key: got %v", err)
	}
	if !invariants {
		return
	}
	cb = NewChunkBuilder(ts)
	cb.Append(Insert, []types.Datum{int64(2), int64(1)})
	if _, err := v.Process(Message{Chunk: cb.Build()}); err != nil {
		t.Fatal(err)
	}
	cb = NewChunkBuilder(ts)
	cb.Append(Insert, []types.Datum{int64(2), int64(2)})
	if _, err := v.Process(Message{Chunk: cb.Build()}); err == nil || !strings.Contains(err.Error(), "not unique on their key") {
		t.Fatalf("an insert over a stored row: got %v", err)
	}
}
