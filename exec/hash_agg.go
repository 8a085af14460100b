package exec

import (
	"bytes"
	"encoding/binary"
	"errors"
	"sort"

	"github.com/weir-db/weir/storage/encoding"
	"github.com/weir-db/weir/types"
)

// AggSpec is one aggregate of a HashAgg.
type AggSpec struct {
	Func     string // count_star, count, sum, avg, min, max
	Arg      Expr   // nil for count_star
	Distinct bool
	Filter   Expr // nil when absent
	T        types.Type
}

// HashAgg maintains grouped aggregates over a changelog, emitting the
// changes of its output rows. State (table GroupsID) holds, per group key,
// the group values, the row count and each aggregate's accumulator; table
// ValuesID holds the value multisets that DISTINCT, min and max need to
// survive deletions.
//
// Windowed aggregation (WindowGroup >= 0) orders state by the window
// column, purges windows once the watermark passes their end, counts rows
// for already-purged windows as late, and with EmitOnClose emits each
// window's final rows only then.
type HashAgg struct {
	Groups             []Expr
	Aggs               []AggSpec
	WindowGroup        int   // index into Groups of window_start or window_end; -1 without windows
	WindowEndDelta     int64 // added to the window column to get window_end
	EmitOnClose        bool
	GroupsID, ValuesID uint32
	State              *StateHandle
	// Late counts rows dropped because their window had already closed.
	Late int64

	watermark  int64
	wmLoaded   bool
	groupTypes []types.Type
}

type groupState struct {
	key    []byte
	vals   []types.Datum
	count  int64
	accs   [][2]types.Datum // per aggregate: rows counted, running value
	old    []types.Datum    // output before this chunk (nil: absent)
	loaded bool
}

var watermarkKey = []byte{0xff, 'w', 'm'}

// OutTypes is the output schema: group columns, then aggregates.
func (h *HashAgg) OutTypes() []types.Type {
	var ts []types.Type
	for _, g := range h.Groups {
		ts = append(ts, g.Type())
	}
	for _, a := range h.Aggs {
		ts = append(ts, a.T)
	}
	return ts
}

func (h *HashAgg) accTypes() []types.Type {
	ts := append([]types.Type(nil), h.groupTypesOf()...)
	ts = append(ts, types.TInt8)
	for _, a := range h.Aggs {
		ts = append(ts, types.TInt8, h.accType(a))
	}
	return ts
}

