package exec

import (
	"errors"
	"sort"

	"github.com/weir-db/weir/types"
)

// Over append-only input a DISTINCT aggregate's multiset only records
// which values it has seen. DISTINCT aggregates over one argument (q15
// and q16 count distinct bidders four times, under different FILTERs)
// then share one entry per value: under the first member's key (group key
// 0xfe agg value), a mask of the members that have seen it, then the
// value. A value new to several members is read and written once, not
// once per member.
//
// The layout is chosen when the operator first runs and recorded in
// GroupsID (sharedValuesKey). Without the marker, an operator that holds
// values already stored them one entry per aggregate and keeps doing so.

// distinctFamily is the DISTINCT aggregates over one argument; bit i of an
// entry's mask is members[i].
type distinctFamily struct {
	leader  int
	members []int
}

var sharedValuesKey = []byte{0xff, 'v', 's'}

// maxFamily bounds a family: masks are positive int64s.
const maxFamily = 63

// loadFamilies chooses the value layout on the operator's first run and
// finds the families.
func (h *HashAgg) loadFamilies() error {
	if h.familiesLoaded {
		return nil
	}
	h.families, h.familyOf = nil, nil
	cands := h.distinctFamilies()
	if len(cands) > 0 {
		shared, err := h.sharesValues()
		if err != nil {
			return err
		}
		if shared {
			h.families = cands
			h.familyOf = make([]int, len(h.Aggs))
			for ai := range h.familyOf {
				h.familyOf[ai] = -1
			}
			for fi, f := range cands {
				for _, ai := range f.members {
					h.familyOf[ai] = fi
				}
			}
		}
	}
	h.familiesLoaded = true
	return nil
}

// distinctFamilies groups the DISTINCT aggregates by argument: those of
// two or more members.
func (h *HashAgg) distinctFamilies() []distinctFamily {
	if !h.AppendOnlyInput || h.Hop != nil || h.Session != nil || h.unshared {
		return nil
	}
	var fams []distinctFamily
	byArg := map[string]int{}
	for ai := range h.Aggs {
		a := &h.Aggs[ai]
		if !a.Distinct || !h.usesMultiset(a) || len(a.Order) > 0 {
			continue
		}
		arg, ok := exprKey(a.Arg)
		if !ok {
			continue
		}
		fi, ok := byArg[arg]
		if !ok || len(fams[fi].members) == maxFamily {
			fi = len(fams)
			byArg[arg] = fi
			fams = append(fams, distinctFamily{leader: ai})
		}
		fams[fi].members = append(fams[fi].members, ai)
	}
	out := fams[:0]
	for _, f := range fams {
		if len(f.members) > 1 {
			out = append(out, f)
		}
	}
	return out
}

// sharesValues reads the layout marker, or records it when the operator
// holds no values yet.
func (h *HashAgg) sharesValues() (bool, error) {
	s := h.State.Store
	switch _, err := s.Get(h.GroupsID, sharedValuesKey); {
	case err == nil:
		return true, nil
	case !errors.Is(err, ErrNotFound):
		return false, err
	}
	held := false
	err := s.Scan(h.ValuesID, nil, func(_, _ []byte) error {
		held = true
		return errStop
	})
	if err != nil && err != errStop {
		return false, err
	}
	if held {
		return false, nil
	}
	return true, s.Set(h.GroupsID, sharedValuesKey, nil)
}

// inFamily reports whether aggregate ai's values are merged by its
// family (mergeFamily), not by merge.
func (h *HashAgg) inFamily(ai int) bool { return h.familyOf != nil && h.familyOf[ai] >= 0 }

// mergeFamily folds the family's partials into the group: each value new
// to some members sets their bits in its entry, with one read and at
// most one write, and counts for those members.
func (h *HashAgg) mergeFamily(g *groupState, p *partial, f *distinctFamily) error {
	keys := h.familyKeys[:0]
	for _, ai := range f.members {
		for k, d := range p.aggs[ai].vals {
			if d.d < 0 {
				return types.Errorf(types.CodeInternalError, "aggregate declared over append-only input received a retraction")
			}
			if d.d > 0 {
				keys = append(keys, k)
			}
		}
	}
	sort.Strings(keys)
	h.familyKeys = keys
	for i, k := range keys {
		if i > 0 && keys[i-1] == k {
			continue
		}
		key := append(appendValuePrefix(h.valueKey[:0], g.key, f.leader), k...)
		h.valueKey = key
		mask, cached, err := h.valueAt(key)
		if err != nil {
			return err
		}
		now := mask
		var v types.Datum
		for bit, ai := range f.members {
			d := p.aggs[ai].vals[k]
			if d == nil || d.d == 0 || mask&(1<<bit) != 0 {
				continue
			}
			now |= 1 << bit
			v = d.v
			if err := h.countNew(g, ai, d.v); err != nil {
				return err
			}
		}
		switch {
		case now != mask:
			h.cacheValue(key, now)
			if err := h.writeValue(key, now, h.Aggs[f.leader].Arg.Type(), v, mask == 0); err != nil {
				return err
			}
		case !cached:
			h.cacheValue(key, mask)
		}
	}
	return nil
}

// countNew adds value v, new to DISTINCT aggregate ai, to its
// accumulator.
func (h *HashAgg) countNew(g *groupState, ai int, v types.Datum) error {
	a := &h.Aggs[ai]
	acc := &g.accs[ai]
	n, _ := acc[0].(int64)
	acc[0] = n + 1
	switch a.Func {
	case "sum", "avg":
		s, err := addAcc(acc[1], v, 1, h.accType(*a))
		if err != nil {
			return err
		}
		acc[1] = s
	case "min", "max":
		if acc[1] == nil || better(a.Func, v, acc[1]) {
			acc[1] = v
		}
	}
	return nil
}
