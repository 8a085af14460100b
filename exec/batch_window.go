package exec

import (
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
