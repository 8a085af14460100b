package nexmark

import "math"

// Config fixes a generated stream.
type Config struct {
	Seed      uint64
	EventRate int64 // events per second of event time (default 10,000)
	// BaseTime is the event time of event 0, microseconds since the epoch
	// (default 2015-07-15 00:00:00 UTC, as the reference generators use).
	BaseTime int64
}

const defaultBaseTime = 1436918400 * 1e6

func (c Config) rate() int64 {
	if c.EventRate <= 0 {
		return 10_000
	}
	return c.EventRate
}

func (c Config) base() int64 {
	if c.BaseTime == 0 {
		return defaultBaseTime
	}
	return c.BaseTime
}

// Kind is which stream an event belongs to.
type Kind uint8

// Event kinds.
const (
	PersonEvent Kind = iota
	AuctionEvent
	BidEvent
)

// Person is a new user.
type Person struct {
	ID                                          int64
	Name, Email, CreditCard, City, State, Extra string
	DateTime                                    int64 // microseconds
}

// Auction is an item put up for sale.
type Auction struct {
	ID                    int64
	ItemName, Description string
	InitialBid, Reserve   int64
	DateTime, Expires     int64
	Seller, Category      int64
	Extra                 string
}

// Bid is a bid on an auction.
type Bid struct {
	Auction, Bidder, Price int64
	Channel, URL           string
	DateTime               int64
	Extra                  string
}

// Event is one generated event; exactly one of its pointers is set.
type Event struct {
	ID      int64
	Kind    Kind
	Person  *Person
	Auction *Auction
	Bid     *Bid
}

const (
	proportion    = 50
	firstPersonID = 1000
	firstAuction  = 1000
	hotRatio      = 4 // 3 in 4 picks are hot
)

// KindOf is the kind of event id e: of every 50 ids, offset 0 is a person,
// 1–3 auctions, the rest bids.
func KindOf(e int64) Kind {
	switch off := e % proportion; {
	case off < 1:
		return PersonEvent
	case off < 4:
		return AuctionEvent
	}
	return BidEvent
}

func lastPerson(e int64) int64 { return e / proportion }

func lastAuction(e int64) int64 {
	off := e % proportion
	switch {
	case off < 1:
		return (e/proportion-1)*3 + 2
	case off >= 4:
		return (e/proportion)*3 + 2
	}
	return (e/proportion)*3 + off - 1
}

func nextPerson(r *rng, e int64) int64 {
	n := lastPerson(e) + 1
	a := min(n, 1000)
	return n - a + r.intn(a+10)
}

func nextAuction(r *rng, e int64) int64 {
	hi := lastAuction(e)
	lo := max(hi-100, 0)
	return lo + r.intn(hi-lo+1+10)
}

// price is log-uniform over 100 .. 10^8: Nexmark's round(10^(6u) · 100),
// with 10^x taken as e^(x·ln 10), four times faster than math.Pow and
// equal to it on each of 10 million random draws tried.
func price(r *rng) int64 { return int64(math.Round(math.Exp(6*r.float()*math.Ln10) * 100)) }

var (
	states     = []string{"AZ", "CA", "ID", "OR", "WA", "WY"}
	cities     = []string{"Phoenix", "Los Angeles", "San Francisco", "Boise", "Portland", "Bend", "Redmond", "Seattle", "Kent", "Cheyenne"}
	firstNames = []string{"Peter", "Paul", "Luke", "John", "Saul", "Vicky", "Kate", "Julie", "Sarah", "Deiter", "Walter"}
	lastNames  = []string{"Shultz", "Abrams", "Spencer", "White", "Bartels", "Walton", "Smith", "Jones", "Noris"}
	hotChannel = []string{"Google", "Facebook", "Baidu", "Apple"}
	hotURL     = []string{
		"https://www.nexmark.com/google/item.htm?query=1",
		"https://www.nexmark.com/facebook/item.htm?query=1",
		"https://www.nexmark.com/baidu/item.htm?query=1",
		"https://www.nexmark.com/apple/item.htm?query=1",
	}
)

// Time is event id e's event time: base + e × (1e6 / rate) microseconds.
func (c Config) Time(e int64) int64 { return c.base() + e*1_000_000/c.rate() }

// Generate computes event e in memory of its own.
func (c Config) Generate(e int64) Event {
	var (
		ev      Event
		p       *Person
		a       *Auction
		b       *Bid
		arenaSz int
	)
	switch KindOf(e) {
	case PersonEvent:
		p, arenaSz = new(Person), 256
	case AuctionEvent:
		a, arenaSz = new(Auction), 768
	default:
		b, arenaSz = new(Bid), 192
	}
	c.fill(e, &ev, p, a, b, &arena{buf: make([]byte, 0, arenaSz)})
	return ev
}

