package engine

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/weir-db/weir/exec/nexmark"
	"github.com/weir-db/weir/types"
)

// pollUntil polls cond until it holds, failing after 30 seconds.
func pollUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after 30s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// waitSource polls weir_catalog.sources until the source is done.
func waitSource(t *testing.T, s *Session, name string) {
	t.Helper()
	pollUntil(t, "source "+name+" done", func() bool {
		rows := run(t, s, fmt.Sprintf("SELECT done, error FROM weir_catalog.sources WHERE name = '%s'", name))
		if len(rows) != 1 || rows[0][1] != nil {
			t.Fatalf("source %s: %v in weir_catalog.sources", name, rows)
		}
		return rows[0][0] == true
	})
}

// checkNexmarkStreams checks that the streams hold exactly events [0, n)
// of the generator, in id order: no duplicates, no gaps.
func checkNexmarkStreams(t *testing.T, s *Session, prefix string, cfg nexmark.Config, n int64) {
	t.Helper()
	want := make([][][]types.Datum, 3)
	cfg.Range(0, n, 0, 1, func(ev nexmark.Event) error {
		want[ev.Kind] = append(want[ev.Kind], nexmarkRow(ev))
		return nil
	})
	for k, ns := range nexmarkStreams {
		got := run(t, s, "SELECT * FROM "+prefix+ns.name)
		if len(got) != len(want[k]) {
			t.Fatalf("%s%s holds %d rows, want %d", prefix, ns.name, len(got), len(want[k]))
		}
		for i := range got {
			if !reflect.DeepEqual(got[i], want[k][i]) {
				t.Fatalf("%s%s row %d:\n got %v\nwant %v", prefix, ns.name, i, got[i], want[k][i])
			}
		}
	}
}

func TestNexmarkSourceLandsEvents(t *testing.T) {
	e := openStreamTestEngine(t, t.TempDir())
	defer e.Close()
	s := e.NewSession()
	run(t, s, "CREATE SOURCE nx WITH (connector = 'nexmark', events = 3000, seed = 7, event_time_rate = 1000)")
	waitSource(t, s, "nx")
	checkNexmarkStreams(t, s, "", nexmark.Config{Seed: 7, EventRate: 1000}, 3000)
	got := run(t, s, "SELECT name, connector, streams, events, target, event_rate, done FROM weir_catalog.sources")
	want := [][]types.Datum{{"nx", "nexmark", "person, auction, bid", int64(3000), int64(3000), int64(0), true}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("weir_catalog.sources: %v, want %v", got, want)
	}
	// The streams have the watermark the README promises.
	wm := run(t, s, "CREATE MATERIALIZED VIEW w AS SELECT window_start, count(*) FROM TUMBLE(bid, date_time, INTERVAL '1' SECOND) GROUP BY window_start EMIT ON WINDOW CLOSE; FLUSH; SELECT count(*), sum(count) FROM w")
	// 3 s of event time; the last second is within the 4 s delay, so
	// nothing has closed: the watermark is 2015-07-14 23:59:58.999.
	if !reflect.DeepEqual(wm, [][]types.Datum{{int64(0), nil}}) {
		t.Fatalf("closed windows %v, want none under a 4 s watermark delay", wm)
	}
	run(t, s, "DROP MATERIALIZED VIEW w; DROP SOURCE nx")
	if rows := run(t, s, "SELECT * FROM weir_catalog.sources"); len(rows) != 0 {
		t.Fatalf("dropped source still listed: %v", rows)
	}
	// The streams and their records stay.
	if rows := run(t, s, "SELECT count(*) FROM bid"); rows[0][0] != int64(2760) {
		t.Fatalf("bid holds %v rows after DROP SOURCE, want 2760", rows[0][0])
	}
}

// TestNexmarkSourceResumesExactlyOnce stops the source between the appends
// of one chunk (the person stream ahead of the others), as a crash would,
// then restarts the engine: the source must finish with every event once.
func TestNexmarkSourceResumesExactlyOnce(t *testing.T) {
	dir := t.TempDir()
	crash := errors.New("simulated crash")
	sourceAfterAppend = func(source string, kind int, to int64) error {
		if kind == 0 && to == 2*sourceChunk {
			return crash
		}
		return nil
	}
	defer func() { sourceAfterAppend = nil }()
	e := openStreamTestEngine(t, dir)
	s := e.NewSession()
	run(t, s, "CREATE SOURCE nx WITH (connector = 'nexmark', events = 10000, seed = 3)")
	var rows [][]types.Datum
	pollUntil(t, "the simulated crash", func() bool {
		rows = run(t, s, "SELECT events, error FROM weir_catalog.sources")
		return rows[0][1] != nil
	})
	if rows[0][0] != int64(sourceChunk) {
		t.Fatalf("stopped at %v events, want %d", rows[0][0], sourceChunk)
	}
	// person holds more of the source's events than auction and bid.
	if got := run(t, s, "SELECT count(*) FROM person"); got[0][0] != nexmark.PersonEvent.Count(2*sourceChunk) {
		t.Fatalf("person holds %v, want %d", got[0][0], nexmark.PersonEvent.Count(2*sourceChunk))
	}
	e.Close()
	sourceAfterAppend = nil

	e = openStreamTestEngine(t, dir)
	defer e.Close()
	s = e.NewSession()
	waitSource(t, s, "nx")
	checkNexmarkStreams(t, s, "", nexmark.Config{Seed: 3}, 10000)
}

