package engine

import (
	"sort"

	"github.com/weir-db/weir/types"
)

// freshness keeps a view's latest visibility lags: for each source record
// applied, the time from its append to the log (when its writer was
// acknowledged) to the commit that made it visible in the view.
type freshness struct {
	lags  [freshnessSamples]int64 // milliseconds, a ring
	n     int                     // samples held
	next  int
	total int64 // records measured since start
}

// freshnessSamples is how many recent records the percentiles cover.
const freshnessSamples = 8192

func (f *freshness) add(lagMs int64) {
	f.lags[f.next] = max(lagMs, 0)
	f.next = (f.next + 1) % freshnessSamples
	f.n = min(f.n+1, freshnessSamples)
	f.total++
}

// percentiles returns the p50, p99 and largest of the held samples.
func (f *freshness) percentiles() (p50, p99, top int64, ok bool) {
	if f.n == 0 {
		return 0, 0, 0, false
	}
	s := append([]int64(nil), f.lags[:f.n]...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	at := func(q float64) int64 { return s[min(int(q*float64(len(s))), len(s)-1)] }
	return at(0.50), at(0.99), s[len(s)-1], true
}

// weir_catalog.view_freshness: per view, how long its latest records took
// from acknowledgement to visibility.
func init() {
	registerSystemTable(&systemTable{
		name: "weir_catalog.view_freshness", oid: 16203,
		cols: cols("view_name", types.TText, "records", types.TInt8, "samples", types.TInt4,
			"p50_ms", types.TInt8, "p99_ms", types.TInt8, "max_ms", types.TInt8),
		rows: freshnessRows,
	})
}

func freshnessRows(sc *systemCtx) ([][]types.Datum, error) {
	var out [][]types.Datum
	for _, f := range sc.e.flowsByName() {
		f.mu.Lock()
		p50, p99, top, ok := f.freshness.percentiles()
		n, total := f.freshness.n, f.freshness.total
		f.mu.Unlock()
		row := []types.Datum{f.view.Name, total, int64(n), nil, nil, nil}
		if ok {
			row[3], row[4], row[5] = p50, p99, top
		}
		out = append(out, row)
	}
	return out, nil
}
