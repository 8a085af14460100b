package planner

import (
	"fmt"
	"strings"
	"time"
)

// Explain renders the plan, one operator per line with what it emits,
// source last; the first line says what the view's output carries.
func (p *Plan) Explain() string {
	var lines []string
	for i := len(p.Steps) - 1; i >= 0; i-- {
		var line string
		switch s := p.Steps[i].(type) {
		case *FilterStep:
			line = "Filter"
		case *ProjectStep:
			line = fmt.Sprintf("Project (%d columns)", len(s.Exprs))
		case *TumbleStep:
			line = fmt.Sprintf("Tumble (size %s, offset %s)", Duration(s.Size), Duration(s.Offset))
		case *HopStep:
			line = fmt.Sprintf("Hop (size %s, slide %s, offset %s)", Duration(s.Size), Duration(s.Slide), Duration(s.Offset))
		case *SessionStep:
			line = fmt.Sprintf("SessionWindow (gap %s, %d key columns)", Duration(s.Gap), len(s.Keys))
		case *AggStep:
			line = fmt.Sprintf("HashAgg (%d groups, %d aggregates, two-phase, emit %s)", len(s.Groups), len(s.Aggs), p.emitText(s))
		case *SortStep:
			line = "Sort"
		case *LimitStep:
			line = fmt.Sprintf("Limit %d offset %d", s.Count, s.Offset)
		}
		if i < len(p.Edges) {
			line += " emits " + p.Edges[i].String()
		}
		lines = append(lines, line)
	}
	if p.Source != nil {
		lines = append(lines, fmt.Sprintf("Scan %s %s emits %s", p.Source.Kind, p.Source.Name, p.SourceEmits))
	} else {
		lines = append(lines, "Values")
	}
	for i := range lines {
		lines[i] = strings.Repeat("  ", i) + "-> " + lines[i]
	}
	return fmt.Sprintf("Output: %s\n%s", p.outputText(), strings.Join(lines, "\n"))
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