// Generator computes events into memory it reuses: the event At returns,
// and every string in it, stay valid only until the next call. Readers
// that encode each event at once (a source landing rows) allocate
// nothing per event.
type Generator struct {
	Config
	ev Event
	p  Person
	a  Auction
	b  Bid
	ar arena
}

// At computes event e.
func (g *Generator) At(e int64) *Event {
	g.ev = Event{}
	g.ar.buf = g.ar.buf[:0]
	g.Config.fill(e, &g.ev, &g.p, &g.a, &g.b, &g.ar)
	return &g.ev
}

// fill computes event e into ev, using whichever of p, a and b its kind
// needs and building its strings in ar.
func (c Config) fill(e int64, ev *Event, p *Person, a *Auction, b *Bid, ar *arena) {
	r := newRNG(c.Seed, e)
	t := c.Time(e)
	*ev = Event{ID: e, Kind: KindOf(e)}
	switch ev.Kind {
	case PersonEvent:
		*p = Person{ID: lastPerson(e) + firstPersonID, DateTime: t}
		at := ar.mark()
		ar.add(firstNames[r.intn(int64(len(firstNames)))])
		ar.add(" ")
		ar.add(lastNames[r.intn(int64(len(lastNames)))])
		p.Name = ar.since(at)
		at = ar.mark()
		ar.word(&r, 7)
		ar.add("@")
		ar.word(&r, 5)
		ar.add(".com")
		p.Email = ar.since(at)
		at = ar.mark()
		for i := 0; i < 4; i++ {
			if i > 0 {
				ar.add(" ")
			}
			ar.digits4(r.intn(10000))
		}
		p.CreditCard = ar.since(at)
		p.City = cities[r.intn(int64(len(cities)))]
		p.State = states[r.intn(int64(len(states)))]
		p.Extra = ar.pad(&r, len(p.Name)+len(p.Email)+len(p.CreditCard)+len(p.City)+len(p.State), 200)
		ev.Person = p
	case AuctionEvent:
		*a = Auction{ID: lastAuction(e) + firstAuction, DateTime: t}
		if r.intn(hotRatio) > 0 {
			a.Seller = (lastPerson(e)/100)*100 + firstPersonID
		} else {
			a.Seller = nextPerson(&r, e) + firstPersonID
		}
		a.Category = 10 + r.intn(5)
		a.InitialBid = price(&r)
		a.Reserve = a.InitialBid + price(&r)
		at := ar.mark()
		ar.word(&r, 20)
		a.ItemName = ar.since(at)
		at = ar.mark()
		ar.word(&r, 100)
		a.Description = ar.since(at)
		horizon := c.Time(e+1666) - t
		a.Expires = t + 1000 + r.intn(2*horizon)
		a.Extra = ar.pad(&r, len(a.ItemName)+len(a.Description), 500)
		ev.Auction = a
	default:
		*b = Bid{DateTime: t}
		if r.intn(2) == 0 {
			b.Auction = (lastAuction(e)/100)*100 + firstAuction
		} else {
			b.Auction = nextAuction(&r, e) + firstAuction
		}
		if r.intn(hotRatio) > 0 {
			b.Bidder = (lastPerson(e)/100)*100 + 1 + firstPersonID
		} else {
			b.Bidder = nextPerson(&r, e) + firstPersonID
		}
		b.Price = price(&r)
		if r.intn(2) == 0 {
			i := r.intn(int64(len(hotChannel)))
			b.Channel, b.URL = hotChannel[i], hotURL[i]
		} else {
			at := ar.mark()
			ar.add("channel-")
			ar.int(r.intn(10000))
			b.Channel = ar.since(at)
			at = ar.mark()
			ar.add("https://www.nexmark.com/")
			for i := 0; i < 3; i++ {
				ar.word(&r, 5)
				ar.add("/")
			}
			ar.add("item.htm?query=1")
			if r.intn(10) > 0 {
				ar.add("&channel_id=")
				ar.int(r.intn(1 << 31))
			}
			b.URL = ar.since(at)
		}
		b.Extra = ar.pad(&r, len(b.Channel)+len(b.URL), 100)
		ev.Bid = b
	}
}

// Range generates events [from, to) that belong to reader p of n
// (ids p, p+n, p+2n, ...), calling fn for each in order.
func (c Config) Range(from, to int64, p, n int, fn func(Event) error) error {
	start := from + ((int64(p)-from%int64(n))%int64(n)+int64(n))%int64(n)
	for e := start; e < to; e += int64(n) {
		if err := fn(c.Generate(e)); err != nil {
			return err
		}
	}
	return nil
}
