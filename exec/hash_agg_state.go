package exec

import (
	"encoding/binary"
	"errors"

	"github.com/weir-db/weir/types"
)

// HashAgg state layout (keys within the operator's two tables):
//
//	GroupsID  group key                      group values, row count, per aggregate (values counted, running value)
//	GroupsID  0xff 'w' 'm'                   watermark (big-endian int64)
//	GroupsID  0xff 'l' 'a' 't' 'e'           late rows counted (big-endian int64)
//	GroupsID  0xff 'v' 's'                   present when DISTINCT aggregates share values
//	ValuesID  group key 0xfe agg(u16) value  multiplicity (varint), value; shared:
//	                                         mask of the members holding it (varint), value
//	ValuesID  group key 0xfd                 the provisional row last emitted early
//
// The group key is the memcomparable encoding of the group values, the
// window column first, so a window's groups are contiguous and windows
// sort by time: closing and purging them is a scan from the start.

func (h *HashAgg) accTypes() []types.Type {
	if h.accTs == nil {
		ts := append([]types.Type(nil), h.groupTypesOf()...)
		ts = append(ts, types.TInt8)
		for _, a := range h.Aggs {
			ts = append(ts, types.TInt8, h.accType(a))
		}
		h.accTs = ts
	}
	return h.accTs
}

func (h *HashAgg) groupTypesOf() []types.Type {
	if h.groupTypes == nil {
		h.groupTypes = []types.Type{}
		for _, g := range h.Groups {
			h.groupTypes = append(h.groupTypes, g.Type())
		}
	}
	return h.groupTypes
}

// accType is the type of an aggregate's running value.
func (h *HashAgg) accType(a AggSpec) types.Type {
	switch a.Func {
	case "sum":
		return a.T
	case "avg":
		if a.T.Family == types.Numeric {
			return types.NumericOf(a.Arg.Type().Scale)
		}
		return a.T
	case "min", "max":
		return a.T
	}
	return types.TInt8
}

// appendGroupKey encodes the group values, window column first.
func (h *HashAgg) appendGroupKey(key []byte, vals []types.Datum) []byte {
	if h.WindowGroup >= 0 {
		key = types.AppendKey(key, h.Groups[h.WindowGroup].Type(), vals[h.WindowGroup], false)
	}
	for j, g := range h.Groups {
		if j != h.WindowGroup {
			key = types.AppendKey(key, g.Type(), vals[j], false)
		}
	}
	return key
}

// load reads a group for the global phase (a group not in state starts
// empty); with withOld, its output before the chunk goes in g.old.
func (h *HashAgg) load(key []byte, vals []types.Datum, withOld bool) (*groupState, error) {
	g, err := h.group(key)
	if err != nil {
		return nil, err
	}
	if g == nil {
		g = h.groupBlocks.next(key, len(h.Aggs), vals)
	}
	g.old = nil
	if withOld && (g.count > 0 || h.Scalar()) {
		g.old = h.output(h.oldBuf, g)
		h.oldBuf = g.old
	}
	return g, nil
}

// groupSlab hands out new groups from blocks, with their accumulators
// and values: three allocations per block instead of per group. A block
// lives while any of its groups is cached; windows expire in order, and
// their groups with them.
type groupSlab struct {
	gs   []groupState
	accs [][2]types.Datum
	vals []types.Datum
}

const groupSlabSize = 128

func (s *groupSlab) next(key []byte, aggs int, vals []types.Datum) *groupState {
	if len(s.gs) == cap(s.gs) {
		s.gs = make([]groupState, 0, groupSlabSize)
		s.accs = make([][2]types.Datum, 0, groupSlabSize*aggs)
		s.vals = make([]types.Datum, 0, groupSlabSize*len(vals))
	}
	a, v := len(s.accs), len(s.vals)
	s.accs = s.accs[:a+aggs]
	s.vals = append(s.vals, vals...)
	s.gs = append(s.gs, groupState{key: key, accs: s.accs[a : a+aggs : a+aggs], vals: s.vals[v:len(s.vals):len(s.vals)]})
	return &s.gs[len(s.gs)-1]
}

