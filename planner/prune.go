package planner

import "github.com/weir-db/weir/sql"

// pruneSourceColumns records, on every plan that scans a stream, which of
// the stream's columns the view reads at all (Plan.SourceCols). The
// runtime decodes only those; the others travel as NULLs, so exchanges
// copy, and joins and top-N store, no bytes for them (a Nexmark bid's
// url and extra, say). Column positions do not change, so no step needs
// rewriting.
//
// Only append-only scans are pruned: a changelog's retraction must match
// the row its insert stored, and state written before this analysis
// existed (or changed) holds whole rows. A view that routes late rows
// into a stream keeps every column, since the late rows carry them all.
func pruneSourceColumns(root *Plan) {
	if root.Late != nil {
		return
	}
	all := make([]bool, len(root.Cols))
	for i := range all {
		all[i] = true
	}
	pruneNeeds(root, all)
}

// pruneNeeds takes the columns of p's output that are read downstream and
// passes what p's input must supply down to its sources.
func pruneNeeds(p *Plan, need []bool) {
	widths := make([]int, len(p.Steps)+1)
	widths[0] = inputWidth(p)
	for i, s := range p.Steps {
		widths[i+1] = stepWidth(s, widths[i])
	}
	if len(need) != widths[len(p.Steps)] {
		return // widths not understood: prune nothing below
	}
	for i := len(p.Steps) - 1; i >= 0; i-- {
		if h, ok := p.Steps[i].(*HopStep); ok && p.inputEmits(i) == AppendOnly {
			// Rows that are never retracted: dropping columns nothing
			// reads cannot unmatch a retraction from the row stored.
			h.Keep = append([]bool(nil), need...)
		}
		need = stepNeeds(p.Steps[i], need, widths[i])
		if need == nil {
			return
		}
	}
	switch {
	case p.Source != nil:
		if p.SourceEmits == AppendOnly && p.Source.Kind == sql.RelStream {
			p.SourceCols = need
		}
	case p.Join != nil:
		j := p.Join
		lw, rw := outWidth(j.Left), outWidth(j.Right)
		if lw < 0 || rw < 0 {
			return
		}
		left, right := make([]bool, lw), make([]bool, rw)
		for i, n := range need {
			switch {
			case !n:
			case i < lw:
				left[i] = true
			case i-lw < rw:
				right[i-lw] = true
			}
		}
		for _, k := range j.LeftKeys {
			left[k] = true
		}
		for _, k := range j.RightKeys {
			right[k] = true
		}
		sql.WalkExpr(j.Cond, func(e sql.Expr) bool {
			if c, ok := e.(*sql.ColRef); ok {
				if c.Idx < lw {
					left[c.Idx] = true
				} else if c.Idx-lw < rw {
					right[c.Idx-lw] = true
				}
			}
			return true
		})
		sides := [2][]bool{left, right}
		for s, x := range j.Expire {
			if x != nil {
				sides[s][x.Col] = true
				sides[1-s][x.OtherCol] = true
			}
		}
		pruneNeeds(j.Left, left)
		pruneNeeds(j.Right, right)
	default:
		for _, u := range p.Union {
			pruneNeeds(u, append([]bool(nil), need...))
		}
	}
}

// inputWidth is how many columns p's input (source, join or union)
// supplies, -1 when unknown.
func inputWidth(p *Plan) int {
	switch {
	case p.Source != nil:
		return len(p.Source.Columns)
	case p.Values != nil:
		return -1
	case p.Join != nil:
		if p.Join.Kind == Semi || p.Join.Kind == Anti {
			return outWidth(p.Join.Left)
		}
		return outWidth(p.Join.Left) + outWidth(p.Join.Right)
	case len(p.Union) > 0:
		return outWidth(p.Union[0])
	}
	return -1
}

// outWidth is how many columns p outputs, -1 when unknown.
func outWidth(p *Plan) int {
	w := inputWidth(p)
	for _, s := range p.Steps {
		w = stepWidth(s, w)
	}
	return w
}

// stepWidth is how many columns step s outputs from w input columns.
func stepWidth(s Step, w int) int {
	if w < 0 {
		return -1
	}
	switch s := s.(type) {
	case *ProjectStep:
		return len(s.Exprs)
	case *TumbleStep, *HopStep, *SessionStep:
		return w + 2
	case *AggStep:
		return len(s.Groups) + len(s.Aggs)
	case *TopNStep:
		if s.Func != "" {
			return w + 1
		}
		return w
	case *FilterStep, *ExchangeStep:
		return w
	}
	return -1
}

// stepNeeds is what step s needs of its w input columns to produce the
// output columns in need; nil when s is not understood (then nothing
// below it is pruned).
func stepNeeds(s Step, need []bool, w int) []bool {
	in := make([]bool, w)
	mark := func(e sql.Expr) {
		sql.WalkExpr(e, func(e sql.Expr) bool {
			if c, ok := e.(*sql.ColRef); ok && c.Idx < w {
				in[c.Idx] = true
			}
			return true
		})
	}
	passThrough := func() {
		copy(in, need[:min(w, len(need))])
	}
	switch s := s.(type) {
	case *FilterStep:
		passThrough()
		mark(s.Cond)
	case *ExchangeStep:
		passThrough()
		for _, k := range s.Keys {
			mark(k)
		}
	case *ProjectStep:
		// Every expression is evaluated, used or not, so its columns must
		// hold real values (a NULL could hide an error), except a bare
		// column no one reads, which only travels on.
		for i, e := range s.Exprs {
			if _, ok := e.(*sql.ColRef); ok && i < len(need) && !need[i] {
				continue
			}
			mark(e)
		}
	case *TumbleStep:
		passThrough()
		in[s.TimeCol] = true
	case *HopStep:
		passThrough()
		in[s.TimeCol] = true
	case *SessionStep:
		passThrough()
		in[s.TimeCol] = true
		for _, k := range s.Keys {
			in[k] = true
		}
	case *AggStep:
		if s.Hop != nil {
			in[s.Hop.TimeCol] = true
		}
		for _, g := range s.Groups {
			mark(g)
		}
		for _, a := range s.Aggs {
			for _, x := range a.Args {
				mark(x)
			}
			mark(a.Filter)
		}
	case *TopNStep:
		passThrough()
		for _, e := range s.Partition {
			mark(e)
		}
		for _, o := range s.Order {
			mark(o.E)
		}
	default:
		return nil
	}
	return in
}

// inputEmits is what step i of p receives (Retracting when unknown).
func (p *Plan) inputEmits(i int) Emits {
	switch {
	case i == 0:
		return p.SourceEmits
	case i > len(p.Edges):
		return Retracting
	}
	return p.Edges[i-1]
}
