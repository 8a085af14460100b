package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// TestChaosExactlyOnce kills the real server with SIGKILL at random moments
// while clients write to streams and tables over several connections, and
// restarts it on the same data directory each time. At the end every
// stream holds each acknowledged row exactly once (and each row whose
// statement's outcome was unknown at most once), every table equals the
// clients' model, and every view equals both a naive recomputation in Go
// and its query run ad hoc by the batch engine.
//
// `make test` runs a few cycles; `make test-chaos` sets WEIR_CHAOS_CYCLES.
func TestChaosExactlyOnce(t *testing.T) {
	cycles := 3
	if v := os.Getenv("WEIR_CHAOS_CYCLES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("WEIR_CHAOS_CYCLES=%q: want a positive number", v)
		}
		cycles = n
	} else if testing.Short() {
		cycles = 1
	}
	seed := time.Now().UnixNano()
	if v := os.Getenv("WEIR_CHAOS_SEED"); v != "" {
		seed, _ = strconv.ParseInt(v, 10, 64)
	}
	t.Logf("chaos: %d kill cycles, WEIR_CHAOS_SEED=%d", cycles, seed)
	rng := rand.New(rand.NewSource(seed))

	bin := buildBinary(t)
	dir := filepath.Join(t.TempDir(), "data")
	addr := freeAddr(t)
	s := startChaosServer(t, bin, dir, addr)
	defer func() { s.kill() }()
	s.waitFor(t, "SELECT 1", 30*time.Second)

	m := newChaosModel()
	setup := []string{
		`CREATE STREAM clicks (id bigint, user_id text, amount bigint, ts timestamp,
			WATERMARK FOR ts AS ts - INTERVAL '30' SECOND) WITH (partitions = 2, idle_timeout_ms = 3600000)`,
		`CREATE STREAM orders (id bigint, user_id int, amount bigint) WITH (partitions = 1)`,
		`CREATE TABLE users (id int PRIMARY KEY, name text, tier int, score bigint)`,
		`CREATE TABLE stock (sku int PRIMARY KEY, qty bigint)`,
		m.initialUsers(),
		m.initialStock(),
	}
	for _, v := range chaosViews {
		setup = append(setup, "CREATE MATERIALIZED VIEW "+v.name+" AS "+v.query)
	}
	for _, q := range setup {
		if err := tryQuery(addr, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}

	var stop atomic.Bool
	var wg sync.WaitGroup
	workers := make([]*chaosWorker, chaosWorkers)
	for i := range workers {
		workers[i] = &chaosWorker{id: i, addr: addr, m: m, rng: rand.New(rand.NewSource(seed + int64(i) + 1))}
		wg.Add(1)
		go func(w *chaosWorker) {
			defer wg.Done()
			w.run(&stop)
		}(workers[i])
	}
	stopWorkers := func() {
		stop.Store(true)
		wg.Wait()
	}
	defer stopWorkers()

	var toSelect, toView []time.Duration
	for cycle := 0; cycle < cycles; cycle++ {
		// Most kills land while the server serves the load; some land
		// during recovery, before it listens or while views catch up.
		early := cycle > 0 && rng.Intn(5) == 0
		if early {
			time.Sleep(time.Duration(rng.Intn(60)) * time.Millisecond)
		} else {
			time.Sleep(time.Duration(200+rng.Intn(1000)) * time.Millisecond)
		}
		if s.exited() {
			t.Fatalf("cycle %d: the server died on its own (%v):\n%s", cycle, s.waitErr, s.log())
		}
		s.kill()
		s = startChaosServer(t, bin, dir, addr)
		if early && rng.Intn(2) == 0 {
			continue // the next cycle may kill it during recovery
		}
		toSelect = append(toSelect, s.waitFor(t, "SELECT 1", time.Minute))
		toView = append(toView, s.waitFor(t, "SELECT count(*) FROM by_tier", time.Minute))
	}
	s.waitFor(t, "SELECT 1", time.Minute)
	time.Sleep(300 * time.Millisecond) // let the workers write to the last run too
	stopWorkers()

	t.Logf("chaos: restart to first SELECT 1: %s", durationStats(toSelect))
	t.Logf("chaos: restart to first view query: %s", durationStats(toView))
	var acked, unknown, failed int
	for _, w := range workers {
		acked += w.acked
		unknown += w.unknown
		failed += w.failed
	}
	t.Logf("chaos: %d statements acknowledged, %d with unknown outcome, %d definitely not applied", acked, unknown, failed)
	if len(m.errs) > 0 {
		t.Fatalf("clients saw errors:\n%s", strings.Join(m.errs, "\n"))
	}
	if acked == 0 {
		t.Fatal("no statement was acknowledged")
	}

	c := (&server{addr: s.addr}).connect(t)
	defer c.Close(context.Background())
	query(t, c, "FLUSH")
	m.check(t, c)
	if s.exited() {
		t.Fatalf("the server died during the checks (%v):\n%s", s.waitErr, s.log())
	}
}