// group returns a group from the cache or the state table (nil: absent).
func (h *HashAgg) group(key []byte) (*groupState, error) {
	g, absent, err := h.cached(key)
	if g != nil || absent || err != nil {
		return g, err
	}
	if _, windowed := h.windowOfKey(key); !windowed {
		f := &h.hot.newGroups
		if err := f.ready(h.scanGroups); err != nil {
			return nil, err
		}
		if !f.mayHold(key) {
			return nil, nil
		}
	}
	v, err := h.State.Store.Get(h.GroupsID, key)
	switch {
	case errors.Is(err, ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, err
	}
	g = &groupState{key: append([]byte(nil), key...), stored: true}
	if err := h.decodeGroup(g, v); err != nil {
		return nil, err
	}
	h.cache(g)
	return g, nil
}

func (h *HashAgg) decodeGroup(g *groupState, v []byte) error {
	row, err := types.DecodeRow(v, h.accTypes(), nil)
	if err != nil {
		return err
	}
	n := len(h.Groups)
	g.vals = row[:n]
	g.count = row[n].(int64)
	if g.accs == nil {
		g.accs = make([][2]types.Datum, len(h.Aggs))
	}
	for i := range h.Aggs {
		g.accs[i] = [2]types.Datum{row[n+1+2*i], row[n+2+2*i]}
	}
	return nil
}

func (h *HashAgg) save(g *groupState) error {
	if g.count == 0 && !h.Scalar() {
		h.forget(g)
		g.stored = false
		return h.State.Store.Delete(h.GroupsID, g.key)
	}
	// The row and its encoding are built in buffers kept for the next
	// group: Set copies what it is given.
	row := append(h.saveRow[:0], g.vals...)
	row = append(row, g.count)
	for _, a := range g.accs {
		row = append(row, a[0], a[1])
	}
	h.saveRow = row
	h.cache(g)
	h.saveBuf = types.AppendRow(h.saveBuf[:0], h.accTypes(), row)
	if err := h.State.Store.Set(h.GroupsID, g.key, h.saveBuf); err != nil {
		return err
	}
	if g.stored || h.WindowGroup >= 0 {
		return nil
	}
	g.stored = true
	return h.hot.newGroups.note(g.key, h.scanGroups)
}

// scanGroups passes every key of the groups table (with its counters:
// a key too many only costs a read).
func (h *HashAgg) scanGroups(fn func(k, v []byte) error) error {
	return h.State.Store.Scan(h.GroupsID, nil, fn)
}

func addAcc(acc, v types.Datum, sign int64, t types.Type) (types.Datum, error) {
	switch t.Family {
	case types.Int8:
		x, _ := acc.(int64)
		y := v.(int64) * sign
		r := x + y
		if (r > x) != (y > 0) {
			return nil, types.Errorf(types.CodeNumericValueOutOfRange, "bigint out of range")
		}
		return r, nil
	case types.Float8, types.Float4:
		x, _ := acc.(float64)
		return x + float64(sign)*v.(float64), nil
	case types.Numeric:
		x, ok := acc.(types.Decimal)
		if !ok {
			x = types.ZeroDecimal(t.Scale)
		}
		var y types.Decimal
		switch vv := v.(type) {
		case int64:
			y = types.DecimalFromInt(vv)
		case types.Decimal:
			y = vv
		}
		y = y.Rescale(t.Scale)
		if sign < 0 {
			return types.Decimal{Coef: x.Coef.Sub(y.Coef), Scale: t.Scale}, nil
		}
		return types.Decimal{Coef: x.Coef.Add(y.Coef), Scale: t.Scale}, nil
	case types.Interval:
		x, _ := acc.(types.DInterval)
		y := v.(types.DInterval)
		s := int32(sign)
		return types.DInterval{Months: x.Months + s*y.Months, Days: x.Days + s*y.Days, Micros: x.Micros + sign*y.Micros}, nil
	}
	return nil, types.Errorf(types.CodeFeatureNotSupported, "cannot sum values of type %s", t)
}

func (h *HashAgg) valuePrefix(gkey []byte, agg int) []byte {
	return appendValuePrefix(nil, gkey, agg)
}

func appendValuePrefix(buf, gkey []byte, agg int) []byte {
	buf = append(append(buf, gkey...), 0xfe)
	return binary.BigEndian.AppendUint16(buf, uint16(agg))
}

func provisionalKey(gkey []byte) []byte { return append(append([]byte(nil), gkey...), 0xfd) }

// bumpValue changes by delta the multiplicity of v (whose key encoding is
// vkey) in aggregate agg's multiset and returns its multiplicity before
// and after.
func (h *HashAgg) bumpValue(gkey []byte, agg int, t types.Type, vkey []byte, v types.Datum, delta int64) (int64, int64, error) {
	// The key is built in a kept buffer: the cache copies it when it
	// keeps it, and Set copies what it is given.
	k := append(appendValuePrefix(h.valueKey[:0], gkey, agg), vkey...)
	h.valueKey = k
	before, cached, err := h.valueAt(k)
	if err != nil {
		return 0, 0, err
	}
	after := before + delta
	if after < 0 {
		return 0, 0, types.Errorf(types.CodeDataCorrupted, "aggregate received a retraction of a value it never counted")
	}
	if h.AppendOnlyInput && before > 0 {
		// Over append-only input a value is never retracted, so only
		// whether it is present matters (its multisets serve DISTINCT
		// alone): the stored count is left as it is, with no write.
		if !cached {
			h.cacheValue(k, before)
		}
		return before, after, nil
	}
	h.cacheValue(k, after)
	if after == 0 {
		return before, 0, h.State.Store.Delete(h.ValuesID, k)
	}
	return before, after, h.writeValue(k, after, t, v, before == 0)
}

// valueAt reads what ValuesID holds under k (a multiplicity, or a shared
// entry's mask; 0: absent), through the cache and the absent filter.
func (h *HashAgg) valueAt(k []byte) (n int64, cached bool, err error) {
	n, cached = h.hot.values[string(k)]
	if cached {
		return n, true, nil
	}
	f := &h.hot.absent
	if err := f.ready(h.scanValues); err != nil {
		return 0, false, err
	}
	if !f.mayHold(k) {
		return 0, false, nil
	}
	old, err := h.State.Store.Get(h.ValuesID, k)
	switch {
	case err == nil:
		n, _ = binary.Varint(old)
	case !errors.Is(err, ErrNotFound):
		return 0, false, err
	}
	return n, false, nil
}

// cacheValue keeps n as what ValuesID holds under k.
func (h *HashAgg) cacheValue(k []byte, n int64) {
	if h.hot.values == nil || len(h.hot.values) >= h.cacheLimit() {
		// Sized for the limit at once: refilled, it would grow through
		// every size on the way.
		h.hot.values = make(map[string]int64, h.cacheLimit())
	}
	h.hot.values[string(k)] = n
}

// writeValue stores n and v (of type t) under ValuesID key k; isNew says
// the key was absent.
func (h *HashAgg) writeValue(k []byte, n int64, t types.Type, v types.Datum, isNew bool) error {
	val := binary.AppendVarint(h.valueBuf[:0], n)
	val = types.AppendRow(val, []types.Type{t}, []types.Datum{v})
	h.valueBuf = val
	if err := h.State.Store.Set(h.ValuesID, k, val); err != nil {
		return err
	}
	if isNew {
		return h.hot.absent.note(k, h.scanValues)
	}
	return nil
}

// scanValues scans every key of the value multisets (and the provisional
// rows that share their table).
func (h *HashAgg) scanValues(fn func(k, v []byte) error) error {
	return h.State.Store.Scan(h.ValuesID, nil, fn)
}

// extreme recomputes min or max from the multiset after the current one
// was deleted.
func (h *HashAgg) extreme(gkey []byte, agg int, a AggSpec) (types.Datum, error) {
	var out types.Datum
	stop := errors.New("stop")
	err := h.State.Store.Scan(h.ValuesID, h.valuePrefix(gkey, agg), func(k, v []byte) error {
		_, n := binary.Varint(v)
		row, err := types.DecodeRow(v[n:], []types.Type{a.Arg.Type()}, nil)
		if err != nil {
			return err
		}
		out = row[0]
		if a.Func == "min" {
			return stop
		}
		return nil
	})
	if err != nil && err != stop {
		return nil, err
	}
	return out, nil
}

// provisional reads the row last emitted early for a group (nil: none).
func (h *HashAgg) provisional(gkey []byte) ([]types.Datum, error) {
	v, err := h.State.Store.Get(h.ValuesID, provisionalKey(gkey))
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return types.DecodeRow(v, h.OutTypes(), nil)
}

// output is a group's output row, built in out's space (the caller
// copies it, or keeps it only until the next call with the same buffer).
func (h *HashAgg) output(out []types.Datum, g *groupState) []types.Datum {
	out = append(out[:0], g.vals...)
	for i, a := range h.Aggs {
		n, _ := g.accs[i][0].(int64)
		switch a.Func {
		case "count_star", "count":
			out = append(out, n)
		case "avg":
			if n == 0 {
				out = append(out, nil)
				continue
			}
			switch s := g.accs[i][1].(type) {
			case float64:
				out = append(out, s/float64(n))
			case types.Decimal:
				cnt := types.DecimalFromInt(n)
				out = append(out, DivideDecimal(s, cnt, DivScale(s, cnt)))
			case types.DInterval:
				out = append(out, types.DInterval{Micros: (s.Micros + int64(s.Days)*86400e6 + int64(s.Months)*30*86400e6) / n})
			default:
				out = append(out, nil)
			}
		default:
			if n == 0 {
				out = append(out, nil)
			} else {
				out = append(out, g.accs[i][1])
			}
		}
	}
	return out
}
