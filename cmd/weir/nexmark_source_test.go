package main

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/weir-db/weir/exec/nexmark"
)

// TestNexmarkSourceSurvivesKill kills the server (SIGKILL) while a paced
// nexmark source runs; after the restart the source resumes and its
// streams hold every event exactly once.
func TestNexmarkSourceSurvivesKill(t *testing.T) {
	bin := buildBinary(t)
	dir := filepath.Join(t.TempDir(), "data")
	addr := freeAddr(t)
	s := startServer(t, bin, dir, addr)
	c := s.connect(t)
	const events = 40000
	query(t, c, fmt.Sprintf("CREATE SOURCE nx WITH (connector = 'nexmark', events = %d, event_rate = 20000, seed = 5)", events))
	deadline := time.Now().Add(time.Minute)
	for {
		got := query(t, c, "SELECT events, done FROM weir_catalog.sources")
		if got[0] == fmt.Sprintf("%d t", events) {
			t.Fatal("the source finished before the kill")
		}
		if n, _ := strconv.Atoi(strings.Fields(got[0])[0]); n >= 5000 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the source made no progress: %v", got)
		}
		time.Sleep(5 * time.Millisecond)
	}
	s.cmd.Process.Kill()
	s.cmd.Wait()

	s = startServer(t, bin, dir, addr)
	defer func() { s.cmd.Process.Kill(); s.cmd.Wait() }()
	c = s.connect(t)
	waitSourceDone(t, c, "nx")
	expectRows(t, query(t, c, "SELECT name, streams, events, target, event_rate, done FROM weir_catalog.sources"),
		fmt.Sprintf("nx person, auction, bid %d %d 20000 t", events, events))

	// Exactly once: the counts, ids and sums the generator gives.
	cfg := nexmark.Config{Seed: 5, EventRate: 20000}
	var persons, auctions, bids, priceSum, auctionSum int64
	cfg.Range(0, events, 0, 1, func(ev nexmark.Event) error {
		switch ev.Kind {
		case nexmark.PersonEvent:
			persons++
		case nexmark.AuctionEvent:
			auctions++
		default:
			bids++
			priceSum += ev.Bid.Price
			auctionSum += ev.Bid.Auction
		}
		return nil
	})
	expectRows(t, query(t, c, "SELECT count(*), count(DISTINCT id), min(id), max(id) FROM person"),
		fmt.Sprintf("%d %d 1000 %d", persons, persons, 1000+persons-1))
	expectRows(t, query(t, c, "SELECT count(*), count(DISTINCT id), min(id), max(id) FROM auction"),
		fmt.Sprintf("%d %d 1000 %d", auctions, auctions, 1000+auctions-1))
	expectRows(t, query(t, c, "SELECT count(*), count(DISTINCT date_time), sum(price), sum(auction) FROM bid"),
		fmt.Sprintf("%d %d %d %d", bids, bids, priceSum, auctionSum))
}
