package nexmark

import "sort"

// The unwindowed aggregations: per-day statistics, deduplication and
// top-N, each group's state in a map for as long as the run lasts (as the
// views keep it).

// priceRank is the FILTER bucket of a price: 0 below 10,000, 1 below
// 1,000,000, 2 above.
func priceRank(p int64) int {
	switch {
	case p < 10_000:
		return 0
	case p < 1_000_000:
		return 1
	}
	return 2
}

// dayStats is q15's and q16's aggregate: bids, bidders and auctions, in
// total and per price rank.
type dayStats struct {
	bids              [4]int64 // per rank, then the total
	bidders, auctions [4]map[int64]struct{}
	maxMinute         int64 // q16: the latest minute of the day, as HH*60+MM
}

func newDayStats() *dayStats {
	s := &dayStats{}
	for i := range s.bidders {
		s.bidders[i], s.auctions[i] = map[int64]struct{}{}, map[int64]struct{}{}
	}
	return s
}

func (s *dayStats) add(b *Bid) {
	for _, i := range [2]int{priceRank(b.Price), 3} {
		s.bids[i]++
		s.bidders[i][b.Bidder] = struct{}{}
		s.auctions[i][b.Auction] = struct{}{}
	}
	s.maxMinute = max(s.maxMinute, (b.DateTime-floorTo(b.DateTime, day))/(60*second))
}

func (s *dayStats) emit(to *sink, key ...int64) {
	vals := append(key, s.maxMinute)
	for i := range s.bids {
		vals = append(vals, s.bids[i], int64(len(s.bidders[i])), int64(len(s.auctions[i])))
	}
	to.emit(vals...)
}

// dayGroups is q15 (bidding statistics per day) and, byChannel, q16
// (the same per channel and day).
type dayGroups struct {
	sink
	byChannel bool
	groups    map[dayKey]*dayStats
}

type dayKey struct {
	channel string // "" for q15
	day     int64
}

func newQ15(Config) Baseline { return &dayGroups{groups: map[dayKey]*dayStats{}} }
func newQ16(Config) Baseline { return &dayGroups{byChannel: true, groups: map[dayKey]*dayStats{}} }

func (q *dayGroups) Add(ev *Event) {
	b := ev.Bid
	if b == nil {
		return
	}
	k := dayKey{day: floorTo(b.DateTime, day)}
	if q.byChannel {
		k.channel = b.Channel
	}
	s := q.groups[k]
	if s == nil {
		s = newDayStats()
		q.groups[k] = s
	}
	s.add(b)
}

func (q *dayGroups) Rows() int64 {
	for k, s := range q.groups {
		s.emit(&q.sink, int64(len(k.channel)), k.day)
	}
	return q.rows
}

// q17: price statistics per auction and day.
type q17 struct {
	sink
	groups map[q17Key]*q17Stats
}

type q17Key struct{ auction, day int64 }

type q17Stats struct {
	bids          [4]int64 // per rank, then the total
	lo, hi, total int64
}

func newQ17(Config) Baseline { return &q17{groups: map[q17Key]*q17Stats{}} }

func (q *q17) Add(ev *Event) {
	b := ev.Bid
	if b == nil {
		return
	}
	k := q17Key{b.Auction, floorTo(b.DateTime, day)}
	s := q.groups[k]
	if s == nil {
		s = &q17Stats{lo: b.Price, hi: b.Price}
		q.groups[k] = s
	}
	s.bids[priceRank(b.Price)]++
	s.bids[3]++
	s.lo, s.hi, s.total = min(s.lo, b.Price), max(s.hi, b.Price), s.total+b.Price
}

func (q *q17) Rows() int64 {
	for k, s := range q.groups {
		q.emit(k.auction, k.day, s.bids[0], s.bids[1], s.bids[2], s.bids[3], s.lo, s.hi, s.total/s.bids[3], s.total)
	}
	return q.rows
}

// q18: the latest bid per bidder and auction.
type q18 struct {
	sink
	last map[q17Key]*Bid // keyed by (bidder, auction)
}

func newQ18(Config) Baseline { return &q18{last: map[q17Key]*Bid{}} }

func (q *q18) Add(ev *Event) {
	// Bids arrive in time order: the newest is the latest.
	if b := ev.Bid; b != nil {
		q.last[q17Key{b.Bidder, b.Auction}] = b
	}
}

func (q *q18) Rows() int64 {
	for _, b := range q.last {
		q.emit(b.Auction, b.Bidder, b.Price, int64(len(b.Channel)+len(b.URL)), b.DateTime, int64(len(b.Extra)))
	}
	return q.rows
}

// q19: the ten highest bids per auction.
type q19 struct {
	sink
	top map[int64][]*Bid // auction -> up to ten bids, highest price first
}

const q19N = 10

func newQ19(Config) Baseline { return &q19{top: map[int64][]*Bid{}} }

func (q *q19) Add(ev *Event) {
	b := ev.Bid
	if b == nil {
		return
	}
	top := q.top[b.Auction]
	if len(top) == q19N && b.Price <= top[q19N-1].Price {
		return
	}
	i := sort.Search(len(top), func(i int) bool { return top[i].Price < b.Price })
	if len(top) < q19N {
		top = append(top, nil)
	}
	copy(top[i+1:], top[i:])
	top[i] = b
	q.top[b.Auction] = top
}

func (q *q19) Rows() int64 {
	for _, top := range q.top {
		for rn, b := range top {
			q.emit(b.Auction, b.Bidder, b.Price, b.DateTime, int64(rn+1))
		}
	}
	return q.rows
}
