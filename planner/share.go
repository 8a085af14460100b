package planner

import "reflect"

// Share is a run of steps two leaves of a plan compute identically: the
// same source, the same columns read, then the same first Steps steps
// (q5 counts bids per auction and HOP window in both of its inputs). The
// runtime computes the run once, in Keep's pipeline, and feeds its output
// to both continuations; Drop's copy of the run is not executed.
type Share struct {
	Keep, Drop *Plan
	Steps      int
}

// SharedRuns finds, for each pair of leaves over the same source, the
// longest run of leading steps they have in common, pairing each leaf at
// most once, left to right.
func SharedRuns(p *Plan) []Share {
	leaves := p.Leaves()
	used := make([]bool, len(leaves))
	var out []Share
	for i, a := range leaves {
		if used[i] {
			continue
		}
		for j := i + 1; j < len(leaves); j++ {
			b := leaves[j]
			if used[j] || a.Source.Name != b.Source.Name || a.SourceEmits != b.SourceEmits ||
				!reflect.DeepEqual(a.SourceCols, b.SourceCols) {
				continue
			}
			n := 0
			for n < len(a.Steps) && n < len(b.Steps) && reflect.DeepEqual(a.Steps[n], b.Steps[n]) &&
				reflect.DeepEqual(a.Edges[n], b.Edges[n]) {
				n++
			}
			if n == 0 {
				continue
			}
			used[i], used[j] = true, true
			out = append(out, Share{Keep: a, Drop: b, Steps: n})
			break
		}
	}
	return out
}
