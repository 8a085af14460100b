package windowing

// TumbleStart is the start of the tumbling window of the given size and
// offset (microseconds) that holds ts: windows are [start, start+size),
// aligned to the Unix epoch plus offset.
func TumbleStart(ts, size, offset int64) int64 {
	d := ts - offset
	q := d / size
	if d%size < 0 {
		q--
	}
	return q*size + offset
}
