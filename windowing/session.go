package windowing

// Span is a window's extent, [Start, End) in microseconds.
type Span struct{ Start, End int64 }

// Sessions splits event times, sorted ascending, into session windows with
// the given gap: a session spans [first row's time, last row's time +
// gap), and a row that falls inside or touches a session's span (its time
// is at most the span's end) extends it. Consecutive times more than gap
// apart start a new session. It appends one span per session to buf.
func Sessions(buf []Span, sorted []int64, gap int64) []Span {
	for i, ts := range sorted {
		if i > 0 && ts <= buf[len(buf)-1].End {
			buf[len(buf)-1].End = max(buf[len(buf)-1].End, ts+gap)
			continue
		}
		buf = append(buf, Span{Start: ts, End: ts + gap})
	}
	return buf
}

// Touches reports whether a row at ts joins the session s.
func (s Span) Touches(ts, gap int64) bool { return ts <= s.End && ts+gap >= s.Start }
