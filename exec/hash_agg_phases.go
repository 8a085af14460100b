package exec

import (
	"sort"
	"unsafe"

	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/weir-db/weir/storage/encoding"

	"github.com/weir-db/weir/types"
	"github.com/weir-db/weir/windowing"
)

// partial is one group's share of a chunk, folded in memory by the local
// phase before the global phase merges it into state.
type partial struct {
	key  []byte // its own copy, never changed: mapKey shares it
	vals []types.Datum
	rows int64 // net rows
	end  int64 // window end, for windowed aggregation
	aggs []aggPartial
}

// mapKey is p's key as a string that shares its bytes, to key the
// phase's map without a copy.
func (p *partial) mapKey() string { return unsafe.String(unsafe.SliceData(p.key), len(p.key)) }

type aggPartial struct {
	n    int64                  // net values counted (aggregates without a multiset)
	sum  types.Datum            // net sum (sum, avg)
	ext  types.Datum            // the chunk's extreme (min, max over append-only input)
	vals map[string]*valueDelta // net multiplicity change per value (DISTINCT; min, max over retractions)
}

type valueDelta struct {
	v types.Datum
	d int64
}

// usesMultiset reports whether aggregate a keeps its values' multiset in
// state: DISTINCT needs it to know when a value comes or goes, and min and
// max need it to find the next extreme when the current one is retracted.
func (h *HashAgg) usesMultiset(a *AggSpec) bool {
	if a.Func == "count_star" {
		return false
	}
	return a.Distinct || (a.Func == "min" || a.Func == "max") && !h.AppendOnlyInput
}

// needColumns works out which input columns the expressions read, so the
// local phase decodes only those (all of them when late rows are kept).
func (h *HashAgg) needColumns(n int) []bool {
	if h.LateSink != nil {
		return nil
	}
	need := make([]bool, n)
	var exprs []Expr
	exprs = append(exprs, h.Groups...)
	for _, a := range h.Aggs {
		if a.Arg != nil {
			exprs = append(exprs, a.Arg)
		}
		if a.Filter != nil {
			exprs = append(exprs, a.Filter) // row by row when its kernels fail
		}
	}
	for _, e := range exprs {
		if !markColumns(e, need) {
			return nil
		}
	}
	return need
}

// markColumns marks the columns e reads; false when it cannot tell.
func markColumns(e Expr, need []bool) bool {
	switch x := e.(type) {
	case *ColRef:
		if x.Idx >= len(need) {
			return false
		}
		need[x.Idx] = true
	case *Const, *ProcTime:
	case *Cast:
		return markColumns(x.E, need)
	case *Call:
		for _, a := range x.Args {
			if !markColumns(a, need) {
				return false
			}
		}
	case *Case:
		for i := range x.Conds {
			if !markColumns(x.Conds[i], need) || !markColumns(x.Thens[i], need) {
				return false
			}
		}
		if x.Else != nil {
			return markColumns(x.Else, need)
		}
	default:
		return false
	}
	return true
}

// readRow decodes row i of c into row (only the needed columns).
func (h *HashAgg) readRow(c *Chunk, i int, row []types.Datum) {
	for j, t := range c.Types {
		if h.need == nil || h.need[j] {
			row[j] = types.GetDatum(c.Rec.Column(j), t, i)
		}
	}
}

func better(fn string, x, cur types.Datum) bool {
	c := types.Compare(x, cur)
	return fn == "min" && c < 0 || fn == "max" && c > 0
}

// lateWindow is the window ending at end, as a late row reports it.
func (h *HashAgg) lateWindow(end int64) windowing.Span {
	if h.WindowSize > 0 {
		return windowing.Span{Start: end - h.WindowSize, End: end}
	}
	return windowing.Span{Start: end, End: end}
}

