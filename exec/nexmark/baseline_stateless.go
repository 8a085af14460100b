package nexmark

import "strings"

// The stateless queries: a projection or filter per bid.

// q0: every bid, passed through.
type q0 struct{ sink }

func newQ0(Config) Baseline { return &q0{} }

func (q *q0) Add(ev *Event) {
	if b := ev.Bid; b != nil {
		q.emit(b.Auction, b.Bidder, b.Price, b.DateTime, int64(len(b.Extra)))
	}
}

// q1: the price in another currency, 0.908 × price, kept exact as
// thousandths.
type q1 struct{ sink }

func newQ1(Config) Baseline { return &q1{} }

func (q *q1) Add(ev *Event) {
	if b := ev.Bid; b != nil {
		q.emit(b.Auction, b.Bidder, 908*b.Price, b.DateTime, int64(len(b.Extra)))
	}
}

// q2: bids on every 123rd auction.
type q2 struct{ sink }

func newQ2(Config) Baseline { return &q2{} }

func (q *q2) Add(ev *Event) {
	if b := ev.Bid; b != nil && b.Auction%123 == 0 {
		q.emit(b.Auction, b.Price)
	}
}

// q14: bids whose converted price lies in (1,000,000, 50,000,000), with
// the time of day they were made and the c's in extra.
type q14 struct{ sink }

func newQ14(Config) Baseline { return &q14{} }

func (q *q14) Add(ev *Event) {
	b := ev.Bid
	if b == nil {
		return
	}
	p := 908 * b.Price // thousandths
	if p <= 1_000_000_000 || p >= 50_000_000_000 {
		return
	}
	var kind int64 // 0 dayTime, 1 nightTime, 2 otherTime
	switch h := (b.DateTime - floorTo(b.DateTime, day)) / (3600 * second); {
	case h >= 8 && h <= 18:
		kind = 0
	case h <= 6 || h >= 20:
		kind = 1
	default:
		kind = 2
	}
	q.emit(b.Auction, b.Bidder, p, kind, b.DateTime, int64(len(b.Extra)), int64(strings.Count(b.Extra, "c")))
}

// q21: the channel's id, from a fixed table for the hot channels and from
// the url's channel_id parameter otherwise; bids with neither are dropped.
type q21 struct{ sink }

func newQ21(Config) Baseline { return &q21{} }

func (q *q21) Add(ev *Event) {
	b := ev.Bid
	if b == nil {
		return
	}
	param, hasParam := channelIDParam(b.URL)
	id := ""
	switch strings.ToLower(b.Channel) {
	case "apple":
		id = "0"
	case "google":
		id = "1"
	case "facebook":
		id = "2"
	case "baidu":
		id = "3"
	default:
		if !hasParam {
			return
		}
		id = param
	}
	q.emit(b.Auction, b.Bidder, b.Price, int64(len(b.Channel)), int64(len(id)))
}

// channelIDParam is what (regexp_match(url, '(&|^)channel_id=([^&]*)'))[2]
// gives: the value of the first channel_id= at the start of url or after
// an '&'.
func channelIDParam(url string) (string, bool) {
	const key = "channel_id="
	for from := 0; ; {
		i := strings.Index(url[from:], key)
		if i < 0 {
			return "", false
		}
		i += from
		if i == 0 || url[i-1] == '&' {
			v := url[i+len(key):]
			if j := strings.IndexByte(v, '&'); j >= 0 {
				v = v[:j]
			}
			return v, true
		}
		from = i + 1
	}
}

// q22: the first three directories of the url (split_part's fields 4-6).
type q22 struct{ sink }

func newQ22(Config) Baseline { return &q22{} }

func (q *q22) Add(ev *Event) {
	b := ev.Bid
	if b == nil {
		return
	}
	var dirs [3]string
	rest, more := b.URL, true
	for field := 1; field <= 6 && more; field++ {
		part := rest
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			part, rest = rest[:i], rest[i+1:]
		} else {
			more = false
		}
		if field >= 4 {
			dirs[field-4] = part
		}
	}
	q.emit(b.Auction, b.Bidder, b.Price, int64(len(b.Channel)), int64(len(dirs[0])), int64(len(dirs[1])), int64(len(dirs[2])))
}
