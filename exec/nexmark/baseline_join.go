package nexmark

// The join queries. Person and auction ids are consecutive, so the
// largest id seen tells whether an id has arrived yet; a row that refers
// to one that has not waits in a pending map until it does.

// q3: category-10 auctions whose seller lives in OR, ID or CA.
type q3 struct {
	sink
	lastPerson int64             // largest person id seen
	people     map[int64]*Person // the sellers that qualify
	pending    map[int64][]int64 // seller -> category-10 auctions waiting for them
}

func newQ3(Config) Baseline {
	return &q3{lastPerson: firstPersonID - 1, people: map[int64]*Person{}, pending: map[int64][]int64{}}
}

func (q *q3) Add(ev *Event) {
	switch {
	case ev.Person != nil:
		p := ev.Person
		q.lastPerson = p.ID
		waiting := q.pending[p.ID]
		delete(q.pending, p.ID)
		if p.State != "OR" && p.State != "ID" && p.State != "CA" {
			return
		}
		q.people[p.ID] = p
		for _, a := range waiting {
			q.out(p, a)
		}
	case ev.Auction != nil && ev.Auction.Category == 10:
		a := ev.Auction
		if a.Seller > q.lastPerson {
			q.pending[a.Seller] = append(q.pending[a.Seller], a.ID)
		} else if p, ok := q.people[a.Seller]; ok {
			q.out(p, a.ID)
		}
	}
}

func (q *q3) out(p *Person, auction int64) {
	q.emit(int64(len(p.Name)), int64(len(p.City)), int64(len(p.State)), auction)
}

// interval is an auction's bidding interval and the best bid in it so
// far, for q4 and q9.
type interval struct {
	from, to, category int64
	best               *Bid // the highest price, earliest first; nil before a bid
}

// auctionIntervals keeps every auction's interval. A bid matches its
// auction when it falls in the interval; bids that arrive before their
// auction do not (their time is before the auction's).
type auctionIntervals map[int64]*interval

// add records an auction or applies a bid, reporting the bid's interval
// when the bid became its best.
func (m auctionIntervals) add(ev *Event) {
	if a := ev.Auction; a != nil {
		m[a.ID] = &interval{from: a.DateTime, to: a.Expires, category: a.Category}
		return
	}
	b := ev.Bid
	if b == nil {
		return
	}
	iv, ok := m[b.Auction]
	if !ok || b.DateTime < iv.from || b.DateTime > iv.to {
		return
	}
	// Bids arrive in time order, so an equal price never beats the best.
	if iv.best == nil || b.Price > iv.best.Price {
		iv.best = b
	}
}

// winners is q4 (perCategory: the average winning price per category)
// and q9 (each auction with its winning bid).
type winners struct {
	sink
	perCategory bool
	auctions    auctionIntervals
}

func newQ4(Config) Baseline { return &winners{perCategory: true, auctions: auctionIntervals{}} }
func newQ9(Config) Baseline { return &winners{auctions: auctionIntervals{}} }

func (q *winners) Add(ev *Event) { q.auctions.add(ev) }

func (q *winners) Rows() int64 {
	var sum, n [15]int64
	for id, iv := range q.auctions {
		switch b := iv.best; {
		case b == nil:
		case q.perCategory:
			sum[iv.category] += b.Price
			n[iv.category]++
		default:
			q.emit(id, b.Bidder, b.Price, b.DateTime)
		}
	}
	for c := range n {
		if n[c] > 0 {
			q.emit(int64(c), sum[c]/n[c])
		}
	}
	return q.rows
}

// q20: bids joined with their auction, for category-10 auctions.
type q20 struct {
	sink
	lastAuction int64
	auctions    map[int64]*Auction // the category-10 ones
	pending     map[int64][]*Bid   // auction -> bids that came before it
}

func newQ20(Config) Baseline {
	return &q20{lastAuction: firstAuction - 1, auctions: map[int64]*Auction{}, pending: map[int64][]*Bid{}}
}

func (q *q20) Add(ev *Event) {
	switch {
	case ev.Auction != nil:
		a := ev.Auction
		q.lastAuction = a.ID
		waiting := q.pending[a.ID]
		delete(q.pending, a.ID)
		if a.Category != 10 {
			return
		}
		q.auctions[a.ID] = a
		for _, b := range waiting {
			q.out(b, a)
		}
	case ev.Bid != nil:
		b := ev.Bid
		if b.Auction > q.lastAuction {
			q.pending[b.Auction] = append(q.pending[b.Auction], b)
		} else if a, ok := q.auctions[b.Auction]; ok {
			q.out(b, a)
		}
	}
}

func (q *q20) out(b *Bid, a *Auction) {
	q.emit(b.Auction, b.Bidder, b.Price, int64(len(b.Channel)+len(b.URL)), b.DateTime, int64(len(b.Extra)),
		int64(len(a.ItemName)+len(a.Description)), a.InitialBid, a.Reserve, a.DateTime, a.Expires, a.Seller, a.Category, int64(len(a.Extra)))
}