// local is the first phase: it folds the chunk into per-group partials,
// in order of first appearance, and drops (counting) rows for expired
// windows. It reads no state.
func (h *HashAgg) local(c *Chunk) ([]*partial, error) {
	if h.filterVecs == nil {
		h.filterVecs = make([]vnode, len(h.Aggs))
		for ai, a := range h.Aggs {
			if a.Filter != nil {
				h.filterVecs[ai], _ = compileVec(a.Filter)
			}
		}
	}
	if h.need == nil || len(h.need) != len(c.Types) {
		h.need = h.needColumns(len(c.Types))
	}
	masks := h.filterMasks(c)
	parts := make(map[string]*partial, h.lastGroups)
	order := make([]*partial, 0, h.lastGroups)
	slab := partialSlab{size: max(h.lastGroups, 16), aggs: len(h.Aggs), vals: len(h.Groups)}
	defer func() { h.lastGroups = len(order) }()
	pol := h.policy()
	row := make([]types.Datum, len(c.Types))
	vals := make([]types.Datum, len(h.Groups))
	var key, vkey []byte
	fast := h.fastKeys(c)
	needRow := fast == nil || h.LateSink != nil
	for ai := range h.Aggs {
		if h.Aggs[ai].Func != "count_star" || h.Aggs[ai].Filter != nil && masks[ai] == nil {
			needRow = true
		}
	}
	for i := 0; i < c.Len(); i++ {
		var p *partial
		if fast != nil {
			// Group columns read straight from their arrays; values are
			// decoded only for a group's first row in the chunk.
			var end int64
			if h.WindowGroup >= 0 {
				if fast.window.IsNull(i) {
					h.Late++
					continue
				}
				end = int64(fast.window.Value(i)) + h.WindowEndDelta
				if pol.Expired(end, h.wm.v) {
					h.Late++
					if h.LateSink != nil {
						h.readRow(c, i, row)
						h.LateSink.Add(h.lateWindow(end), row)
					}
					continue
				}
			}
			key = key[:0]
			for _, r := range fast.order {
				key = r(key, i)
			}
			if p = parts[string(key)]; p == nil {
				for j, g := range h.Groups {
					vals[j] = types.GetDatum(c.Rec.Column(g.(*ColRef).Idx), g.Type(), i)
				}
				p = slab.next(key, vals, end)
				parts[p.mapKey()] = p
				order = append(order, p)
			}
			if needRow {
				h.readRow(c, i, row)
			}
		} else {
			h.readRow(c, i, row)
			for j, g := range h.Groups {
				v, err := g.EvalRow(row)
				if err != nil {
					return nil, err
				}
				vals[j] = v
			}
			var end int64
			if h.WindowGroup >= 0 {
				w := vals[h.WindowGroup]
				if w == nil {
					// A row in no window can never be emitted by time.
					h.Late++
					continue
				}
				end = int64(w.(types.DTimestamp)) + h.WindowEndDelta
				if pol.Expired(end, h.wm.v) {
					h.Late++
					h.LateSink.Add(h.lateWindow(end), row)
					continue
				}
			}
			key = h.appendGroupKey(key[:0], vals)
			if p = parts[string(key)]; p == nil {
				p = slab.next(key, vals, end)
				parts[p.mapKey()] = p
				order = append(order, p)
			}
		}
		sign := c.Ops[i].Sign()
		p.rows += sign
		for ai := range h.Aggs {
			a := &h.Aggs[ai]
			switch {
			case masks[ai] != nil:
				if !masks[ai][i] {
					continue
				}
			case a.Filter != nil:
				ok, err := a.Filter.EvalRow(row)
				if err != nil {
					return nil, err
				}
				if ok != true {
					continue
				}
			}
			ap := &p.aggs[ai]
			if a.Func == "count_star" {
				ap.n += sign
				continue
			}
			v, err := a.Arg.EvalRow(row)
			if err != nil {
				return nil, err
			}
			if v == nil {
				continue
			}
			if h.usesMultiset(a) {
				if ap.vals == nil {
					ap.vals = map[string]*valueDelta{}
				}
				vkey = types.AppendKey(vkey[:0], a.Arg.Type(), v, false)
				d := ap.vals[string(vkey)]
				if d == nil {
					d = &valueDelta{v: v}
					ap.vals[string(vkey)] = d
				}
				d.d += sign
				continue
			}
			ap.n += sign
			switch a.Func {
			case "sum", "avg":
				s, err := addAcc(ap.sum, v, sign, h.accType(*a))
				if err != nil {
					return nil, err
				}
				ap.sum = s
			case "min", "max":
				if ap.ext == nil || better(a.Func, v, ap.ext) {
					ap.ext = v
				}
			}
		}
	}
	return order, nil
}

