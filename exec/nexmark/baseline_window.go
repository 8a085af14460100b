package nexmark

import "time"

// The windowed queries. Event time never goes back, so a window closes
// as soon as an event at or past its end arrives; the windows still open
// after the last event are closed by Rows, as a batch query over the same
// events would include them.

// q5: per 10 s window sliding by 2 s, the auctions with the most bids.
type q5 struct {
	sink
	open map[int64]map[int64]int64 // window start -> auction -> bids
}

const (
	q5Slide = 2 * second
	q5Size  = 10 * second
)

func newQ5(Config) Baseline { return &q5{open: map[int64]map[int64]int64{}} }

func (q *q5) Add(ev *Event) {
	b := ev.Bid
	if b == nil {
		return
	}
	q.closeBefore(b.DateTime)
	last := floorTo(b.DateTime, q5Slide)
	for ws := last - q5Size + q5Slide; ws <= last; ws += q5Slide {
		counts := q.open[ws]
		if counts == nil {
			counts = map[int64]int64{}
			q.open[ws] = counts
		}
		counts[b.Auction]++
	}
}

// closeBefore closes the windows that end at or before t.
func (q *q5) closeBefore(t int64) {
	for ws, counts := range q.open {
		if ws+q5Size > t {
			continue
		}
		var most int64
		for _, n := range counts {
			most = max(most, n)
		}
		for a, n := range counts {
			if n >= most {
				q.emit(a, n)
			}
		}
		delete(q.open, ws)
	}
}

func (q *q5) Rows() int64 {
	q.closeBefore(1 << 62)
	return q.rows
}

// q7: per 10 s tumbling window, the bids at its highest price. The join
// condition is BETWEEN window_end - 10 s AND window_end, both ends
// included, so a bid made exactly at a window's end (the first instant of
// the next) also matches that window's maximum.
type q7 struct {
	sink
	end      int64 // of the open window; 0 before the first bid
	maxPrice int64
	atMax    []*Bid
	prevEnd  int64 // the last closed window's end and maximum
	prevMax  int64
}

const q7Size = 10 * second

func newQ7(Config) Baseline { return &q7{} }

func (q *q7) Add(ev *Event) {
	b := ev.Bid
	if b == nil {
		return
	}
	if b.DateTime >= q.end {
		q.close()
		q.end = floorTo(b.DateTime, q7Size) + q7Size
	}
	if b.DateTime == q.prevEnd && b.Price == q.prevMax {
		q.emit(b.Auction, b.Price, b.Bidder, b.DateTime)
	}
	switch {
	case b.Price > q.maxPrice:
		q.maxPrice, q.atMax = b.Price, append(q.atMax[:0], b)
	case b.Price == q.maxPrice:
		q.atMax = append(q.atMax, b)
	}
}

func (q *q7) close() {
	if q.end == 0 {
		return
	}
	for _, b := range q.atMax {
		q.emit(b.Auction, b.Price, b.Bidder, b.DateTime)
	}
	q.prevEnd, q.prevMax = q.end, q.maxPrice
	q.maxPrice, q.atMax = 0, q.atMax[:0]
}

func (q *q7) Rows() int64 {
	q.close()
	return q.rows
}

// q8: people who opened an auction in the 10 s tumbling window they
// joined in.
type q8 struct {
	sink
	end     int64 // of the open window; 0 before the first event
	people  map[int64]string
	sellers map[int64]bool
}

func newQ8(Config) Baseline { return &q8{people: map[int64]string{}, sellers: map[int64]bool{}} }

func (q *q8) Add(ev *Event) {
	var t int64
	switch {
	case ev.Person != nil:
		t = ev.Person.DateTime
	case ev.Auction != nil:
		t = ev.Auction.DateTime
	default:
		return
	}
	if t >= q.end {
		q.close()
		q.end = floorTo(t, q7Size) + q7Size
	}
	if p := ev.Person; p != nil {
		q.people[p.ID] = p.Name
	} else {
		q.sellers[ev.Auction.Seller] = true
	}
}

func (q *q8) close() {
	for id, name := range q.people {
		if q.sellers[id] {
			q.emit(id, int64(len(name)), q.end-q7Size)
		}
	}
	clear(q.people)
	clear(q.sellers)
}

func (q *q8) Rows() int64 {
	q.close()
	return q.rows
}

// q11: per bidder, sessions of bids at most 10 s apart.
type q11 struct {
	sink
	open map[int64]*session // bidder -> their current session
}

type session struct{ start, last, bids int64 }

const q11Gap = 10 * second

func newQ11(Config) Baseline { return &q11{open: map[int64]*session{}} }

func (q *q11) Add(ev *Event) {
	b := ev.Bid
	if b == nil {
		return
	}
	s := q.open[b.Bidder]
	switch {
	case s == nil:
		q.open[b.Bidder] = &session{start: b.DateTime, last: b.DateTime, bids: 1}
	case b.DateTime-s.last > q11Gap:
		q.emit(b.Bidder, s.bids, s.start, s.last+q11Gap)
		*s = session{start: b.DateTime, last: b.DateTime, bids: 1}
	default:
		s.last = b.DateTime
		s.bids++
	}
}

func (q *q11) Rows() int64 {
	for bidder, s := range q.open {
		q.emit(bidder, s.bids, s.start, s.last+q11Gap)
	}
	clear(q.open)
	return q.rows
}

// q12: bids per bidder per 10 s window of processing time. The clock is
// read once per 1,024 bids (a dataflow reads it once per chunk); rows
// depend on how fast the events come, so no other run can check them.
type q12 struct {
	sink
	n      int64
	now    int64
	counts map[q12Key]int64
}

type q12Key struct{ bidder, window int64 }

func newQ12(Config) Baseline { return &q12{counts: map[q12Key]int64{}} }

func (q *q12) Add(ev *Event) {
	b := ev.Bid
	if b == nil {
		return
	}
	if q.n%1024 == 0 {
		q.now = time.Now().UnixMicro()
	}
	q.n++
	q.counts[q12Key{b.Bidder, floorTo(q.now, q7Size)}]++
}

func (q *q12) Rows() int64 {
	for k, n := range q.counts {
		q.emit(k.bidder, n, k.window)
	}
	return q.rows
}
