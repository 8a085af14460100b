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
	// groups caches groups without a window.
	groups map[string]*groupState
	// windows maps a window column value to its live groups, cached or
	// not; order lists those values ascending; cachedN counts the cached
	// groups of all windows. Built by one scan on first use. A window's
	// groups go with it when it expires: no group is dropped one by one.
	windows map[int64]*windowGroups
	order   []int64
	cachedN int
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

// windowGroups is one window's live groups by key: the group when it is
// cached, nil when it is only known to exist.
type windowGroups struct {
	keys   map[string]*groupState
	cached int
}

// defaultCacheGroups bounds the group cache when CacheGroups is 0.
const defaultCacheGroups = 1 << 17

func (h *HashAgg) cacheLimit() int {
	if h.CacheGroups > 0 {
		return h.CacheGroups
	}
	return defaultCacheGroups
}

// cached finds a group in memory: the group if it is cached, and whether
// it is known to be absent from state (only the window index knows).
func (h *HashAgg) cached(key []byte) (g *groupState, absent bool, err error) {
	if w, ok := h.windowOfKey(key); ok {
		if err := h.ensureIndex(); err != nil {
			return nil, false, err
		}
		g, live := h.hot.windows[w].lookup(key)
		return g, !live, nil
	}
	return h.hot.groups[string(key)], false, nil
}

func (wg *windowGroups) lookup(key []byte) (*groupState, bool) {
	if wg == nil {
		return nil, false
	}
	g, live := wg.keys[string(key)]
	return g, live
}

// windowOfKey decodes the window of a group key of a windowed
// aggregation (false: not windowed, or a NULL window).
func (h *HashAgg) windowOfKey(key []byte) (int64, bool) {
	if h.WindowGroup < 0 {
		return 0, false
	}
	return windowOf(key)
}

// cache keeps g, which exists in state, in memory.
func (h *HashAgg) cache(g *groupState) {
	if g.cached {
		return
	}
	if w, ok := h.windowOfKey(g.key); ok {
		if h.hot.cachedN >= h.cacheLimit() {
			// Over budget: forget every cached group (the index keeps
			// their keys). State is in the table; the cache only saves
			// reads.
			for _, wg := range h.hot.windows {
				for k, old := range wg.keys {
					if old != nil {
						old.cached = false
						wg.keys[k] = nil
					}
				}
				wg.cached = 0
			}
			h.hot.cachedN = 0
		}
		h.indexAdd(w, g.key).keys[string(g.key)] = g
		h.hot.windows[w].cached++
		h.hot.cachedN++
		g.cached = true
		return
	}
	if h.hot.groups == nil {
		h.hot.groups = map[string]*groupState{}
	}
	if len(h.hot.groups) >= h.cacheLimit() {
		for _, old := range h.hot.groups {
			old.cached = false
		}
		h.hot.groups = map[string]*groupState{}
	}
	h.hot.groups[string(g.key)] = g
	g.cached = true
}

// forget drops g, which no longer exists, from memory.
func (h *HashAgg) forget(g *groupState) {
	defer func() { g.cached = false }()
	w, ok := h.windowOfKey(g.key)
	if !ok {
		if g.cached {
			delete(h.hot.groups, string(g.key))
		}
		return
	}
	wg := h.hot.windows[w]
	if wg == nil {
		return
	}
	if old, live := wg.keys[string(g.key)]; live {
		if old != nil {
			wg.cached--
			h.hot.cachedN--
		}
		delete(wg.keys, string(g.key))
	}
	if len(wg.keys) == 0 {
		h.indexDropWindow(w)
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
	h.hot.windows, h.hot.order, h.hot.cachedN = map[int64]*windowGroups{}, nil, 0
	err := h.State.Store.Scan(h.GroupsID, nil, func(k, _ []byte) error {
		if k[0] == 0xff {
			return errStopScan
		}
		if w, ok := windowOf(k); ok {
			h.indexAdd(w, k).keys[string(k)] = nil
		}
		return nil
	})
	if err != nil && err != errStopScan {
		return err
	}
	h.hot.indexed = true
	return nil
}

// indexAdd returns window w's groups, adding the window if new (key is
// one of its groups, for the caller to add).
func (h *HashAgg) indexAdd(w int64, key []byte) *windowGroups {
	wg := h.hot.windows[w]
	if wg == nil {
		wg = &windowGroups{keys: map[string]*groupState{}}
		h.hot.windows[w] = wg
		i := sort.Search(len(h.hot.order), func(i int) bool { return h.hot.order[i] >= w })
		h.hot.order = append(h.hot.order, 0)
		copy(h.hot.order[i+1:], h.hot.order[i:])
		h.hot.order[i] = w
	}
	return wg
}

// windowKeys lists a window's group keys, in key order when ordered.
func (h *HashAgg) windowKeys(w int64, ordered bool) []string {
	wg := h.hot.windows[w]
	if wg == nil {
		return nil
	}
	keys := make([]string, 0, len(wg.keys))
	for k := range wg.keys {
		keys = append(keys, k)
	}
	if ordered {
		sort.Strings(keys)
	}
	return keys
}

// indexDropWindow forgets window w and its groups.
func (h *HashAgg) indexDropWindow(w int64) {
	if wg := h.hot.windows[w]; wg != nil {
		for _, g := range wg.keys {
			if g != nil {
				g.cached = false
			}
		}
		h.hot.cachedN -= wg.cached
	}
	delete(h.hot.windows, w)
	i := sort.Search(len(h.hot.order), func(i int) bool { return h.hot.order[i] >= w })
	if i < len(h.hot.order) && h.hot.order[i] == w {
		h.hot.order = append(h.hot.order[:i], h.hot.order[i+1:]...)
	}
}
