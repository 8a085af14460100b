package exec

import (
	"sort"

	"github.com/weir-db/weir/storage/encoding"
)

// hotState is what a HashAgg keeps in memory over its state tables: the
// groups it has read or written lately, decoded (a write-through cache,
// bounded by CacheGroups), and, for windowed aggregation, every live
// group key by window, so closing and purging windows and early firings
// need no scan of the state table (whose purged prefix is full of
// deletion markers). Both are rebuilt from committed state after Reset.
type hotState struct {
	groups map[string]*groupState
	// windows maps a window column value to the keys of its live groups;
	// order lists those values ascending. Built by one scan on first use.
	windows map[int64]map[string]struct{}
	order   []int64
	indexed bool
	// values caches value multiplicities (DISTINCT, min, max) by their
	// ValuesID key; 0 means known absent. Write-through, bounded like the
	// group cache.
	values map[string]int64
	// absent tells keys certainly not in the value multisets.
	absent absentFilter
	// newGroups tells group keys certainly not in the groups table, so a
	// new group (most of them, for keys like q4's auctions) is known
	// absent without a read. Windowed groups have the window index.
	newGroups absentFilter
}

// defaultCacheGroups bounds the group cache when CacheGroups is 0.
const defaultCacheGroups = 1 << 17

func (h *HashAgg) cacheLimit() int {
	if h.CacheGroups > 0 {
		return h.CacheGroups
	}
	return defaultCacheGroups
}

func (h *HashAgg) cached(key []byte) *groupState {
	return h.hot.groups[string(key)]
}

func (h *HashAgg) cache(g *groupState) {
	if h.hot.groups == nil {
		h.hot.groups = map[string]*groupState{}
	}
	if g.cached {
		return
	}
	if len(h.hot.groups) >= h.cacheLimit() {
		// Over budget: start again. State is in the table; the cache only
		// saves reads.
		for _, old := range h.hot.groups {
			old.cached = false
		}
		h.hot.groups = map[string]*groupState{}
	}
	h.hot.groups[string(g.key)] = g
	g.cached = true
}

func (h *HashAgg) uncache(key []byte) {
	if g := h.hot.groups[string(key)]; g != nil {
		g.cached = false
		delete(h.hot.groups, string(key))
	}
}

// windowOf decodes a group key's window column (false: NULL).
func windowOf(key []byte) (int64, bool) {
	k, i, _, _, _, err := encoding.Decode(key)
	if err != nil || k == encoding.KindNull {
		return 0, false
	}
	return i, true
}

// ensureIndex builds the window index from the state table once.
func (h *HashAgg) ensureIndex() error {
	if h.hot.indexed {
		return nil
	}
	h.hot.windows, h.hot.order = map[int64]map[string]struct{}{}, nil
	err := h.State.Store.Scan(h.GroupsID, nil, func(k, _ []byte) error {
		if k[0] == 0xff {
			return errStopScan
		}
		h.indexAdd(k)
		return nil
	})
	if err != nil && err != errStopScan {
		return err
	}
	h.hot.indexed = true
	return nil
}

func (h *HashAgg) indexAdd(key []byte) {
	w, ok := windowOf(key)
	if !ok {
		return
	}
	set := h.hot.windows[w]
	if set == nil {
		set = map[string]struct{}{}
		h.hot.windows[w] = set
		i := sort.Search(len(h.hot.order), func(i int) bool { return h.hot.order[i] >= w })
		h.hot.order = append(h.hot.order, 0)
		copy(h.hot.order[i+1:], h.hot.order[i:])
		h.hot.order[i] = w
	}
	set[string(key)] = struct{}{}
}

func (h *HashAgg) indexRemove(key []byte) {
	w, ok := windowOf(key)
	if !ok {
		return
	}
	set := h.hot.windows[w]
	delete(set, string(key))
	if len(set) == 0 && set != nil {
		delete(h.hot.windows, w)
		i := sort.Search(len(h.hot.order), func(i int) bool { return h.hot.order[i] >= w })
		if i < len(h.hot.order) && h.hot.order[i] == w {
			h.hot.order = append(h.hot.order[:i], h.hot.order[i+1:]...)
		}
	}
}

// indexed reports whether the window index knows the key exists.
func (h *HashAgg) indexHas(key []byte) bool {
	w, ok := windowOf(key)
	if !ok {
		return false
	}
	_, has := h.hot.windows[w][string(key)]
	return has
}

// windowKeys lists a window's group keys, in key order when ordered.
func (h *HashAgg) windowKeys(w int64, ordered bool) []string {
	set := h.hot.windows[w]
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	if ordered {
		sort.Strings(keys)
	}
	return keys
}

// indexDropWindow forgets window w and its groups.
func (h *HashAgg) indexDropWindow(w int64) {
	delete(h.hot.windows, w)
	i := sort.Search(len(h.hot.order), func(i int) bool { return h.hot.order[i] >= w })
	if i < len(h.hot.order) && h.hot.order[i] == w {
		h.hot.order = append(h.hot.order[:i], h.hot.order[i+1:]...)
	}
}
