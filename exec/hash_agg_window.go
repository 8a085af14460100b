package exec

import (
	"errors"

	"github.com/weir-db/weir/storage/encoding"
	"github.com/weir-db/weir/types"
)

var errStopScan = errors.New("stop scan")

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
	if h.Session != nil {
		x, err := h.sessions()
		if err != nil {
			return nil, err
		}
		if err := x.advance(wm, nil); err != nil {
			return nil, err
		}
	}
	if h.WindowGroup < 0 {
		return []Message{fwd}, nil
	}
	if err := h.ensureIndex(); err != nil {
		return nil, err
	}
	pol := h.policy()
	// Windows whose end (window column + delta) is at or below wm, oldest
	// first; the ones closed before and not yet expired are skipped.
	var due []int64
	for _, w := range h.hot.order {
		if w+h.WindowEndDelta > wm {
			break
		}
		due = append(due, w)
	}
	cb := NewChunkBuilder(h.OutTypes())
	for _, w := range due {
		end := w + h.WindowEndDelta
		closing, expired := h.EmitOnClose && end > prev, pol.Expired(end, wm)
		if !closing && !expired {
			continue
		}
		if closing {
			if err := h.emitClosed(cb, h.windowKeys(w, true)); err != nil {
				return nil, err
			}
		}
		if expired {
			if err := h.purgeWindow(w); err != nil {
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

// emitClosed emits the final rows of a closing window's groups (keys, in key
// order), retracting provisional ones.
func (h *HashAgg) emitClosed(cb *ChunkBuilder, keys []string) error {
	for _, k := range keys {
		key := []byte(k)
		g, err := h.group(key)
		if err != nil {
			return err
		}
		var prov []types.Datum
		if h.EarlyFire {
			if prov, err = h.provisional(key); err != nil {
				return err
			}
			if err := h.State.Store.Delete(h.ValuesID, provisionalKey(key)); err != nil {
				return err
			}
		}
		if g != nil && g.count > 0 {
			h.nowBuf = h.output(h.nowBuf, g)
			emitDiff(cb, prov, h.nowBuf)
		}
	}
	return nil
}

// purgeWindow removes an expired window's groups and everything kept
// for them. A group key starts with its window, so one range deletion
// removes the window's groups, and the window index drops them at once.
func (h *HashAgg) purgeWindow(w int64) error {
	wg := h.hot.windows[w]
	if wg == nil {
		return nil
	}
	var first string
	for k := range wg.keys {
		first = k
		break
	}
	_, _, _, _, rest, err := encoding.Decode([]byte(first))
	if err != nil {
		return types.Errorf(types.CodeDataCorrupted, "aggregate state: corrupt group key: %v", err)
	}
	prefix := []byte(first[:len(first)-len(rest)])
	end := encoding.PrefixEnd(prefix)
	if end == nil || h.EarlyFire || h.anyMultiset() {
		for k := range wg.keys {
			if end == nil {
				if err := h.State.Store.Delete(h.GroupsID, []byte(k)); err != nil {
					return err
				}
			}
			if err := h.purgeValues([]byte(k)); err != nil {
				return err
			}
		}
	}
	h.indexDropWindow(w)
	if end == nil {
		return nil
	}
	return h.State.Store.DeleteRange(h.GroupsID, prefix, end)
}

// purgeValues removes what ValuesID keeps for a group.
func (h *HashAgg) purgeValues(key []byte) error {
	if !h.EarlyFire && !h.anyMultiset() {
		return nil // nothing is kept in ValuesID
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
		delete(h.hot.values, string(vk))
	}
	return nil
}

func (h *HashAgg) anyMultiset() bool {
	for i := range h.Aggs {
		if h.usesMultiset(&h.Aggs[i]) {
			return true
		}
	}
	return false
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
	if err := h.ensureIndex(); err != nil {
		return nil, err
	}
	pol := h.policy()
	var open []int64
	for _, w := range h.hot.order {
		if !pol.Closed(w+h.WindowEndDelta, h.wm.v) {
			open = append(open, w)
		}
	}
	cb := NewChunkBuilder(h.OutTypes())
	ts := h.OutTypes()
	for _, w := range open {
		for _, k := range h.windowKeys(w, true) {
			key := []byte(k)
			g, err := h.group(key)
			if err != nil {
				return nil, err
			}
			if g == nil || g.count == 0 {
				continue
			}
			now := h.output(h.nowBuf, g)
			h.nowBuf = now
			prov, err := h.provisional(key)
			if err != nil {
				return nil, err
			}
			if prov != nil && rowsEqual(prov, now) {
				continue
			}
			emitDiff(cb, prov, now)
			if err := h.State.Store.Set(h.ValuesID, provisionalKey(key), types.AppendRow(nil, ts, now)); err != nil {
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
