package windowing

// HopStarts appends to buf the start of every HOP window holding ts, the
// latest first. Windows have length size, start at multiples of slide
// (plus offset) and are half-open, so a row at a window's end belongs to
// the next one only. Callers guarantee size and slide are positive; the
// binder rejects sizes that are not multiples of the slide, so every row
// is in exactly size/slide windows.
func HopStarts(buf []int64, ts, size, slide, offset int64) []int64 {
	for s := TumbleStart(ts, slide, offset); s > ts-size; s -= slide {
		buf = append(buf, s)
	}
	return buf
}