// TestNexmarkSourcePacedRestart restarts the engine while a paced source
// runs; it resumes where it was.
func TestNexmarkSourcePacedRestart(t *testing.T) {
	dir := t.TempDir()
	e := openStreamTestEngine(t, dir)
	s := e.NewSession()
	run(t, s, "CREATE SOURCE nx WITH (connector = 'nexmark', events = 3000, event_rate = 10000, prefix = 'a_')")
	pollUntil(t, "the paced source's first events", func() bool {
		rows := run(t, s, "SELECT events, done FROM weir_catalog.sources")
		if rows[0][1] == true {
			t.Fatal("the paced source finished before the restart")
		}
		return rows[0][0].(int64) > 0
	})
	e.Close()
	e = openStreamTestEngine(t, dir)
	defer e.Close()
	s = e.NewSession()
	waitSource(t, s, "nx")
	checkNexmarkStreams(t, s, "a_", nexmark.Config{EventRate: 10000}, 3000)
}

func TestNexmarkSourceStreams(t *testing.T) {
	e := openStreamTestEngine(t, t.TempDir())
	defer e.Close()
	s := e.NewSession()
	// Existing streams with the right columns (text for varchar) are reused.
	run(t, s, `CREATE STREAM person (id bigint, name text, email_address text, credit_card text, city text, state text, date_time timestamp, extra text);
		INSERT INTO person VALUES (1, 'x', 'x', 'x', 'x', 'x', '2020-01-01', '')`)
	run(t, s, "CREATE SOURCE one WITH (connector = 'nexmark', events = 100)")
	run(t, s, "CREATE SOURCE two WITH (connector = 'nexmark', events = 100, seed = 1, prefix = 'two_')")
	waitSource(t, s, "one")
	waitSource(t, s, "two")
	if got := run(t, s, "SELECT count(*) FROM person"); got[0][0] != int64(3) {
		t.Fatalf("reused person holds %v rows, want 1 + 2", got[0][0])
	}
	checkNexmarkStreams(t, s, "two_", nexmark.Config{Seed: 1}, 100)
	run(t, s, "CREATE SOURCE IF NOT EXISTS one WITH (connector = 'nexmark')")
	run(t, s, "DROP SOURCE IF EXISTS nope")
	run(t, s, "DROP STREAM two_bid CASCADE")
	if got := run(t, s, "SELECT name FROM weir_catalog.sources"); !reflect.DeepEqual(got, [][]types.Datum{{"one"}}) {
		t.Fatalf("sources after DROP STREAM ... CASCADE: %v", got)
	}
}

func TestNexmarkSourceErrors(t *testing.T) {
	e := openStreamTestEngine(t, t.TempDir())
	defer e.Close()
	s := e.NewSession()
	run(t, s, "CREATE TABLE t_bid (x int); CREATE STREAM w_bid (auction bigint); CREATE SOURCE nx WITH (connector = 'nexmark', events = 10)")
	for _, c := range []struct{ sql, code string }{
		{"CREATE SOURCE s WITH (events = 10)", "42601"},
		{"CREATE SOURCE s WITH (connector = 'kafka')", "0A000"},
		{"CREATE SOURCE s WITH (connector = 'nexmark', rate = 5)", "22023"},
		{"CREATE SOURCE s WITH (connector = 'nexmark', events = -1)", "22023"},
		{"CREATE SOURCE s WITH (connector = 'nexmark', event_rate = 'fast')", "22023"},
		{"CREATE SOURCE s WITH (connector = 'nexmark', seed = -3)", "22023"},
		{"CREATE SOURCE s WITH (connector = 'nexmark', event_time_rate = 0)", "22023"},
		{"CREATE SOURCE s WITH (connector = 'nexmark', prefix = 'a b')", "22023"},
		{"CREATE SOURCE s WITH (connector = 'nexmark', seed = 1, seed = 2)", "42601"},
		{"CREATE SOURCE s WITH (connector = 'nexmark', prefix = 't_')", "42809"},
		{"CREATE SOURCE s WITH (connector = 'nexmark', prefix = 'w_')", "42804"},
		{"CREATE SOURCE s WITH (connector = 'nexmark')", "42710"},
		{"CREATE SOURCE nx WITH (connector = 'nexmark', prefix = 'z')", "42710"},
		{"DROP SOURCE nope", "42704"},
		{"DROP STREAM bid", "2BP01"},
	} {
		err := runErr(s, c.sql)
		var te *types.Error
		if !errors.As(err, &te) || te.Code != c.code {
			t.Errorf("%s: got %v, want SQLSTATE %s", c.sql, err, c.code)
		}
	}
	// Failed statements created nothing.
	if got := run(t, s, "SELECT count(*) FROM pg_class WHERE relname LIKE 'z%' OR relname LIKE 's\\_%'"); got[0][0] != int64(0) {
		t.Fatalf("a failed CREATE SOURCE left %v relations", got[0][0])
	}
}

// nexmarkRow is event ev as its stream's row, built from datums
// independently of appendNexmarkRow's field-by-field encoding.
func nexmarkRow(ev nexmark.Event) []types.Datum {
	switch ev.Kind {
	case nexmark.PersonEvent:
		p := ev.Person
		return []types.Datum{p.ID, p.Name, p.Email, p.CreditCard, p.City, p.State, types.DTimestamp(p.DateTime), p.Extra}
	case nexmark.AuctionEvent:
		a := ev.Auction
		return []types.Datum{a.ID, a.ItemName, a.Description, a.InitialBid, a.Reserve, types.DTimestamp(a.DateTime),
			types.DTimestamp(a.Expires), a.Seller, a.Category, a.Extra}
	}
	b := ev.Bid
	return []types.Datum{b.Auction, b.Bidder, b.Price, b.Channel, b.URL, types.DTimestamp(b.DateTime), b.Extra}
}