func (h *HashAgg) groupTypesOf() []types.Type {
	if h.groupTypes == nil {
		for _, g := range h.Groups {
			h.groupTypes = append(h.groupTypes, g.Type())
		}
		if h.groupTypes == nil {
			h.groupTypes = []types.Type{}
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

// Scalar reports whether this is an aggregate without GROUP BY, which has
// exactly one output row even over no input.
func (h *HashAgg) Scalar() bool { return len(h.Groups) == 0 }

// Init emits the empty-input row of a scalar aggregate the first time a
// dataflow starts (nothing otherwise).
func (h *HashAgg) Init() ([]Message, error) {
	if !h.Scalar() {
		return nil, nil
	}
	if _, err := h.State.Store.Get(h.GroupsID, []byte{}); err == nil {
		return nil, nil
	} else if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	g := &groupState{key: []byte{}, accs: make([][2]types.Datum, len(h.Aggs))}
	if err := h.save(g); err != nil {
		return nil, err
	}
	cb := NewChunkBuilder(h.OutTypes())
	cb.Append(Insert, h.output(g))
	return []Message{{Chunk: cb.Build()}}, nil
}

func (h *HashAgg) loadWatermark() error {
	if h.wmLoaded {
		return nil
	}
	h.wmLoaded = true
	h.watermark = -1 << 63
	v, err := h.State.Store.Get(h.GroupsID, watermarkKey)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	h.watermark = int64(binary.BigEndian.Uint64(v))
	return nil
}

// Process implements Operator.
func (h *HashAgg) Process(m Message) ([]Message, error) {
	if err := h.loadWatermark(); err != nil {
		return nil, err
	}
	if m.Watermark != nil {
		return h.onWatermark(*m.Watermark)
	}
	c := m.Chunk
	groups := map[string]*groupState{}
	row := make([]types.Datum, 0, len(c.Types))
	vals := make([]types.Datum, len(h.Groups))
	for i := 0; i < c.Len(); i++ {
		row = c.Row(i, row)
		for j, g := range h.Groups {
			v, err := g.EvalRow(row)
			if err != nil {
				return nil, err
			}
			vals[j] = v
		}
		if h.WindowGroup >= 0 {
			w := vals[h.WindowGroup]
			if w == nil || int64(w.(types.DTimestamp))+h.WindowEndDelta <= h.watermark {
				h.Late++
				continue
			}
		}
		key := h.groupKey(vals)
		g := groups[string(key)]
		if g == nil {
			var err error
			if g, err = h.load(key, vals); err != nil {
				return nil, err
			}
			groups[string(key)] = g
		}
		if err := h.apply(g, c.Ops[i].Sign(), row); err != nil {
			return nil, err
		}
	}
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	cb := NewChunkBuilder(h.OutTypes())
	for _, k := range keys {
		g := groups[k]
		if g.count < 0 {
			return nil, types.Errorf(types.CodeDataCorrupted, "aggregate group has a negative row count: a retraction arrived for a row never inserted")
		}
		if err := h.save(g); err != nil {
			return nil, err
		}
		if h.EmitOnClose {
			continue
		}
		var now []types.Datum
		if g.count > 0 || h.Scalar() {
			now = h.output(g)
		}
		switch {
		case g.old == nil && now != nil:
			cb.Append(Insert, now)
		case g.old != nil && now == nil:
			cb.Append(Delete, g.old)
		case g.old != nil && now != nil && !rowsEqual(g.old, now):
			cb.Append(UpdateDelete, g.old)
			cb.Append(UpdateInsert, now)
		}
	}
	if oc := cb.Build(); oc != nil {
		return []Message{{Chunk: oc}}, nil
	}
	return nil, nil
}

// groupKey encodes the group values, window column first so windows are
// contiguous and time-ordered in state.
func (h *HashAgg) groupKey(vals []types.Datum) []byte {
	var key []byte
	if h.WindowGroup >= 0 {
		key = types.AppendKey(key, h.Groups[h.WindowGroup].Type(), vals[h.WindowGroup], false)
	}
	for j, g := range h.Groups {
		if j != h.WindowGroup {
			key = types.AppendKey(key, g.Type(), vals[j], false)
		}
	}
	if key == nil {
		key = []byte{}
	}
	return key
}

func (h *HashAgg) load(key []byte, vals []types.Datum) (*groupState, error) {
	g := &groupState{key: key, accs: make([][2]types.Datum, len(h.Aggs))}
	v, err := h.State.Store.Get(h.GroupsID, key)
	switch {
	case errors.Is(err, ErrNotFound):
		g.vals = append([]types.Datum(nil), vals...)
		if h.Scalar() {
			g.old = h.output(g)
		}
		return g, nil
	case err != nil:
		return nil, err
	}
	row, err := types.DecodeRow(v, h.accTypes(), nil)
	if err != nil {
		return nil, err
	}
	n := len(h.Groups)
	g.vals = row[:n]
	g.count = row[n].(int64)
	for i := range h.Aggs {
		g.accs[i] = [2]types.Datum{row[n+1+2*i], row[n+2+2*i]}
	}
	g.loaded = true
	if g.count > 0 || h.Scalar() {
		g.old = h.output(g)
	}
	return g, nil
}

func (h *HashAgg) save(g *groupState) error {
	if g.count == 0 && !h.Scalar() {
		return h.State.Store.Delete(h.GroupsID, g.key)
	}
	row := append([]types.Datum(nil), g.vals...)
	row = append(row, g.count)
	for _, a := range g.accs {
		row = append(row, a[0], a[1])
	}
	return h.State.Store.Set(h.GroupsID, g.key, types.AppendRow(nil, h.accTypes(), row))
}

// apply adds (sign +1) or removes (sign -1) one input row from a group.
func (h *HashAgg) apply(g *groupState, sign int64, row []types.Datum) error {
	g.count += sign
	for i, a := range h.Aggs {
		if a.Filter != nil {
			ok, err := a.Filter.EvalRow(row)
			if err != nil {
				return err
			}
			if ok != true {
				continue
			}
		}
		acc := &g.accs[i]
		n, _ := acc[0].(int64)
		if a.Func == "count_star" {
			acc[0] = n + sign
			continue
		}
		v, err := a.Arg.EvalRow(row)
		if err != nil {
			return err
		}
		if v == nil {
			continue
		}
		if a.Distinct || a.Func == "min" || a.Func == "max" {
			before, after, err := h.bumpValue(g.key, i, a.Arg.Type(), v, sign)
			if err != nil {
				return err
			}
			if a.Distinct && !(before == 0 && after == 1 || before == 1 && after == 0) {
				continue // the distinct set did not change
			}
		}
		acc[0] = n + sign
		switch a.Func {
		case "sum", "avg":
			s, err := addAcc(acc[1], v, sign, h.accType(a))
			if err != nil {
				return err
			}
			acc[1] = s
		case "min", "max":
			cur := acc[1]
			better := func(x types.Datum) bool {
				c := types.Compare(x, cur)
				return a.Func == "min" && c < 0 || a.Func == "max" && c > 0
			}
			switch {
			case sign > 0 && (cur == nil || better(v)):
				acc[1] = v
			case sign < 0 && cur != nil && types.Compare(v, cur) == 0:
				ext, err := h.extreme(g.key, i, a)
				if err != nil {
					return err
				}
				acc[1] = ext
			}
		}
		if acc[0].(int64) == 0 {
			acc[1] = nil
		}
	}
	return nil
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
	p := append(append([]byte(nil), gkey...), 0xfe)
	return binary.BigEndian.AppendUint16(p, uint16(agg))
}

// bumpValue changes the multiplicity of v in aggregate agg's multiset and
// returns its multiplicity before and after.
func (h *HashAgg) bumpValue(gkey []byte, agg int, t types.Type, v types.Datum, sign int64) (int64, int64, error) {
	k := types.AppendKey(h.valuePrefix(gkey, agg), t, v, false)
	var before int64
	old, err := h.State.Store.Get(h.ValuesID, k)
	switch {
	case err == nil:
		before, _ = binary.Varint(old)
	case !errors.Is(err, ErrNotFound):
		return 0, 0, err
	}
	after := before + sign
	if after <= 0 {
		return before, 0, h.State.Store.Delete(h.ValuesID, k)
	}
	val := binary.AppendVarint(nil, after)
	val = types.AppendRow(val, []types.Type{t}, []types.Datum{v})
	return before, after, h.State.Store.Set(h.ValuesID, k, val)
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

// output is a group's output row.
func (h *HashAgg) output(g *groupState) []types.Datum {
	out := append([]types.Datum(nil), g.vals...)
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

// onWatermark closes the windows whose end the watermark has reached:
// emitting their final rows under EmitOnClose, and purging their state.
func (h *HashAgg) onWatermark(wm int64) ([]Message, error) {
	fwd := Message{Watermark: &wm}
	if wm <= h.watermark {
		return []Message{fwd}, nil
	}
	h.watermark = wm
	if err := h.State.Store.Set(h.GroupsID, watermarkKey, binary.BigEndian.AppendUint64(nil, uint64(wm))); err != nil {
		return nil, err
	}
	if h.WindowGroup < 0 {
		return []Message{fwd}, nil
	}
	// Windows with column value + delta <= wm are closed: keys below the
	// encoding of (wm - delta + 1).
	bound := types.AppendKey(nil, types.TTimestamp, types.DTimestamp(wm-h.WindowEndDelta+1), false)
	var closed [][]byte
	cb := NewChunkBuilder(h.OutTypes())
	stop := errors.New("stop")
	err := h.State.Store.Scan(h.GroupsID, nil, func(k, v []byte) error {
		if bytes.Compare(k, bound) >= 0 || k[0] == 0xff {
			return stop
		}
		if k[0] == 0x00 { // NULL window: never closes via time
			return nil
		}
		closed = append(closed, append([]byte(nil), k...))
		if h.EmitOnClose {
			row, err := types.DecodeRow(v, h.accTypes(), nil)
			if err != nil {
				return err
			}
			n := len(h.Groups)
			g := &groupState{vals: row[:n], count: row[n].(int64), accs: make([][2]types.Datum, len(h.Aggs))}
			for i := range h.Aggs {
				g.accs[i] = [2]types.Datum{row[n+1+2*i], row[n+2+2*i]}
			}
			if g.count > 0 {
				cb.Append(Insert, h.output(g))
			}
		}
		return nil
	})
	if err != nil && err != stop {
		return nil, err
	}
	for _, k := range closed {
		if err := h.State.Store.Delete(h.GroupsID, k); err != nil {
			return nil, err
		}
		var vals [][]byte
		if err := h.State.Store.Scan(h.ValuesID, append(append([]byte(nil), k...), 0xfe), func(vk, _ []byte) error {
			vals = append(vals, append([]byte(nil), vk...))
			return nil
		}); err != nil {
			return nil, err
		}
		for _, vk := range vals {
			if err := h.State.Store.Delete(h.ValuesID, vk); err != nil {
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

func rowsEqual(a, b []types.Datum) bool {
	for i := range a {
		if (a[i] == nil) != (b[i] == nil) || a[i] != nil && types.Compare(a[i], b[i]) != 0 {
			return false
		}
	}
	return true
}

var _ = encoding.PrefixEnd

// Reset drops in-memory positions so they are re-read from state; the
// runtime calls it after discarding a failed epoch.
func (h *HashAgg) Reset() { h.wmLoaded = false }
