package exec

import (
	"bytes"
	"errors"

	"github.com/weir-db/weir/storage/encoding"
	"github.com/weir-db/weir/types"
)

var errStopScan = errors.New("stop scan")

// windowEndOf decodes a group key's window column and returns the window's
// end; false for a NULL window (which never closes by time).
func (h *HashAgg) windowEndOf(key []byte) (int64, bool, error) {
	k, i, _, _, _, err := encoding.Decode(key)
	if err != nil {
		return 0, false, types.Errorf(types.CodeDataCorrupted, "aggregate group key: %v", err)
	}
	if k == encoding.KindNull {
		return 0, false, nil
	}
	return i + h.WindowEndDelta, true, nil
}

// onWatermark moves the operator's watermark to wm: under EMIT ON WINDOW
// CLOSE it emits the final rows of the windows that closed (retracting
// provisional ones), and it purges the windows that expired.
func (h *HashAgg) onWatermark(wm int64) ([]Message, error) {
	fwd := Message{Watermark: &wm}
	prev := h.wm.v
	if wm <= prev {
		return []Message{fwd}, nil
	}
	h.wm.v = wm
	if err := h.wm.store(h.State.Store, h.GroupsID); err != nil {
		return nil, err
	}
	if h.WindowGroup < 0 {
		return []Message{fwd}, nil
	}
	pol := h.policy()
	// Groups whose window ends at or before wm: window column + delta <=
	// wm, keys below the encoding of wm - delta + 1.
	bound := types.AppendKey(nil, types.TTimestamp, types.DTimestamp(wm-h.WindowEndDelta+1), false)
	type closing struct {
		key   []byte
		final []types.Datum // nil: nothing to emit
		purge bool
	}
	var todo []closing
	err := h.State.Store.Scan(h.GroupsID, nil, func(k, v []byte) error {
		if k[0] == 0xff || bytes.Compare(k, bound) >= 0 {
			return errStopScan
		}
		end, ok, err := h.windowEndOf(k)
		if err != nil || !ok {
			return err
		}
		c := closing{key: append([]byte(nil), k...), purge: pol.Expired(end, wm)}
		if h.EmitOnClose && end > prev {
			g := &groupState{}
			if err := h.decodeGroup(g, v); err != nil {
				return err
			}
			if g.count > 0 {
				c.final = h.output(g)
			}
		}
		if c.purge || c.final != nil {
			todo = append(todo, c)
		}
		return nil
	})
	if err != nil && err != errStopScan {
		return nil, err
	}
	cb := NewChunkBuilder(h.OutTypes())
	for _, c := range todo {
		if c.final != nil {
			var prov []types.Datum
			if h.EarlyFire {
				if prov, err = h.provisional(c.key); err != nil {
					return nil, err
				}
				if err := h.State.Store.Delete(h.ValuesID, provisionalKey(c.key)); err != nil {
					return nil, err
				}
			}
			emitDiff(cb, prov, c.final)
		}
		if c.purge {
			if err := h.purge(c.key); err != nil {
				return nil, err
			}
		}
	}
	var out []Message
	if oc := cb.Build(); oc != nil {
		out = append(out, Message{Chunk: oc})
	}
	return append(out, fwd), nil
}

// purge removes a group and everything kept for it.
func (h *HashAgg) purge(key []byte) error {
	if err := h.State.Store.Delete(h.GroupsID, key); err != nil {
		return err
	}
	var vals [][]byte
	if err := h.State.Store.Scan(h.ValuesID, key, func(vk, _ []byte) error {
		vals = append(vals, append([]byte(nil), vk...))
		return nil
	}); err != nil {
		return err
	}
	for _, vk := range vals {
		if err := h.State.Store.Delete(h.ValuesID, vk); err != nil {
			return err
		}
	}
	return nil
}

// onFire emits provisional rows for open windows whose result changed
// since the last firing (EMIT ON WINDOW CLOSE EARLY EVERY): the previous
// provisional row is retracted by the new one, and the final row at close
// retracts the last.
func (h *HashAgg) onFire() ([]Message, error) {
	fwd := Message{Fire: true}
	if !h.EmitOnClose || !h.EarlyFire || h.WindowGroup < 0 {
		return []Message{fwd}, nil
	}
	type change struct {
		key  []byte
		prov []types.Datum
		now  []types.Datum
	}
	var changes []change
	pol := h.policy()
	err := h.State.Store.Scan(h.GroupsID, nil, func(k, v []byte) error {
		if k[0] == 0xff {
			return errStopScan
		}
		end, ok, err := h.windowEndOf(k)
		if err != nil || !ok || pol.Closed(end, h.wm.v) {
			return err
		}
		g := &groupState{}
		if err := h.decodeGroup(g, v); err != nil {
			return err
		}
		changes = append(changes, change{key: append([]byte(nil), k...), now: h.output(g)})
		return nil
	})
	if err != nil && err != errStopScan {
		return nil, err
	}
	cb := NewChunkBuilder(h.OutTypes())
	ts := h.OutTypes()
	for _, c := range changes {
		prov, err := h.provisional(c.key)
		if err != nil {
			return nil, err
		}
		if prov != nil && rowsEqual(prov, c.now) {
			continue
		}
		emitDiff(cb, prov, c.now)
		if err := h.State.Store.Set(h.ValuesID, provisionalKey(c.key), types.AppendRow(nil, ts, c.now)); err != nil {
			return nil, err
		}
	}
	var out []Message
	if oc := cb.Build(); oc != nil {
		out = append(out, Message{Chunk: oc})
	}
	return append(out, fwd), nil
}
