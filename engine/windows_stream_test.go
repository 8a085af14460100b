package engine

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"testing"

	"github.com/weir-db/weir/pgwire"
	"github.com/weir-db/weir/types"
)

// rowsWriter collects a statement's result rows.
type rowsWriter struct{ rows [][]types.Datum }

func (w *rowsWriter) Columns([]pgwire.Column) error { return nil }
func (w *rowsWriter) Row(r []types.Datum) error {
	w.rows = append(w.rows, append([]types.Datum(nil), r...))
	return nil
}
func (w *rowsWriter) Complete(string) error { return nil }
func (w *rowsWriter) EmptyQuery() error     { return nil }
func openStreamTestEngine(t *testing.T, dir string) *Engine {
	t.Helper()
	e, err := Open(Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func run(t *testing.T, s *Session, sql string) [][]types.Datum {
	t.Helper()
	w := &rowsWriter{}
	if err := s.Execute(context.Background(), sql, w); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return w.rows
}

func runErr(s *Session, sql string) error {
	return s.Execute(context.Background(), sql, &rowsWriter{})
}

func tsOf(d types.Datum) int64 { return int64(d.(types.DTimestamp)) }

// TestWindowContract checks DESIGN §6's correctness contract end to end:
// after FLUSH, each windowed view equals the batch result over everything
// its stream holds minus exactly the rows counted as late. Random streams
// (out of order, late rows, one or two partitions) are inserted with FLUSH
// in random places; every window kind runs under every emit policy. EMIT
// ON WINDOW CLOSE views write their late rows to streams (LATE ROWS INTO),
// so the recomputation leaves out exactly those; EMIT ON UPDATE views only
// count them, so for them each window may miss only rows of windows that
// had closed, and the misses add up to the count.
func TestWindowContract(t *testing.T) {
	for seed := int64(0); seed < 4; seed++ {
		parts := 1 + int(seed%2)
		t.Run(fmt.Sprintf("seed=%d/partitions=%d", seed, parts), func(t *testing.T) {
			runWindowContract(t, rand.New(rand.NewSource(seed)), parts)
		})
	}
}

type contractRow struct {
	k  string
	v  int64
	ts int64 // microseconds
}

const sec = int64(1e6)

func runWindowContract(t *testing.T, rng *rand.Rand, parts int) {
	e := openStreamTestEngine(t, t.TempDir())
	defer e.Close()
	s := e.NewSession()
	defer s.Close()
	run(t, s, fmt.Sprintf("CREATE STREAM s (k text, v bigint, ts timestamp, WATERMARK FOR ts AS ts - INTERVAL '3' SECOND) WITH (partitions = %d, idle_timeout_ms = 3600000)", parts))
	kinds := map[string]string{
		"tumble":  "TUMBLE(s, ts, INTERVAL '10' SECOND)",
		"hop":     "HOP(s, ts, INTERVAL '5' SECOND, INTERVAL '10' SECOND)",
		"session": "SESSION(s, ts, INTERVAL '6' SECOND)",
	}
	policies := map[string]string{
		"upd":   "EMIT ON UPDATE",
		"close": "EMIT ON WINDOW CLOSE LATE ROWS INTO %s_late",
		"lat":   "EMIT ON WINDOW CLOSE ALLOW LATENESS INTERVAL '4' SECOND LATE ROWS INTO %s_late",
		"early": "EMIT ON WINDOW CLOSE EARLY EVERY INTERVAL '1' MICROSECOND LATE ROWS INTO %s_late",
	}
	for kind, from := range kinds {
		for pol, emit := range policies {
			name := kind + "_" + pol
			if strings.Contains(emit, "%s") {
				emit = fmt.Sprintf(emit, name)
			}
			run(t, s, fmt.Sprintf("CREATE MATERIALIZED VIEW %s AS SELECT window_start, window_end, k, count(*) AS n, sum(v) AS total FROM %s GROUP BY window_start, window_end, k %s", name, from, emit))
		}
	}
	// Rows: mostly near the front of event time, some far behind it.
	var all []contractRow
	front := int64(1_700_000_000) * sec
	v := int64(0)
	for stmt := 0; stmt < 25; stmt++ {
		var vals []string
		for i := 0; i < 1+rng.Intn(5); i++ {
			ts := front + int64(rng.Intn(6)-2)*sec
			if rng.Intn(4) == 0 {
				ts = front - int64(rng.Intn(30))*sec
			}
			front = max(front, ts)
			v++
			r := contractRow{k: []string{"a", "b"}[rng.Intn(2)], v: v, ts: ts}
			all = append(all, r)
			vals = append(vals, fmt.Sprintf("('%s', %d, '%s')", r.k, r.v, types.TextString(types.TTimestamp, types.DTimestamp(r.ts))))
		}
		run(t, s, "INSERT INTO s VALUES "+strings.Join(vals, ", "))
		if rng.Intn(3) == 0 {
			run(t, s, "FLUSH")
		}
	}
	run(t, s, "FLUSH")

	lateCount := map[string]int64{}
	for _, r := range run(t, s, "SELECT view_name, sum(late_rows) FROM weir_catalog.view_operators GROUP BY view_name") {
		if r[1] != nil {
			n, _ := r[1].(types.Decimal)
			lateCount[r[0].(string)] = int64(n.Float64())
			if i, ok := r[1].(int64); ok {
				lateCount[r[0].(string)] = i
			}
		}
	}
	for kind := range kinds {
		for pol := range policies {
			name := kind + "_" + pol
			wmRows := run(t, s, fmt.Sprintf("SELECT watermark FROM weir_catalog.watermarks WHERE name = '%s'", name))
			if len(wmRows) != 1 || wmRows[0][0] == nil {
				t.Fatalf("%s: no watermark: %v", name, wmRows)
			}
			wm := tsOf(wmRows[0][0])
			t.Logf("%s: %d late", name, lateCount[name])
			got := map[string]int64{}
			for _, r := range run(t, s, "SELECT window_start, window_end, k, n, total FROM "+name) {
				got[fmt.Sprintf("%d %d %s", tsOf(r[0]), tsOf(r[1]), r[2])] += r[3].(int64)*1_000_000 + int64(r[4].(types.Decimal).Float64())
			}
			lateness := int64(0)
			if pol == "lat" {
				lateness = 4 * sec
			}
			if pol == "upd" {
				checkUpdateContract(t, name, kind, all, got, wm, lateCount[name])
				continue
			}
			late := map[string]bool{} // "window_start v" for TUMBLE/HOP, "v" for SESSION
			lateRows := run(t, s, fmt.Sprintf("SELECT window_start, window_end, v FROM %s_late", name))
			for _, r := range lateRows {
				if end := tsOf(r[1]); end+lateness > wm {
					t.Errorf("%s: row v=%v called late, but its window [%v, %v) had not expired at watermark %d", name, r[2], tsOf(r[0]), end, wm)
				}
				if kind == "session" {
					late[fmt.Sprint(r[2])] = true
				} else {
					late[fmt.Sprintf("%d %d", tsOf(r[0]), r[2])] = true
				}
			}
			if int64(len(lateRows)) != lateCount[name] {
				t.Errorf("%s: %d late rows kept, %d counted", name, len(lateRows), lateCount[name])
			}
			want := batchWindows(kind, all, func(start int64, r contractRow) bool {
				if kind == "session" {
					return !late[fmt.Sprint(r.v)]
				}
				return !late[fmt.Sprintf("%d %d", start, r.v)]
			})
			for w := range want {
				var end int64
				fmt.Sscanf(w, "%d %d", new(int64), &end)
				if pol != "early" && end > wm {
					delete(want, w)
				}
			}
			if a, b := dumpWindows(got), dumpWindows(want); a != b {
				t.Errorf("%s (watermark %d): view differs from the batch result minus its late rows\ngot:\n%s\nwant:\n%s", name, wm, a, b)
			}
		}
	}
}

// batchWindows recomputes count and sum per (window, key) over the rows
// keep accepts, as "start end key" -> n*1e6 + sum.
func batchWindows(kind string, all []contractRow, keep func(start int64, r contractRow) bool) map[string]int64 {
	out := map[string]int64{}
	add := func(start, end int64, r contractRow) {
		out[fmt.Sprintf("%d %d %s", start, end, r.k)] += 1_000_000 + r.v
	}
	switch kind {
	case "tumble", "hop":
		size, slide := 10*sec, 10*sec
		if kind == "hop" {
			slide = 5 * sec
		}
		for _, r := range all {
			first := r.ts - ((r.ts%slide)+slide)%slide
			for start := first; start > r.ts-size; start -= slide {
				if keep(start, r) {
					add(start, start+size, r)
				}
			}
		}
	case "session":
		byKey := map[string][]contractRow{}
		for _, r := range all {
			if keep(0, r) {
				byKey[r.k] = append(byKey[r.k], r)
			}
		}
		gap := 6 * sec
		for _, rows := range byKey {
			sort.Slice(rows, func(i, j int) bool { return rows[i].ts < rows[j].ts })
			for i := 0; i < len(rows); {
				j := i + 1
				for j < len(rows) && rows[j].ts-rows[j-1].ts <= gap {
					j++
				}
				for _, r := range rows[i:j] {
					add(rows[i].ts, rows[j-1].ts+gap, r)
				}
				i = j
			}
		}
	}
	return out
}

func dumpWindows(m map[string]int64) string {
	var lines []string
	for k, v := range m {
		lines = append(lines, fmt.Sprintf("%s n=%d sum=%d", k, v/1_000_000, v%1_000_000))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// checkUpdateContract checks an EMIT ON UPDATE view, whose late rows are
// only counted: each window may miss rows only if it had closed, and the
// misses add up to the count. A session view's rows add up to the rows
// not counted late.
func checkUpdateContract(t *testing.T, name, kind string, all []contractRow, got map[string]int64, wm, late int64) {
	t.Helper()
	if kind == "session" {
		var n int64
		for _, v := range got {
			n += v / 1_000_000
		}
		if n+late != int64(len(all)) {
			t.Errorf("%s: sessions hold %d rows and %d were late, of %d", name, n, late, len(all))
		}
		return
	}
	want := batchWindows(kind, all, func(int64, contractRow) bool { return true })
	var missing int64
	for w, b := range want {
		g := got[w]
		var end int64
		fmt.Sscanf(w, "%d %d", new(int64), &end)
		miss := b/1_000_000 - g/1_000_000
		switch {
		case miss < 0:
			t.Errorf("%s: window %s has more rows than the stream", name, w)
		case miss > 0 && end > wm:
			t.Errorf("%s: window %s misses %d rows but has not closed (watermark %d)", name, w, miss, wm)
		}
		missing += miss
	}
	for w := range got {
		if _, ok := want[w]; !ok {
			t.Errorf("%s: window %s is not in the batch result", name, w)
		}
	}
	if missing != late {
		t.Errorf("%s: windows miss %d rows, %d counted late", name, missing, late)
	}
}

// TestLateCountsSurviveRestart checks that late counts and watermarks are
// persisted with the views' state.
func TestLateCountsSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	e := openStreamTestEngine(t, dir)
	s := e.NewSession()
	run(t, s, "CREATE STREAM s (k text, ts timestamp, WATERMARK FOR ts AS ts)")
	run(t, s, "CREATE MATERIALIZED VIEW v AS SELECT window_start, count(*) FROM TUMBLE(s, ts, INTERVAL '10' SECOND) GROUP BY window_start EMIT ON WINDOW CLOSE")
	run(t, s, "INSERT INTO s VALUES ('a', '2024-01-01 00:00:30')")
	run(t, s, "FLUSH")
	run(t, s, "INSERT INTO s VALUES ('a', '2024-01-01 00:00:01'), ('a', '2024-01-01 00:00:02')")
	run(t, s, "FLUSH")
	const q = "SELECT late_rows, watermark FROM weir_catalog.view_operators WHERE view_name = 'v' AND operator = 'HashAgg'"
	before := fmt.Sprint(run(t, s, q))
	if !strings.HasPrefix(before, "[[2 ") {
		t.Fatalf("before restart: %s", before)
	}
	s.Close()
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	e = openStreamTestEngine(t, dir)
	defer e.Close()
	s = e.NewSession()
	defer s.Close()
	if after := fmt.Sprint(run(t, s, q)); after != before {
		t.Fatalf("after restart %s, before %s", after, before)
	}
	run(t, s, "INSERT INTO s VALUES ('a', '2024-01-01 00:00:03')")
	run(t, s, "FLUSH")
	if got := fmt.Sprint(run(t, s, q)); !strings.HasPrefix(got, "[[3 ") {
		t.Fatalf("after another late row: %s", got)
	}
}

// TestWindowErrorCodes checks the SQLSTATEs of windowed views refused at
// CREATE time by the engine (the planner's are in planner/testdata/plan).
func TestWindowErrorCodes(t *testing.T) {
	e := openStreamTestEngine(t, t.TempDir())
	defer e.Close()
	s := e.NewSession()
	defer s.Close()
	run(t, s, "CREATE STREAM s (k text, ts timestamp, WATERMARK FOR ts AS ts)")
	run(t, s, "CREATE STREAM wrong (a int)")
	run(t, s, "CREATE TABLE tab (a int PRIMARY KEY)")
	const view = "CREATE MATERIALIZED VIEW v AS SELECT window_start, count(*) FROM TUMBLE(s, ts, INTERVAL '1' SECOND) GROUP BY window_start "
	for _, c := range []struct{ sql, code string }{
		{view + "EMIT ON WINDOW CLOSE LATE ROWS INTO s", types.CodeInvalidObjectDefinition},
		{view + "EMIT ON WINDOW CLOSE LATE ROWS INTO wrong", types.CodeDatatypeMismatch},
		{view + "EMIT ON WINDOW CLOSE LATE ROWS INTO tab", types.CodeWrongObjectType},
		{"CREATE MATERIALIZED VIEW v AS SELECT k, count(*) FROM s GROUP BY k EMIT ON WINDOW CLOSE", types.CodeInvalidObjectDefinition},
		{"CREATE MATERIALIZED VIEW v AS SELECT window_start, count(*) FROM HOP(s, ts, INTERVAL '3' SECOND, INTERVAL '10' SECOND) GROUP BY window_start", types.CodeInvalidParameterValue},
		{"CREATE MATERIALIZED VIEW v AS SELECT window_start, count(*) FROM TUMBLE(s, ts, INTERVAL '0' SECOND) GROUP BY window_start", types.CodeInvalidParameterValue},
		{"CREATE STREAM bad (a int, WATERMARK FOR a AS a)", types.CodeDatatypeMismatch},
		{"CREATE MATERIALIZED VIEW v AS SELECT k, now() FROM s", types.CodeFeatureNotSupported},
	} {
		err := runErr(s, c.sql)
		var te *types.Error
		if !errors.As(err, &te) || te.Code != c.code {
			t.Errorf("%s: got %v, want SQLSTATE %s", c.sql, err, c.code)
		}
	}
	if rows := run(t, s, "SELECT count(*) FROM weir_catalog.view_operators"); rows[0][0].(int64) != 0 {
		t.Errorf("a refused view is running")
	}
	// A late-rows stream created for the view is queryable with the view
	// and window each row missed.
	run(t, s, view+"EMIT ON WINDOW CLOSE LATE ROWS INTO v_late")
	run(t, s, "INSERT INTO s VALUES ('a', '2024-01-01 00:00:30')")
	run(t, s, "FLUSH")
	run(t, s, "INSERT INTO s VALUES ('b', '2024-01-01 00:00:01.5')")
	run(t, s, "FLUSH")
	got := run(t, s, "SELECT view_name, window_start, window_end, k FROM v_late")
	if len(got) != 1 || got[0][0] != "v" || got[0][3] != "b" || types.TextString(types.TTimestamp, got[0][1]) != "2024-01-01 00:00:01" {
		t.Errorf("late rows: %v", got)
	}
}

// TestWindowsAcrossRestart checks that open windows and sessions, their
// in-memory indexes rebuilt from state, carry on after a restart: windows
// opened before it close after it, and sessions merge across it.
func TestWindowsAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	e := openStreamTestEngine(t, dir)
	s := e.NewSession()
	run(t, s, "CREATE STREAM s (k text, ts timestamp, WATERMARK FOR ts AS ts - INTERVAL '10' SECOND)")
	run(t, s, "CREATE MATERIALIZED VIEW tum AS SELECT window_start, k, count(*) AS n FROM TUMBLE(s, ts, INTERVAL '10' SECOND) GROUP BY window_start, k EMIT ON WINDOW CLOSE")
	run(t, s, "CREATE MATERIALIZED VIEW ses AS SELECT k, window_start, window_end, count(*) AS n FROM SESSION(s, ts, INTERVAL '5' SECOND) GROUP BY k, window_start, window_end")
	run(t, s, "INSERT INTO s VALUES ('a', '2024-01-01 00:00:01'), ('a', '2024-01-01 00:00:09')")
	run(t, s, "FLUSH")
	s.Close()
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	e = openStreamTestEngine(t, dir)
	defer e.Close()
	s = e.NewSession()
	defer s.Close()
	run(t, s, "INSERT INTO s VALUES ('a', '2024-01-01 00:00:05')")
	run(t, s, "FLUSH")
	if got := fmt.Sprint(run(t, s, "SELECT n FROM ses")); got != "[[3]]" {
		t.Fatalf("sessions after restart: %s", got)
	}
	run(t, s, "INSERT INTO s VALUES ('b', '2024-01-01 00:00:25')")
	run(t, s, "FLUSH")
	if got := fmt.Sprint(run(t, s, "SELECT k, n FROM tum")); got != "[[a 3]]" {
		t.Fatalf("closed window after restart: %s", got)
	}
}
