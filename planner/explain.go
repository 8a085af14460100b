package planner

import (
	"fmt"

	"github.com/weir-db/weir/sql"
	"strings"
	"time"
)

// Explain renders the plan, one operator per line with what it emits,
// inputs below the operator that reads them; the first line says what the
// view's output carries.
func (p *Plan) Explain() string {
	var lines []string
	p.explain(p, 0, &lines)
	return fmt.Sprintf("Output: %s\n%s", p.outputText(), strings.Join(lines, "\n"))
}

// explain appends q's lines at the given depth; p is the root.
func (p *Plan) explain(q *Plan, depth int, lines *[]string) {
	add := func(line string) {
		*lines = append(*lines, strings.Repeat("  ", depth)+"-> "+line)
		depth++
	}
	shared := 0
	for _, sh := range SharedRuns(p) {
		if sh.Drop == q {
			shared = sh.Steps
		}
	}
	for i := len(q.Steps) - 1; i >= shared; i-- {
		var line string
		switch s := q.Steps[i].(type) {
		case *FilterStep:
			line = "Filter " + exprText(s.Cond)
		case *ProjectStep:
			line = fmt.Sprintf("Project (%d columns)", len(s.Exprs))
		case *TumbleStep:
			line = fmt.Sprintf("Tumble (size %s, offset %s)", Duration(s.Size), Duration(s.Offset))
		case *HopStep:
			line = fmt.Sprintf("Hop (size %s, slide %s, offset %s%s)", Duration(s.Size), Duration(s.Slide), Duration(s.Offset), keptText(s.Keep))
		case *SessionStep:
			line = fmt.Sprintf("SessionWindow (gap %s, %d key columns; state: sessions)", Duration(s.Gap), len(s.Keys))
		case *AggStep:
			state := "groups"
			if s.keepsValues() {
				state += ", value counts"
			}
			over := ""
			if h := s.Hop; h != nil {
				over = fmt.Sprintf(", over HOP slices (size %s, slide %s, offset %s)", Duration(h.Size), Duration(h.Slide), Duration(h.Offset))
			}
			if ss := s.Session; ss != nil {
				over = fmt.Sprintf(", merging SESSION windows (gap %s, %d key columns)", Duration(ss.Gap), len(ss.Keys))
				state += ", sessions"
			}
			line = fmt.Sprintf("HashAgg (%d groups, %d aggregates, two-phase%s, emit %s; state: %s)", len(s.Groups), len(s.Aggs), over, p.emitText(s), state)
		case *TopNStep:
			line = topNText(s)
		case *ExchangeStep:
			line = exchangeText(s)
		case *SortStep:
			line = "Sort"
		case *LimitStep:
			line = fmt.Sprintf("Limit %d offset %d", s.Count, s.Offset)
		}
		if i < len(q.Edges) {
			line += " emits " + q.Edges[i].String()
		}
		add(line)
	}
	switch {
	case shared > 0:
		what := "step"
		if shared > 1 {
			what = fmt.Sprintf("%d steps", shared)
		}
		add(fmt.Sprintf("Shared: the first %s of an earlier input over %s, computed once", what, q.Source.Name))
	case q.Source != nil:
		reads := ""
		if q.SourceCols != nil {
			var names []string
			for i, c := range q.Source.Columns {
				if i < len(q.SourceCols) && q.SourceCols[i] {
					names = append(names, c.Name)
				}
			}
			switch {
			case len(names) == 0:
				reads = " reading no columns"
			case len(names) < len(q.Source.Columns):
				reads = " reading (" + strings.Join(names, ", ") + ")"
			}
		}
		add(fmt.Sprintf("Scan %s %s%s emits %s", q.Source.Kind, q.Source.Name, reads, q.SourceEmits))
	case q.Join != nil:
		add(joinText(q.Join) + " emits " + q.SourceEmits.String())
		p.explain(q.Join.Left, depth, lines)
		p.explain(q.Join.Right, depth, lines)
	case q.Union != nil:
		add(fmt.Sprintf("Union (%d inputs) emits %s", len(q.Union), q.SourceEmits))
		for _, u := range q.Union {
			p.explain(u, depth, lines)
		}
	default:
		add("Values")
	}
}