const (
	chaosWorkers = 4
	chaosUsers   = 64 // user ids 0..chaosUsers-1; worker w owns ids with id%chaosWorkers == w
	chaosSKUs    = 16
	chaosTiers   = 4
	chaosTopN    = 3
)

// chaosViews are the views under test, one of each kind: a windowed
// aggregate with a watermark, a stream-table join, a top-N and a plain
// GROUP BY over a table (and a global aggregate of increments).
var chaosViews = []struct{ name, query string }{
	{"win", "SELECT window_start, user_id, count(*) AS n, sum(amount) AS total FROM TUMBLE(clicks, ts, INTERVAL '1' SECOND) GROUP BY window_start, user_id"},
	{"joined", "SELECT o.id, o.amount, u.name, u.tier FROM orders o JOIN users u ON o.user_id = u.id"},
	{"top3", fmt.Sprintf("SELECT tier, id, score, rn FROM (SELECT tier, id, score, row_number() OVER (PARTITION BY tier ORDER BY score DESC, id) AS rn FROM users) t WHERE rn <= %d", chaosTopN)},
	{"by_tier", "SELECT tier, count(*) AS n, sum(score) AS total, max(score) AS best FROM users GROUP BY tier"},
	{"stock_total", "SELECT count(*) AS n, sum(qty) AS total FROM stock"},
}

// chaosBase is event time zero: click i happens at chaosBase + i ms, so
// event time follows the order ids are handed out in and, with a 30 s
// watermark delay, no click is ever late.
var chaosBase = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

type click struct {
	user   string
	amount int64
}

type order struct{ user, amount int64 }

type chaosUser struct {
	name        string
	tier, score int64
}

// Outcome of a statement, per stream row id.
const (
	rowAcked   = 1
	rowUnknown = 2
)

// chaosModel is what the clients know was written.
type chaosModel struct {
	nextID    atomic.Int64 // stream row ids (and event times)
	nextScore atomic.Int64 // user scores, unique so an update is recognizable

	mu     sync.Mutex
	clicks map[int64]click
	orders map[int64]order
	status map[int64]int // stream row id -> rowAcked / rowUnknown
	users  map[int64]*chaosUser
	stock  map[int64]int64
	errs   []string
}

func newChaosModel() *chaosModel {
	m := &chaosModel{clicks: map[int64]click{}, orders: map[int64]order{}, status: map[int64]int{},
		users: map[int64]*chaosUser{}, stock: map[int64]int64{}}
	m.nextScore.Store(1000)
	return m
}

func (m *chaosModel) initialUsers() string {
	var vals []string
	for id := int64(0); id < chaosUsers; id++ {
		u := &chaosUser{name: fmt.Sprintf("n%d", id), tier: id % chaosTiers, score: m.nextScore.Add(1)}
		m.users[id] = u
		vals = append(vals, fmt.Sprintf("(%d, '%s', %d, %d)", id, u.name, u.tier, u.score))
	}
	return "INSERT INTO users VALUES " + strings.Join(vals, ", ")
}

func (m *chaosModel) initialStock() string {
	var vals []string
	for sku := int64(0); sku < chaosSKUs; sku++ {
		m.stock[sku] = 100
		vals = append(vals, fmt.Sprintf("(%d, 100)", sku))
	}
	return "INSERT INTO stock VALUES " + strings.Join(vals, ", ")
}

