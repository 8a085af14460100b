package exec

// Union interleaves the changes of its inputs, which have the same
// columns. Its watermark is the least of its timed inputs'; timer firings
// pass on from input 0 only, since every input receives them.
type Union struct {
	wms sideWatermarks
}

// NewUnion makes a union of inputs whose timed flags say which deliver
// watermarks.
func NewUnion(timed []bool) *Union { return &Union{wms: newSideWatermarks(timed)} }

// ProcessSide implements Combiner.
func (u *Union) ProcessSide(side int, m Message) ([]Message, error) {
	switch {
	case m.Chunk != nil:
		// Borrowed from the input for this push, which is synchronous.
		return []Message{m}, nil
	case m.Watermark != nil:
		if wm, ok := u.wms.observe(side, *m.Watermark); ok {
			return []Message{{Watermark: &wm}}, nil
		}
		return nil, nil
	case m.Fire && side == 0:
		return []Message{m}, nil
	}
	return nil, nil
}
