package nexmark

// Counting events by kind lets a consumer that landed each kind in its own
// place (one stream per kind, appended in id order) tell from how many
// events of each kind it holds exactly which event comes next for each.

// span is where kind k's ids sit among every 50 consecutive ids: n of
// them, from offset first.
func (k Kind) span() (first, n int64) {
	switch k {
	case PersonEvent:
		return 0, 1
	case AuctionEvent:
		return 1, 3
	}
	return 4, proportion - 4
}

// Count is how many events of kind k have ids in [0, n).
func (k Kind) Count(n int64) int64 {
	if n <= 0 {
		return 0
	}
	first, per := k.span()
	return n/proportion*per + min(max(n%proportion-first, 0), per)
}

// NthID is the id of the event of kind k that is the c-th of its kind
// (counting from 0): the next id of kind k after c of them.
func (k Kind) NthID(c int64) int64 {
	first, per := k.span()
	return c/per*proportion + first + c%per
}