func (m *chaosModel) fail(format string, args ...any) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.errs) < 20 {
		m.errs = append(m.errs, fmt.Sprintf(format, args...))
	}
}

// chaosWorker is one client connection's load. It owns the users and SKUs
// whose id is its own modulo chaosWorkers, so it can resolve an unknown
// update of them by reading them back: nobody else changes them.
type chaosWorker struct {
	id   int
	addr string
	m    *chaosModel
	rng  *rand.Rand
	conn *pgconn.PgConn

	// resolve, when set, settles the last statement's unknown outcome
	// from the current row; it runs on the next connection.
	resolve func(c *pgconn.PgConn) error

	acked, unknown, failed int
}

func (w *chaosWorker) run(stop *atomic.Bool) {
	defer func() {
		if w.conn != nil {
			w.conn.Close(context.Background())
		}
	}()
	for !stop.Load() || w.resolve != nil {
		if w.conn == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			c, err := pgconn.Connect(ctx, fmt.Sprintf("postgres://weir@%s/weir?sslmode=disable", w.addr))
			cancel()
			if err != nil {
				time.Sleep(10 * time.Millisecond)
				continue
			}
			w.conn = c
		}
		if w.resolve != nil {
			if err := w.resolve(w.conn); err != nil {
				w.drop()
				continue
			}
			w.resolve = nil
			continue
		}
		if stop.Load() {
			return
		}
		switch r := w.rng.Intn(100); {
		case r < 40:
			w.insertClicks()
		case r < 60:
			w.insertOrders()
		case r < 85:
			w.changeUser()
		default:
			w.changeStock()
		}
	}
}

func (w *chaosWorker) drop() {
	w.conn.Close(context.Background())
	w.conn = nil
}

// exec runs one statement and classifies its outcome: applied, not
// applied, or unknown (the connection broke). A statement the server
// refuses is a test failure.
func (w *chaosWorker) exec(sql string) (applied, unknown bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := w.conn.Exec(ctx, sql).ReadAll()
	if err == nil {
		w.acked++
		return true, false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		w.m.fail("worker %d: %s: %v", w.id, sql, err)
		w.failed++
		return false, false
	}
	// Any other error leaves the outcome unknown, even when pgconn calls
	// it safe to retry: once the server dies after reading the query,
	// pgconn v5 can report its closed connection as a connLockError
	// ("conn closed"), which claims nothing was sent.
	w.drop()
	w.unknown++
	return false, true
}

func (w *chaosWorker) insertClicks() {
	n := 1 + w.rng.Intn(5)
	ids := make([]int64, n)
	rows := make([]click, n)
	var vals []string
	for i := range ids {
		ids[i] = w.m.nextID.Add(1)
		rows[i] = click{user: fmt.Sprintf("u%d", w.rng.Intn(8)), amount: int64(w.rng.Intn(1000))}
		ts := chaosBase.Add(time.Duration(ids[i]) * time.Millisecond).Format("2006-01-02 15:04:05.000")
		vals = append(vals, fmt.Sprintf("(%d, '%s', %d, '%s')", ids[i], rows[i].user, rows[i].amount, ts))
	}
	applied, unknown := w.exec("INSERT INTO clicks VALUES " + strings.Join(vals, ", "))
	w.m.record(ids, applied, unknown, func(i int, id int64) { w.m.clicks[id] = rows[i] })
}

