package nexmark

import (
	"regexp"
	"sort"
	"testing"
)

// The baselines are checked against deliberately naive batch
// recomputations over all the events at once (nested loops, sorting,
// the regexp the SQL uses), on 20,000 events at 500 per second of event
// time: 40 s, so windows open and close and sessions end and restart.
func baselineEvents(t *testing.T) []Event {
	t.Helper()
	var evs []Event
	Config{Seed: 42, EventRate: 500}.Range(0, 20_000, 0, 1, func(e Event) error {
		evs = append(evs, e)
		return nil
	})
	return evs
}

func runBaseline(t *testing.T, q string, evs []Event) int64 {
	t.Helper()
	b, ok := NewBaseline(q, Config{Seed: 42, EventRate: 500})
	if !ok {
		t.Fatalf("no baseline for %s", q)
	}
	for i := range evs {
		b.Add(&evs[i])
	}
	return b.Rows()
}

func split(evs []Event) (people []*Person, auctions []*Auction, bids []*Bid) {
	for _, e := range evs {
		switch {
		case e.Person != nil:
			people = append(people, e.Person)
		case e.Auction != nil:
			auctions = append(auctions, e.Auction)
		default:
			bids = append(bids, e.Bid)
		}
	}
	return
}

func TestBaselinesAgainstNaive(t *testing.T) {
	evs := baselineEvents(t)
	people, auctions, bids := split(evs)
	channelID := regexp.MustCompile(`(&|^)channel_id=([^&]*)`)

	naive := map[string]func() int64{
		"q2": func() (n int64) {
			for _, b := range bids {
				if b.Auction%123 == 0 {
					n++
				}
			}
			return n
		},
		"q3": func() (n int64) {
			for _, a := range auctions {
				for _, p := range people {
					if a.Seller == p.ID && a.Category == 10 && (p.State == "OR" || p.State == "ID" || p.State == "CA") {
						n++
					}
				}
			}
			return n
		},
		"q9": func() (n int64) { // auctions with a bid in their interval
			for _, a := range auctions {
				for _, b := range bids {
					if b.Auction == a.ID && b.DateTime >= a.DateTime && b.DateTime <= a.Expires {
						n++
						break
					}
				}
			}
			return n
		},
		"q4": func() int64 {
			cats := map[int64]bool{}
			for _, a := range auctions {
				for _, b := range bids {
					if b.Auction == a.ID && b.DateTime >= a.DateTime && b.DateTime <= a.Expires {
						cats[a.Category] = true
					}
				}
			}
			return int64(len(cats))
		},
		"q5": func() (n int64) {
			type key struct{ auction, start int64 }
			counts := map[key]int64{}
			for _, b := range bids {
				for start := floorTo(b.DateTime, 2*second) - 8*second; start <= b.DateTime; start += 2 * second {
					counts[key{b.Auction, start}]++
				}
			}
			most := map[int64]int64{}
			for k, c := range counts {
				most[k.start] = max(most[k.start], c)
			}
			for k, c := range counts {
				if c >= most[k.start] {
					n++
				}
			}
			return n
		},
		"q7": func() (n int64) {
			most := map[int64]int64{} // window end -> max price
			for _, b := range bids {
				end := floorTo(b.DateTime, 10*second) + 10*second
				most[end] = max(most[end], b.Price)
			}
			for _, b := range bids {
				for end, p := range most {
					if b.Price == p && b.DateTime >= end-10*second && b.DateTime <= end {
						n++
					}
				}
			}
			return n
		},
		"q11": func() (n int64) {
			times := map[int64][]int64{}
			for _, b := range bids {
				times[b.Bidder] = append(times[b.Bidder], b.DateTime)
			}
			for _, ts := range times {
				sort.Slice(ts, func(i, j int) bool { return ts[i] < ts[j] })
				for i := range ts {
					if i == 0 || ts[i]-ts[i-1] > 10*second {
						n++
					}
				}
			}
			return n
		},
		"q19": func() (n int64) {
			per := map[int64]int64{}
			for _, b := range bids {
				per[b.Auction]++
			}
			for _, c := range per {
				n += min(c, 10)
			}
			return n
		},
		"q20": func() (n int64) {
			for _, b := range bids {
				for _, a := range auctions {
					if b.Auction == a.ID && a.Category == 10 {
						n++
					}
				}
			}
			return n
		},
		"q21": func() (n int64) {
			for _, b := range bids {
				m := channelID.FindStringSubmatch(b.URL)
				switch b.Channel {
				case "Apple", "Google", "Facebook", "Baidu":
					n++
				default:
					if m != nil {
						n++
					}
				}
			}
			return n
		},
	}
	for q, want := range naive {
		t.Run(q, func(t *testing.T) {
			w := want()
			if w == 0 {
				t.Fatalf("%s: the naive result is empty, so the check proves nothing", q)
			}
			if got := runBaseline(t, q, evs); got != w {
				t.Errorf("%s: baseline has %d rows, the naive recomputation %d", q, got, w)
			}
		})
	}
}

// TestBaselineQ19KeepsTopTen checks q19's top-N keeps the highest prices in
// order, against sorting each auction's bids.
func TestBaselineQ19KeepsTopTen(t *testing.T) {
	evs := baselineEvents(t)
	_, _, bids := split(evs)
	q := newQ19(Config{}).(*q19)
	for i := range evs {
		q.Add(&evs[i])
	}
	per := map[int64][]int64{}
	for _, b := range bids {
		per[b.Auction] = append(per[b.Auction], b.Price)
	}
	for a, prices := range per {
		sort.Slice(prices, func(i, j int) bool { return prices[i] > prices[j] })
		top := q.top[a]
		if len(top) != min(len(prices), 10) {
			t.Fatalf("auction %d: %d bids kept, want %d", a, len(top), min(len(prices), 10))
		}
		for i, b := range top {
			if b.Price != prices[i] {
				t.Fatalf("auction %d: rank %d has price %d, want %d", a, i+1, b.Price, prices[i])
			}
		}
	}
}

func TestChannelIDParam(t *testing.T) {
	re := regexp.MustCompile(`(&|^)channel_id=([^&]*)`)
	for _, url := range []string{
		"https://www.nexmark.com/a/b/c/item.htm?query=1&channel_id=42",
		"https://www.nexmark.com/a/b/c/item.htm?query=1",
		"channel_id=7&x=1",
		"x?xchannel_id=1&channel_id=2",
		"a&channel_id=&b",
	} {
		got, ok := channelIDParam(url)
		m := re.FindStringSubmatch(url)
		if ok != (m != nil) || ok && got != m[2] {
			t.Errorf("%q: got %q, %v; the regexp gives %q", url, got, ok, m)
		}
	}
}

func TestBaselineQueries(t *testing.T) {
	qs := BaselineQueries()
	if len(qs) != 20 || qs[0] != "q0" || qs[len(qs)-1] != "q22" {
		t.Fatalf("BaselineQueries() = %v", qs)
	}
}

func BenchmarkBaselines(b *testing.B) {
	c := Config{Seed: 1}
	evs := make([]Event, 0, 10_000)
	c.Range(0, 10_000, 0, 1, func(e Event) error { evs = append(evs, e); return nil })
	for _, q := range BaselineQueries() {
		b.Run(q, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				bl, _ := NewBaseline(q, c)
				for j := range evs {
					bl.Add(&evs[j])
				}
				bl.Rows()
			}
			b.ReportMetric(float64(b.N)*float64(len(evs))/b.Elapsed().Seconds(), "events/s")
		})
	}
}
