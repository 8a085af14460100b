package exec

import (
	"encoding/binary"
	"errors"

	"github.com/weir-db/weir/types"
	"github.com/weir-db/weir/windowing"
)

// LateRow is an input row an operator dropped because the window it
// belongs to had expired (closed, and past any allowed lateness).
type LateRow struct {
	Window windowing.Span
	Row    []types.Datum // the operator's input row; owned by the sink
}

// LateSink collects an epoch's late rows for the runtime, which writes
// them to the view's LATE ROWS INTO target with the epoch's commit. An
// operator without a sink only counts its late rows.
type LateSink struct {
	Rows []LateRow
}

// Add records a late row, copying it.
func (s *LateSink) Add(w windowing.Span, row []types.Datum) {
	if s == nil {
		return
	}
	s.Rows = append(s.Rows, LateRow{Window: w, Row: append([]types.Datum(nil), row...)})
}

// counter is a persisted int64 in an operator's state table, under a key
// no row key can take (row keys never start with 0xff).
type counter struct {
	key    []byte
	v      int64
	loaded bool
}

func (c *counter) load(s StateStore, id uint32, def int64) error {
	if c.loaded {
		return nil
	}
	c.v = def
	v, err := s.Get(id, c.key)
	switch {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		return err
	case len(v) != 8:
		return types.Errorf(types.CodeDataCorrupted, "operator counter %q is corrupt", c.key)
	default:
		c.v = int64(binary.BigEndian.Uint64(v))
	}
	c.loaded = true
	return nil
}

func (c *counter) store(s StateStore, id uint32) error {
	return s.Set(id, c.key, binary.BigEndian.AppendUint64(nil, uint64(c.v)))
}

// ReadCounters reads an operator's committed late count and watermark
// from its counter table (HashAgg's GroupsID, SessionWindow's ID), for
// the system tables.
func ReadCounters(get func(id uint32, k []byte) ([]byte, error), id uint32) (late, wm int64, err error) {
	read := func(k []byte, def int64) (int64, error) {
		v, err := get(id, k)
		switch {
		case errors.Is(err, ErrNotFound):
			return def, nil
		case err != nil:
			return 0, err
		case len(v) != 8:
			return 0, types.Errorf(types.CodeDataCorrupted, "operator counter %q is corrupt", k)
		}
		return int64(binary.BigEndian.Uint64(v)), nil
	}
	if late, err = read(lateKey, 0); err != nil {
		return 0, 0, err
	}
	wm, err = read(watermarkKey, windowing.NoWatermark)
	return late, wm, err
}
