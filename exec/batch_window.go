package exec

import (
	"sort"

	"github.com/weir-db/weir/types"
	"github.com/weir-db/weir/windowing"
)

// BatchWindowTVF assigns rows to TUMBLE or HOP windows, appending
// window_start and window_end; a HOP row appears once per window holding
// it. Rows with a NULL time belong to no window.
type BatchWindowTVF struct {
	Input               BatchOp
	TimeCol             int
	Size, Slide, Offset int64 // Slide == Size for TUMBLE
}

// Rows implements BatchOp.
func (w *BatchWindowTVF) Rows() ([][]types.Datum, error) {
	in, err := w.Input.Rows()
	if err != nil {
		return nil, err
	}
	var out [][]types.Datum
	for _, r := range in {
		ts := r[w.TimeCol]
		if ts == nil {
			continue
		}
		t := int64(ts.(types.DTimestamp))
		// The latest window start at or before t, then earlier ones while
		// the window still covers t.
		last := windowing.TumbleStart(t, w.Slide, w.Offset)
		for s := last; s > t-w.Size; s -= w.Slide {
			row := append(append(make([]types.Datum, 0, len(r)+2), r...), types.DTimestamp(s), types.DTimestamp(s+w.Size))
			out = append(out, row)
		}
	}
	return out, nil
}

// BatchSessionWindow assigns rows to SESSION windows per key, appending
// window_start and window_end: per distinct value of the Keys columns
// (typed by KeyTypes), rows sorted by time form sessions where
// consecutive rows are at most Gap apart, spanning [first, last + Gap).
// Rows with a NULL time belong to no window. Output keeps input order.
type BatchSessionWindow struct {
	Input    BatchOp
	TimeCol  int
	Keys     []int
	KeyTypes []types.Type
	Gap      int64
}

// Rows implements BatchOp.
func (w *BatchSessionWindow) Rows() ([][]types.Datum, error) {
	in, err := w.Input.Rows()
	if err != nil {
		return nil, err
	}
	byKey := map[string][]int{}
	var order []string
	for i, r := range in {
		if r[w.TimeCol] == nil {
			continue
		}
		var k []byte
		for j, c := range w.Keys {
			k = types.AppendKey(k, w.KeyTypes[j], r[c], false)
		}
		if _, ok := byKey[string(k)]; !ok {
			order = append(order, string(k))
		}
		byKey[string(k)] = append(byKey[string(k)], i)
	}
	span := make(map[int]windowing.Span, len(in))
	for _, k := range order {
		idx := byKey[k]
		sort.SliceStable(idx, func(a, b int) bool {
			return in[idx[a]][w.TimeCol].(types.DTimestamp) < in[idx[b]][w.TimeCol].(types.DTimestamp)
		})
		times := make([]int64, len(idx))
		for j, i := range idx {
			times[j] = int64(in[i][w.TimeCol].(types.DTimestamp))
		}
		spans := windowing.Sessions(nil, times, w.Gap)
		s := 0
		for j, i := range idx {
			for times[j] >= spans[s].End {
				s++
			}
			span[i] = spans[s]
		}
	}
	var out [][]types.Datum
	for i, r := range in {
		s, ok := span[i]
		if !ok {
			continue
		}
		out = append(out, append(append(make([]types.Datum, 0, len(r)+2), r...), types.DTimestamp(s.Start), types.DTimestamp(s.End)))
	}
	return out, nil
}
