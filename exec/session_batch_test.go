package exec

import (
	"math/rand"
	"sort"
	"strings"
	"testing"

	"github.com/weir-db/weir/types"
)

// TestBatchSessionMatchesStreaming checks that the batch SESSION window
// (interactive queries) and the streaming one (views, with no watermark so
// nothing is late) assign the same rows to the same sessions.
func TestBatchSessionMatchesStreaming(t *testing.T) {
	for seed := int64(0); seed < 20; seed++ {
		rng := rand.New(rand.NewSource(seed))
		var rows [][]types.Datum
		for i := 0; i < 60; i++ {
			var ts types.Datum = types.DTimestamp(rng.Intn(200))
			if rng.Intn(15) == 0 {
				ts = nil
			}
			rows = append(rows, []types.Datum{ts, []string{"a", "b", "c"}[rng.Intn(3)], int64(i)})
		}
		batch := &BatchSessionWindow{Input: &BatchSource{Fn: func() ([][]types.Datum, error) { return rows, nil }},
			TimeCol: 0, Keys: []int{1}, KeyTypes: []types.Type{types.TText}, Gap: 7}
		got, err := batch.Rows()
		if err != nil {
			t.Fatal(err)
		}
		outTypes := append(append([]types.Type(nil), windowInTypes...), types.TTimestamp, types.TTimestamp)
		var b []string
		for _, r := range got {
			b = append(b, formatRow(outTypes, r))
		}
		st := newTestStore(t)
		h := &StateHandle{}
		sw := &SessionWindow{TimeCol: 0, Keys: []int{1}, Gap: 7, ID: 10, State: h}
		view := viewState{}
		for i := 0; i < len(rows); {
			end := min(len(rows), i+1+rng.Intn(10))
			cb := NewChunkBuilder(windowInTypes)
			for _, r := range rows[i:end] {
				cb.Append(Insert, r)
			}
			bt := st.NewBatch()
			h.Store = bt
			out, err := sw.Process(Message{Chunk: cb.Build()})
			if err != nil {
				t.Fatal(err)
			}
			bt.Commit()
			for _, m := range out {
				view.apply(t, m.Chunk)
			}
			i = end
		}
		sort.Strings(b)
		if got, want := view.String(), strings.Join(b, "\n"); got != want {
			t.Fatalf("seed %d: streaming\n%s\nbatch\n%s", seed, got, want)
		}
	}
}
