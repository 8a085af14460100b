package nexmark

import (
	"reflect"
	"testing"
)

func TestProportionsAndIDs(t *testing.T) {
	c := Config{Seed: 7}
	counts := map[Kind]int{}
	lastAuctionID := int64(firstAuction - 1)
	for e := int64(0); e < 5000; e++ {
		ev := c.Generate(e)
		counts[ev.Kind]++
		switch ev.Kind {
		case PersonEvent:
			if ev.Person.ID != e/50+firstPersonID {
				t.Fatalf("person id %d for event %d", ev.Person.ID, e)
			}
		case AuctionEvent:
			if ev.Auction.ID != lastAuctionID+1 {
				t.Fatalf("auction ids must be consecutive: %d after %d", ev.Auction.ID, lastAuctionID)
			}
			lastAuctionID = ev.Auction.ID
			if ev.Auction.Category < 10 || ev.Auction.Category > 14 || ev.Auction.Reserve <= ev.Auction.InitialBid || ev.Auction.Expires <= ev.Auction.DateTime {
				t.Fatalf("bad auction %+v", ev.Auction)
			}
		case BidEvent:
			// A bid refers to an auction that exists or will soon (next_auction looks 10 ahead).
			if ev.Bid.Auction > lastAuctionID+11 || ev.Bid.Auction < firstAuction {
				t.Fatalf("bid on auction %d when the last is %d", ev.Bid.Auction, lastAuctionID)
			}
			if ev.Bid.Price < 100 || ev.Bid.Price > 100_000_000 {
				t.Fatalf("price %d out of range", ev.Bid.Price)
			}
		}
		if want := c.Time(e); ev.Kind == BidEvent && ev.Bid.DateTime != want {
			t.Fatalf("bid time %d, want %d", ev.Bid.DateTime, want)
		}
	}
	if counts[PersonEvent] != 100 || counts[AuctionEvent] != 300 || counts[BidEvent] != 4600 {
		t.Fatalf("proportions %v, want 1:3:46", counts)
	}
}

// TestParallelReadersMatchSerial checks that readers taking every n-th id
// together produce exactly the serial stream.
func TestParallelReadersMatchSerial(t *testing.T) {
	c := Config{Seed: 42, EventRate: 1000}
	var serial []Event
	c.Range(3, 400, 0, 1, func(e Event) error { serial = append(serial, e); return nil })
	for _, n := range []int{2, 3, 7} {
		merged := make([]Event, len(serial))
		for p := 0; p < n; p++ {
			c.Range(3, 400, p, n, func(e Event) error { merged[e.ID-3] = e; return nil })
		}
		if !reflect.DeepEqual(merged, serial) {
			t.Fatalf("%d readers differ from the serial stream", n)
		}
	}
	if !reflect.DeepEqual(c.Generate(10), Config{Seed: 42, EventRate: 1000}.Generate(10)) {
		t.Fatal("generation is not deterministic")
	}
	if reflect.DeepEqual(c.Generate(10), Config{Seed: 43, EventRate: 1000}.Generate(10)) {
		t.Fatal("the seed does not change the stream")
	}
}

func BenchmarkGenerate(b *testing.B) {
	c := Config{Seed: 1}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		c.Generate(int64(i))
	}
}

// TestGeneratorMatchesGenerate checks that the reusing generator computes
// the events Generate does, and that Generate's strings stay intact while
// other events are generated.
func TestGeneratorMatchesGenerate(t *testing.T) {
	c := Config{Seed: 11}
	g := Generator{Config: c}
	kept := make([]Event, 0, 500)
	for e := int64(0); e < 500; e++ {
		kept = append(kept, c.Generate(e))
	}
	for e := int64(0); e < 500; e++ {
		if got := g.At(e); !reflect.DeepEqual(*got, kept[e]) {
			t.Fatalf("event %d: Generator gives %+v, Generate %+v", e, *got, kept[e])
		}
	}
	for e := int64(0); e < 500; e++ {
		if !reflect.DeepEqual(kept[e], c.Generate(e)) {
			t.Fatalf("event %d changed after later events were generated", e)
		}
	}
}

// TestStringsLookGenerated checks the shapes of the generated strings:
// words trimmed, credit cards as four groups of four digits, padding in
// lower-case letters.
func TestStringsLookGenerated(t *testing.T) {
	c := Config{Seed: 3}
	letters := func(s string) bool {
		for i := 0; i < len(s); i++ {
			if s[i] < 'a' || s[i] > 'z' {
				return false
			}
		}
		return true
	}
	for e := int64(0); e < 2000; e++ {
		ev := c.Generate(e)
		switch ev.Kind {
		case PersonEvent:
			p := ev.Person
			if len(p.CreditCard) != 19 || p.CreditCard[4] != ' ' || p.CreditCard[9] != ' ' || p.CreditCard[14] != ' ' {
				t.Fatalf("credit card %q", p.CreditCard)
			}
			if !letters(p.Extra) {
				t.Fatalf("person extra %q", p.Extra)
			}
		case AuctionEvent:
			a := ev.Auction
			for _, w := range []string{a.ItemName, a.Description} {
				if w != "" && (w[0] == ' ' || w[len(w)-1] == ' ') {
					t.Fatalf("word %q is not trimmed", w)
				}
			}
			if !letters(a.Extra) {
				t.Fatalf("auction extra %q", a.Extra)
			}
		case BidEvent:
			b := ev.Bid
			if b.URL[:24] != "https://www.nexmark.com/" || !letters(b.Extra) {
				t.Fatalf("bid %+v", b)
			}
		}
	}
}

// TestEventsDoNotRepeatEachOther checks that nearby events draw
// independent values: no two bids among the first 20,000 events share
// their padding (which would mean overlapping random sequences).
func TestEventsDoNotRepeatEachOther(t *testing.T) {
	for _, seed := range []uint64{0, 1, 42} {
		c := Config{Seed: seed}
		seen := map[string]int64{}
		for e := int64(0); e < 20_000; e++ {
			ev := c.Generate(e)
			if ev.Kind != BidEvent || len(ev.Bid.Extra) < 12 {
				continue
			}
			if prev, ok := seen[ev.Bid.Extra]; ok {
				t.Fatalf("seed %d: bids %d and %d share extra %q", seed, prev, e, ev.Bid.Extra)
			}
			seen[ev.Bid.Extra] = e
		}
	}
}
