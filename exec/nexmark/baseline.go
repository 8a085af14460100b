package nexmark

import "sort"

// Baselines: each SPEC query written by hand as a single-purpose Go loop
// over the generated events (plain maps and slices, no Weir operators), so
// a benchmark can say how far Weir's incremental dataflows are from what
// one purpose-built function does with the same events on the same
// machine. They are what an engineer would write for one query, not
// general engines: they exploit what the generator guarantees (events in
// id order, so event time never goes back; person and auction ids
// consecutive), compute every output column (output rows are counted and
// folded into a checksum, not stored), and keep only the state the query
// needs. Rows is the number of rows the query's result holds once every
// event is in — Weir's view must hold as many, which makes the baselines a
// cross-check of the benchmark as well.

// A Baseline is one query's hand-written implementation. Add takes the
// events in id order; Rows may be called once, after the last.
type Baseline interface {
	Add(ev *Event)
	Rows() int64
}

// baselines makes each query's baseline.
var baselines = map[string]func(c Config) Baseline{
	"q0": newQ0, "q1": newQ1, "q2": newQ2, "q3": newQ3, "q4": newQ4, "q5": newQ5,
	"q7": newQ7, "q8": newQ8, "q9": newQ9, "q11": newQ11, "q12": newQ12,
	"q14": newQ14, "q15": newQ15, "q16": newQ16, "q17": newQ17, "q18": newQ18,
	"q19": newQ19, "q20": newQ20, "q21": newQ21, "q22": newQ22,
}

// NewBaseline returns query q's baseline ("q0" .. "q22") over events
// generated with c, and whether there is one.
func NewBaseline(q string, c Config) (Baseline, bool) {
	mk, ok := baselines[q]
	if !ok {
		return nil, false
	}
	return mk(c), true
}

// BaselineQueries lists the queries that have a baseline, in SPEC order.
func BaselineQueries() []string {
	out := make([]string, 0, len(baselines))
	for q := range baselines {
		out = append(out, q)
	}
	sort.Slice(out, func(i, j int) bool {
		if len(out[i]) != len(out[j]) {
			return len(out[i]) < len(out[j])
		}
		return out[i] < out[j]
	})
	return out
}

// Event-time units: microseconds.
const (
	second = int64(1_000_000)
	day    = 86_400 * second
)

// floorTo is t rounded down to a multiple of size (windows are aligned to
// the Unix epoch, as TUMBLE and HOP align them).
func floorTo(t, size int64) int64 {
	r := t % size
	if r < 0 {
		r += size
	}
	return t - r
}

// sink is a running checksum of output columns, so the compiler cannot
// drop the work that computes them.
type sink struct{ rows, sum int64 }

func (s *sink) emit(vals ...int64) {
	s.rows++
	for _, v := range vals {
		s.sum = s.sum*31 + v
	}
}

func (s *sink) Rows() int64 { return s.rows }