// filterMasks evaluates, over the whole chunk, each aggregate's FILTER
// that has kernels: masks[ai][i] says row i passes. Aggregates without a
// filter, or whose filter has no kernels, get nil: their filter is
// evaluated row by row. So does a filter whose kernels fail (an
// overflow, say) on some row: the local phase skips rows (late ones)
// whose failure must not fail the chunk.
func (h *HashAgg) filterMasks(c *Chunk) [][]bool {
	masks := make([][]bool, len(h.Aggs))
	var sel []int
	for ai, fv := range h.filterVecs {
		if fv == nil {
			continue
		}
		if same := h.sameFilter(ai); same >= 0 {
			masks[ai] = masks[same] // one condition, shared by aggregates
			continue
		}
		if sel == nil {
			sel = allRows(c)
		}
		v, err := fv.eval(c, sel)
		if err != nil {
			continue
		}
		m := make([]bool, c.Len())
		for j, r := range sel {
			m[r] = !v.isNull(j) && v.b[v.at(j)]
		}
		masks[ai] = m
	}
	return masks
}

// sameFilter is the first aggregate before ai with ai's FILTER condition
// (the same expression: the engine compiles a condition once), or -1.
func (h *HashAgg) sameFilter(ai int) int {
	for j := 0; j < ai; j++ {
		if h.Aggs[j].Filter == h.Aggs[ai].Filter {
			return j
		}
	}
	return -1
}

// partialSlab hands out a chunk's partials from blocks of size, with
// their aggregates' and group values' slices: a few allocations per
// block instead of four per group.
type partialSlab struct {
	size, aggs, vals int
	ps               []partial
	as               []aggPartial
	vs               []types.Datum
}

func (s *partialSlab) next(key []byte, vals []types.Datum, end int64) *partial {
	if len(s.ps) == cap(s.ps) {
		s.ps = make([]partial, 0, s.size)
		s.as = make([]aggPartial, 0, s.size*s.aggs)
		s.vs = make([]types.Datum, 0, s.size*s.vals)
	}
	a, v := len(s.as), len(s.vs)
	s.as = s.as[:a+s.aggs]
	s.vs = append(s.vs, vals...)
	s.ps = append(s.ps, partial{key: append([]byte(nil), key...), vals: s.vs[v:len(s.vs):len(s.vs)], end: end, aggs: s.as[a:len(s.as):len(s.as)]})
	return &s.ps[len(s.ps)-1]
}

// global is the second phase for one group: merge its partial into state
// and append the output change the policy calls for.
func (h *HashAgg) global(p *partial, cb *ChunkBuilder) error {
	// The view holds the group's current row unless it is an open window
	// under EMIT ON WINDOW CLOSE: only then is the old row needed.
	correct := !h.EmitOnClose || h.WindowGroup >= 0 && h.policy().Closed(p.end, h.wm.v)
	g, err := h.load(p.key, p.vals, correct)
	if err != nil {
		return err
	}
	g.count += p.rows
	if g.count < 0 {
		return types.Errorf(types.CodeDataCorrupted, "aggregate group has a negative row count: a retraction arrived for a row never inserted")
	}
	for ai := range h.Aggs {
		if err := h.merge(g, ai, &p.aggs[ai]); err != nil {
			return err
		}
	}
	for fi := range h.families {
		if err := h.mergeFamily(g, p, &h.families[fi]); err != nil {
			return err
		}
	}
	return h.settle(g, correct, cb)
}

// settle appends the output change of a group the global phase changed,
// as the policy calls for (correct: the view holds its current row), and
// saves it.
func (h *HashAgg) settle(g *groupState, correct bool, cb *ChunkBuilder) error {
	alive := g.count > 0 || h.Scalar()
	switch {
	case correct:
		var now []types.Datum
		if alive {
			now = h.output(h.nowBuf, g)
			h.nowBuf = now
		}
		emitDiff(cb, g.old, now)
	case h.EarlyFire && !alive:
		// The group vanished before its window closed (a session merged
		// away, a retraction): take back its provisional row now.
		prov, err := h.provisional(g.key)
		if err != nil {
			return err
		}
		if prov != nil {
			cb.Append(Delete, prov)
			if err := h.State.Store.Delete(h.ValuesID, provisionalKey(g.key)); err != nil {
				return err
			}
		}
	}
	return h.save(g)
}