func joinText(j *JoinInput) string {
	var keys []string
	for i, l := range j.LeftKeys {
		keys = append(keys, fmt.Sprintf("%s = %s", j.Left.Cols[l].Name, j.Right.Cols[j.RightKeys[i]].Name))
	}
	s := "HashJoin " + j.Kind.String()
	if j.Temporal {
		s = "LookupJoin " + j.Kind.String() + " (temporal)"
	}
	if len(keys) > 0 {
		s += " on (" + strings.Join(keys, ", ") + ")"
	}
	if j.Cond != nil {
		s += " with condition"
	}
	expiring := false
	for side, x := range j.Expire {
		if x == nil {
			continue
		}
		expiring = true
		in := [2]*Plan{j.Left, j.Right}
		s += fmt.Sprintf(", %s rows expire when %s passes %s + %s", [2]string{"left", "right"}[side], in[1-side].Cols[x.OtherCol].Name, in[side].Cols[x.Col].Name, Duration(x.Delta))
	}
	// A side whose rows expire keeps them in buckets of expiry time (sides
	// stored before buckets keep an expiry index); an upsert side keeps
	// them by its key (sides stored before keep whole rows).
	in := [2]*Plan{j.Left, j.Right}
	state := [2]string{"left rows", "right rows"}
	for side := range state {
		if key := j.Keyed[side]; key != nil {
			var names []string
			for _, c := range key {
				names = append(names, in[side].Cols[c].Name)
			}
			state[side] += " by (" + strings.Join(names, ", ") + ")"
		}
		if j.Expire[side] != nil && expiring {
			state[side] += " in expiry buckets"
		}
	}
	if j.Temporal {
		return s + " [state: " + state[1] + "]"
	}
	return s + " [state: " + state[0] + ", " + state[1] + "]"
}

func exchangeText(s *ExchangeStep) string {
	if len(s.Keys) == 0 {
		return "Exchange (single task)"
	}
	var keys []string
	for _, k := range s.Keys {
		switch c := k.(type) {
		case *sql.ColRef:
			if c.Name != "" {
				keys = append(keys, c.Name)
			} else {
				keys = append(keys, fmt.Sprintf("#%d", c.Idx))
			}
		default:
			keys = append(keys, sql.FormatExpr(k))
		}
	}
	return "Exchange (hash " + strings.Join(keys, ", ") + ")"
}

func topNText(t *TopNStep) string {
	s := fmt.Sprintf("TopN (%d partition columns, limit %d", len(t.Partition), t.Limit)
	if t.Offset > 0 {
		s += fmt.Sprintf(" offset %d", t.Offset)
	}
	if t.Func != "" {
		s += ", " + t.Func
	}
	if t.AppendOnlyInput {
		s += ", keeps top rows only"
	}
	if t.AppendOnlyInput && t.Offset+t.Limit == 1 && (t.Func == "row_number" || t.Func == "") {
		return s + "; state: one row per partition)"
	}
	return s + "; state: ranked rows)"
}

func (p *Plan) outputText() string {
	s := p.Emits.String()
	if p.Emits == Upsert {
		var names []string
		for _, k := range p.Key {
			if k < len(p.Cols) {
				names = append(names, p.Cols[k].Name)
			}
		}
		if len(names) == 0 {
			s += " (one row)"
		} else {
			s += " on (" + strings.Join(names, ", ") + ")"
		}
	}
	if p.Late != nil {
		s += "; late rows into " + p.Late.Into
	}
	return s
}

func (p *Plan) emitText(s *AggStep) string {
	if !s.EmitOnClose {
		return "on update"
	}
	out := "on window close"
	if p.Policy.EarlyEvery > 0 {
		out += ", early every " + Duration(p.Policy.EarlyEvery)
	}
	if s.AllowLateness > 0 {
		out += ", allow lateness " + Duration(s.AllowLateness)
	}
	return out
}

// Duration prints microseconds compactly (10s, 1m30s, 250ms).
func Duration(us int64) string {
	if us == 0 {
		return "0s"
	}
	return (time.Duration(us) * time.Microsecond).String()
}

// keptText says how many of a step's output columns it fills, when it
// leaves some NULL because nothing downstream reads them.
func keptText(keep []bool) string {
	n := 0
	for _, k := range keep {
		if k {
			n++
		}
	}
	if keep == nil || n == len(keep) {
		return ""
	}
	return fmt.Sprintf("; filling %d of %d columns", n, len(keep))
}