// record notes the outcome of an insert of stream rows ids; put adds row
// i to the model, under the model's lock.
func (m *chaosModel) record(ids []int64, applied, unknown bool, put func(i int, id int64)) {
	if !applied && !unknown {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, id := range ids {
		put(i, id)
		m.status[id] = rowUnknown
		if applied {
			m.status[id] = rowAcked
		}
	}
}

func (w *chaosWorker) insertOrders() {
	n := 1 + w.rng.Intn(3)
	ids := make([]int64, n)
	rows := make([]order, n)
	var vals []string
	for i := range ids {
		ids[i] = w.m.nextID.Add(1)
		// Some orders name users that never exist: the inner join drops them.
		rows[i] = order{user: int64(w.rng.Intn(chaosUsers + 4)), amount: int64(w.rng.Intn(500))}
		vals = append(vals, fmt.Sprintf("(%d, %d, %d)", ids[i], rows[i].user, rows[i].amount))
	}
	applied, unknown := w.exec("INSERT INTO orders VALUES " + strings.Join(vals, ", "))
	w.m.record(ids, applied, unknown, func(i int, id int64) { w.m.orders[id] = rows[i] })
}

// changeUser inserts, updates or deletes one of the worker's users.
func (w *chaosWorker) changeUser() {
	id := int64(w.rng.Intn(chaosUsers/chaosWorkers)*chaosWorkers + w.id)
	w.m.mu.Lock()
	before := w.m.users[id]
	w.m.mu.Unlock()
	var after *chaosUser
	var sql string
	switch {
	case before == nil:
		after = &chaosUser{name: fmt.Sprintf("n%d", id), tier: int64(w.rng.Intn(chaosTiers)), score: w.m.nextScore.Add(1)}
		sql = fmt.Sprintf("INSERT INTO users VALUES (%d, '%s', %d, %d)", id, after.name, after.tier, after.score)
	case w.rng.Intn(4) == 0:
		sql = fmt.Sprintf("DELETE FROM users WHERE id = %d", id)
	default:
		after = &chaosUser{name: before.name, tier: int64(w.rng.Intn(chaosTiers)), score: w.m.nextScore.Add(1)}
		sql = fmt.Sprintf("UPDATE users SET tier = %d, score = %d WHERE id = %d", after.tier, after.score, id)
	}
	applied, unknown := w.exec(sql)
	set := func(u *chaosUser) {
		w.m.mu.Lock()
		w.m.users[id] = u
		if u == nil {
			delete(w.m.users, id)
		}
		w.m.mu.Unlock()
	}
	if applied {
		set(after)
	}
	if !unknown {
		return
	}
	w.resolve = func(c *pgconn.PgConn) error {
		rows, err := readRows(c, fmt.Sprintf("SELECT name, tier, score FROM users WHERE id = %d", id))
		if err != nil {
			return err
		}
		got := strings.Join(rows, "|")
		switch got {
		case userText(after):
			set(after)
		case userText(before):
		default:
			w.m.fail("user %d after an interrupted %q is %q: want %q (applied) or %q (not applied)",
				id, sql, got, userText(after), userText(before))
			set(nil)
		}
		return nil
	}
}

func userText(u *chaosUser) string {
	if u == nil {
		return ""
	}
	return fmt.Sprintf("%s %d %d", u.name, u.tier, u.score)
}

// changeStock adds a nonzero delta to one of the worker's SKUs: applying
// it twice would show.
func (w *chaosWorker) changeStock() {
	sku := int64(w.rng.Intn(chaosSKUs/chaosWorkers)*chaosWorkers + w.id)
	delta := int64(w.rng.Intn(19) - 9)
	if delta == 0 {
		delta = 10
	}
	w.m.mu.Lock()
	before := w.m.stock[sku]
	w.m.mu.Unlock()
	sql := fmt.Sprintf("UPDATE stock SET qty = qty + %d WHERE sku = %d", delta, sku)
	applied, unknown := w.exec(sql)
	set := func(q int64) {
		w.m.mu.Lock()
		w.m.stock[sku] = q
		w.m.mu.Unlock()
	}
	if applied {
		set(before + delta)
	}
	if !unknown {
		return
	}
	w.resolve = func(c *pgconn.PgConn) error {
		rows, err := readRows(c, fmt.Sprintf("SELECT qty FROM stock WHERE sku = %d", sku))
		if err != nil {
			return err
		}
		switch got := strings.Join(rows, "|"); got {
		case strconv.FormatInt(before+delta, 10):
			set(before + delta)
		case strconv.FormatInt(before, 10):
		default:
			w.m.fail("sku %d after an interrupted %q is %q: want %d or %d", sku, sql, got, before+delta, before)
		}
		return nil
	}
}

// readRows is query without failing the test: rows as space-joined text.
func readRows(c *pgconn.PgConn, sql string) ([]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	results, err := c.Exec(ctx, sql).ReadAll()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range results {
		for _, row := range r.Rows {
			vals := make([]string, len(row))
			for i, v := range row {
				vals[i] = "NULL"
				if v != nil {
					vals[i] = string(v)
				}
			}
			out = append(out, strings.Join(vals, " "))
		}
	}
	return out, nil
}

// check compares the server's streams, tables and views with the model.
func (m *chaosModel) check(t *testing.T, c *pgconn.PgConn) {
	m.mu.Lock()
	defer m.mu.Unlock()
	// Streams: every acknowledged row exactly once, an unknown one at most
	// once, nothing else. present holds the rows the views must reflect.
	presentClicks := map[int64]click{}
	presentOrders := map[int64]order{}
	var unknownIn, unknownOut int
	checkStream := func(name string, written map[int64]bool, rows []string, parse func(f []string) bool) {
		seen := map[int64]int{}
		for _, r := range rows {
			f := strings.Fields(r)
			id, _ := strconv.ParseInt(f[0], 10, 64)
			if !parse(f) {
				t.Errorf("%s row %q: no such row was written", name, r)
			}
			seen[id]++
		}
		for id, n := range seen {
			if n > 1 {
				t.Errorf("%s holds row %d %d times (status %d)", name, id, n, m.status[id])
			}
		}
		for id := range written {
			switch {
			case m.status[id] == rowAcked && seen[id] == 0:
				t.Errorf("%s lost acknowledged row %d", name, id)
			case m.status[id] == rowUnknown && seen[id] == 0:
				unknownOut++
			case m.status[id] == rowUnknown:
				unknownIn++
			}
		}
	}
	checkStream("clicks", idsOf(m.clicks), query(t, c, "SELECT id, user_id, amount, ts FROM clicks"), func(f []string) bool {
		id, _ := strconv.ParseInt(f[0], 10, 64)
		want, ok := m.clicks[id]
		ts := chaosBase.Add(time.Duration(id) * time.Millisecond).Format("2006-01-02 15:04:05.999999")
		if !ok || len(f) != 5 || f[1] != want.user || f[2] != strconv.FormatInt(want.amount, 10) || f[3]+" "+f[4] != ts {
			return false
		}
		presentClicks[id] = want
		return true
	})
	checkStream("orders", idsOf(m.orders), query(t, c, "SELECT id, user_id, amount FROM orders"), func(f []string) bool {
		id, _ := strconv.ParseInt(f[0], 10, 64)
		want, ok := m.orders[id]
		if !ok || len(f) != 3 || f[1] != strconv.FormatInt(want.user, 10) || f[2] != strconv.FormatInt(want.amount, 10) {
			return false
		}
		presentOrders[id] = want
		return true
	})
	t.Logf("chaos: clicks %d rows, orders %d rows; of rows with unknown outcome %d landed, %d did not",
		len(presentClicks), len(presentOrders), unknownIn, unknownOut)

	// Tables equal the model.
	var wantUsers, wantStock []string
	for id, u := range m.users {
		wantUsers = append(wantUsers, fmt.Sprintf("%d %s %d %d", id, u.name, u.tier, u.score))
	}
	for sku, q := range m.stock {
		wantStock = append(wantStock, fmt.Sprintf("%d %d", sku, q))
	}
	sameRows(t, "table users", query(t, c, "SELECT id, name, tier, score FROM users"), wantUsers)
	sameRows(t, "table stock", query(t, c, "SELECT sku, qty FROM stock"), wantStock)

	// Views equal a naive recomputation from what is present, and the
	// batch engine's answer to their query.
	want := map[string][]string{
		"win":         naiveWindows(presentClicks),
		"joined":      naiveJoin(presentOrders, m.users),
		"top3":        naiveTopN(m.users),
		"by_tier":     naiveByTier(m.users),
		"stock_total": naiveStockTotal(m.stock),
	}
	for _, v := range chaosViews {
		got := query(t, c, "SELECT * FROM "+v.name)
		sameRows(t, "view "+v.name+" against Go", got, want[v.name])
		sameRows(t, "view "+v.name+" against its query run ad hoc", got, query(t, c, v.query))
	}
	expectRows(t, query(t, c, "SELECT count(*) FROM weir_catalog.view_operators WHERE late_rows <> 0"), "0")
}

func idsOf[V any](m map[int64]V) map[int64]bool {
	out := make(map[int64]bool, len(m))
	for id := range m {
		out[id] = true
	}
	return out
}

func sameRows(t *testing.T, what string, got, want []string) {
	t.Helper()
	g := append([]string(nil), got...)
	w := append([]string(nil), want...)
	sort.Strings(g)
	sort.Strings(w)
	if strings.Join(g, "\n") == strings.Join(w, "\n") {
		return
	}
	// Report the difference, not both sets: they can be large.
	count := map[string]int{}
	for _, r := range g {
		count[r]++
	}
	for _, r := range w {
		count[r]--
	}
	var extra, missing []string
	for r, n := range count {
		for ; n > 0; n-- {
			extra = append(extra, r)
		}
		for ; n < 0; n++ {
			missing = append(missing, r)
		}
	}
	sort.Strings(extra)
	sort.Strings(missing)
	trim := func(s []string) []string {
		if len(s) > 20 {
			return append(s[:20:20], fmt.Sprintf("... %d more", len(s)-20))
		}
		return s
	}
	t.Errorf("%s: %d rows, want %d\nunexpected:\n  %s\nmissing:\n  %s", what, len(g), len(w),
		strings.Join(trim(extra), "\n  "), strings.Join(trim(missing), "\n  "))
}

func naiveWindows(clicks map[int64]click) []string {
	type key struct {
		start int64
		user  string
	}
	type agg struct{ n, sum int64 }
	groups := map[key]*agg{}
	for id, c := range clicks {
		k := key{id / 1000, c.user} // 1 s windows of 1 ms ids
		if groups[k] == nil {
			groups[k] = &agg{}
		}
		groups[k].n++
		groups[k].sum += c.amount
	}
	var out []string
	for k, a := range groups {
		start := chaosBase.Add(time.Duration(k.start) * time.Second).Format("2006-01-02 15:04:05")
		out = append(out, fmt.Sprintf("%s %s %d %d", start, k.user, a.n, a.sum))
	}
	return out
}

func naiveJoin(orders map[int64]order, users map[int64]*chaosUser) []string {
	var out []string
	for id, o := range orders {
		if u := users[o.user]; u != nil {
			out = append(out, fmt.Sprintf("%d %d %s %d", id, o.amount, u.name, u.tier))
		}
	}
	return out
}

func naiveTopN(users map[int64]*chaosUser) []string {
	byTier := map[int64][]int64{}
	for id, u := range users {
		byTier[u.tier] = append(byTier[u.tier], id)
	}
	var out []string
	for tier, ids := range byTier {
		sort.Slice(ids, func(i, j int) bool {
			a, b := users[ids[i]], users[ids[j]]
			if a.score != b.score {
				return a.score > b.score
			}
			return ids[i] < ids[j]
		})
		for rn, id := range ids[:min(len(ids), chaosTopN)] {
			out = append(out, fmt.Sprintf("%d %d %d %d", tier, id, users[id].score, rn+1))
		}
	}
	return out
}

func naiveByTier(users map[int64]*chaosUser) []string {
	type agg struct{ n, sum, best int64 }
	groups := map[int64]*agg{}
	for _, u := range users {
		a := groups[u.tier]
		if a == nil {
			a = &agg{best: u.score}
			groups[u.tier] = a
		}
		a.n++
		a.sum += u.score
		a.best = max(a.best, u.score)
	}
	var out []string
	for tier, a := range groups {
		out = append(out, fmt.Sprintf("%d %d %d %d", tier, a.n, a.sum, a.best))
	}
	return out
}

func naiveStockTotal(stock map[int64]int64) []string {
	var sum int64
	for _, q := range stock {
		sum += q
	}
	return []string{fmt.Sprintf("%d %d", len(stock), sum)}
}