// merge folds aggregate ai's partial into the group's accumulator.
func (h *HashAgg) merge(g *groupState, ai int, ap *aggPartial) error {
	if h.inFamily(ai) {
		return nil // mergeFamily's
	}
	a := &h.Aggs[ai]
	acc := &g.accs[ai]
	n, _ := acc[0].(int64)
	if h.usesMultiset(a) {
		keys := make([]string, 0, len(ap.vals))
		for k, d := range ap.vals {
			if d.d != 0 {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		var gone []types.Datum
		for _, k := range keys {
			d := ap.vals[k]
			before, after, err := h.bumpValue(g.key, ai, a.Arg.Type(), []byte(k), d.v, d.d)
			if err != nil {
				return err
			}
			if a.Distinct {
				sign := int64(0)
				switch {
				case before == 0 && after > 0:
					sign = 1
				case before > 0 && after == 0:
					sign = -1
				}
				if sign == 0 {
					continue
				}
				n += sign
				if a.Func == "sum" || a.Func == "avg" {
					s, err := addAcc(acc[1], d.v, sign, h.accType(*a))
					if err != nil {
						return err
					}
					acc[1] = s
				}
			} else {
				n += after - before
			}
			if a.Func == "min" || a.Func == "max" {
				switch {
				case after > 0 && (acc[1] == nil || better(a.Func, d.v, acc[1])):
					acc[1] = d.v
				case after == 0:
					gone = append(gone, d.v)
				}
			}
		}
		for _, v := range gone {
			if acc[1] != nil && types.Compare(v, acc[1]) == 0 {
				ext, err := h.extreme(g.key, ai, *a)
				if err != nil {
					return err
				}
				acc[1] = ext
				break
			}
		}
	} else {
		n += ap.n
		switch a.Func {
		case "sum", "avg":
			if ap.sum != nil {
				s, err := addAcc(acc[1], ap.sum, 1, h.accType(*a))
				if err != nil {
					return err
				}
				acc[1] = s
			}
		case "min", "max":
			if ap.ext != nil && (acc[1] == nil || better(a.Func, ap.ext, acc[1])) {
				acc[1] = ap.ext
			}
		}
	}
	acc[0] = n
	if n == 0 {
		acc[1] = nil
	}
	return nil
}

// fastGroupKeys reads group keys straight from Arrow arrays, for group
// expressions that are plain columns of common types; the bytes equal
// appendGroupKey's.
type fastGroupKeys struct {
	window *array.Timestamp // the window column, when windowed
	order  []func(buf []byte, i int) []byte
}

func (h *HashAgg) fastKeys(c *Chunk) *fastGroupKeys {
	f := &fastGroupKeys{}
	reader := func(g Expr) func([]byte, int) []byte {
		cr, ok := g.(*ColRef)
		if !ok || cr.Idx >= len(c.Types) {
			return nil
		}
		switch a := c.Rec.Column(cr.Idx).(type) {
		case *array.Timestamp:
			return func(buf []byte, i int) []byte {
				if a.IsNull(i) {
					return encoding.AppendNull(buf)
				}
				return encoding.AppendInt(buf, int64(a.Value(i)))
			}
		case *array.Int64:
			return func(buf []byte, i int) []byte {
				if a.IsNull(i) {
					return encoding.AppendNull(buf)
				}
				return encoding.AppendInt(buf, a.Value(i))
			}
		case *array.Int32:
			return func(buf []byte, i int) []byte {
				if a.IsNull(i) {
					return encoding.AppendNull(buf)
				}
				return encoding.AppendInt(buf, int64(a.Value(i)))
			}
		case *array.String:
			return func(buf []byte, i int) []byte {
				if a.IsNull(i) {
					return encoding.AppendNull(buf)
				}
				return encoding.AppendString(buf, a.Value(i))
			}
		}
		return nil
	}
	if h.WindowGroup >= 0 {
		cr, ok := h.Groups[h.WindowGroup].(*ColRef)
		if !ok || cr.Idx >= len(c.Types) {
			return nil
		}
		if f.window, ok = c.Rec.Column(cr.Idx).(*array.Timestamp); !ok {
			return nil
		}
		r := reader(h.Groups[h.WindowGroup])
		f.order = append(f.order, r)
	}
	for j, g := range h.Groups {
		if j == h.WindowGroup {
			continue
		}
		r := reader(g)
		if r == nil {
			return nil
		}
		f.order = append(f.order, r)
	}
	return f
}
