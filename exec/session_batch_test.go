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
// nothing is late) assign the same rows to the same sessions, the
// streaming one also taking retractions (which split and shrink sessions)
// and restarts.
func TestBatchSessionMatchesStreaming(t *testing.T) {
	for seed := int64(0); seed < 20; seed++ {
		rng := rand.New(rand.NewSource(seed))
		type change struct {
			op  Op
			row []types.Datum
		}
		// Inserts, and retractions of rows inserted before (splitting
		// and shrinking sessions).
		var changes []change
		var live [][]types.Datum
		for i := 0; i < 60; i++ {
			if len(live) > 0 && rng.Intn(4) == 0 {
				j := rng.Intn(len(live))
				changes = append(changes, change{Delete, live[j]})
				live = append(live[:j], live[j+1:]...)
				continue
			}
			var ts types.Datum = types.DTimestamp(rng.Intn(200))
			if rng.Intn(15) == 0 {
				ts = nil
			}
			row := []types.Datum{ts, []string{"a", "b", "c"}[rng.Intn(3)], int64(i)}
			changes = append(changes, change{Insert, row})
			live = append(live, row)
		}
		batch := &BatchSessionWindow{Input: &BatchSource{Fn: func() ([][]types.Datum, error) { return live, nil }},
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
		for i := 0; i < len(changes); {
			end := min(len(changes), i+1+rng.Intn(10))
			cb := NewChunkBuilder(windowInTypes)
			for _, c := range changes[i:end] {
				cb.Append(c.op, c.row)
			}
			bt := st.NewBatch()
			h.Store = bt
			out, err := sw.Process(Message{Chunk: cb.Build()})
			if err != nil {
				t.Fatal(err)
			}
			if err := bt.Commit(); err != nil {
				t.Fatal(err)
			}
			for _, m := range out {
				view.apply(t, m.Chunk)
			}
			if rng.Intn(8) == 0 {
				sw.Reset() // as after a restart
			}
			i = end
		}
		sort.Strings(b)
		if got, want := view.String(), strings.Join(b, "\n"); got != want {
			t.Fatalf("seed %d: streaming\n%s\nbatch\n%s", seed, got, want)
		}
	}
}
