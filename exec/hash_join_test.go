package exec

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/weir-db/weir/types"
)

// lessExpr is a.(i) < b.(j) over int8 columns, NULL when either is NULL.
type lessExpr struct{ i, j int }

func (lessExpr) Type() types.Type { return types.TBool }
func (e lessExpr) EvalRow(row []types.Datum) (types.Datum, error) {
	a, b := row[e.i], row[e.j]
	if a == nil || b == nil {
		return nil, nil
	}
	return a.(int64) < b.(int64), nil
}

type sideChange struct {
	side int
	sign int64
	row  []types.Datum
	upd  bool // half of an update: U- or U+
}

func (c sideChange) op() Op {
	switch {
	case c.upd && c.sign < 0:
		return UpdateDelete
	case c.upd:
		return UpdateInsert
	}
	return opOf(c.sign)
}

// randomUpserts makes upsert changelogs on both sides, keyed by column 2
// (unique per inserted row): inserts, deletions, and updates (U- then
// U+ of one key) of column 1, which the tests' conditions read, that may
// move the row to another join key.
func randomUpserts(rng *rand.Rand, n int) []sideChange {
	var live [2][][]types.Datum
	var out []sideChange
	id := int64(0)
	newKey := func() types.Datum {
		if rng.Intn(10) == 0 {
			return nil
		}
		return int64(rng.Intn(4))
	}
	for len(out) < n {
		side := rng.Intn(2)
		if l := live[side]; len(l) > 0 && rng.Intn(2) == 0 {
			i := rng.Intn(len(l))
			old := l[i]
			if rng.Intn(3) == 0 {
				out = append(out, sideChange{side: side, sign: -1, row: old})
				live[side] = append(l[:i], l[i+1:]...)
				continue
			}
			row := []types.Datum{old[0], int64(rng.Intn(4)), old[2]}
			if rng.Intn(3) == 0 {
				row[0] = newKey()
			}
			out = append(out, sideChange{side, -1, old, true}, sideChange{side, 1, row, true})
			l[i] = row
			continue
		}
		id++
		row := []types.Datum{newKey(), int64(rng.Intn(4)), types.DTimestamp(id)}
		live[side] = append(live[side], row)
		out = append(out, sideChange{side: side, sign: 1, row: row})
	}
	return out
}

// randomChangelogs makes inserts and retractions of live rows on both
// sides: (k, v, ts) with small key domains and some NULL keys.
func randomChangelogs(rng *rand.Rand, n int) []sideChange {
	var live [2][][]types.Datum
	var out []sideChange
	for len(out) < n {
		side := rng.Intn(2)
		if len(live[side]) > 0 && rng.Intn(3) == 0 {
			i := rng.Intn(len(live[side]))
			out = append(out, sideChange{side: side, sign: -1, row: live[side][i]})
			live[side] = append(live[side][:i], live[side][i+1:]...)
			continue
		}
		var k types.Datum = int64(rng.Intn(4))
		if rng.Intn(10) == 0 {
			k = nil
		}
		row := []types.Datum{k, int64(rng.Intn(4)), types.DTimestamp(rng.Intn(100))}
		live[side] = append(live[side], row)
		out = append(out, sideChange{side: side, sign: 1, row: row})
	}
	return out
}

// naiveJoin joins the net multisets of both sides the slow way.
func naiveJoin(kind JoinType, cond Expr, changes []sideChange, ts [2][]types.Type) viewState {
	var rows [2][][]types.Datum
	net := [2]map[string]int64{{}, {}}
	seen := [2]map[string]bool{{}, {}}
	for _, c := range changes {
		k := formatRow(ts[c.side], c.row)
		if !seen[c.side][k] {
			seen[c.side][k] = true
			rows[c.side] = append(rows[c.side], c.row)
		}
		net[c.side][k] += c.sign
	}
	mult := func(side int, r []types.Datum) int64 { return net[side][formatRow(ts[side], r)] }
	outTypes := append(append([]types.Type(nil), ts[0]...), ts[1]...)
	want := viewState{}
	add := func(tys []types.Type, row []types.Datum, n int64) {
		if n > 0 {
			want[formatRow(tys, row)] += n
		}
	}
	matched := [2]map[int]bool{{}, {}}
	for i, l := range rows[0] {
		for j, r := range rows[1] {
			if l[0] == nil || r[0] == nil || l[0] != r[0] || mult(0, l) == 0 || mult(1, r) == 0 {
				continue
			}
			joined := append(append([]types.Datum(nil), l...), r...)
			if cond != nil {
				if v, _ := cond.EvalRow(joined); v != true {
					continue
				}
			}
			matched[0][i], matched[1][j] = true, true
			if kind != JoinSemi && kind != JoinAnti {
				add(outTypes, joined, mult(0, l)*mult(1, r))
			}
		}
	}
	nulls := func(n int) []types.Datum { return make([]types.Datum, n) }
	for i, l := range rows[0] {
		switch {
		case kind == JoinSemi && matched[0][i], kind == JoinAnti && !matched[0][i]:
			add(ts[0], l, mult(0, l))
		case (kind == JoinLeft || kind == JoinFull) && !matched[0][i]:
			add(outTypes, append(append([]types.Datum(nil), l...), nulls(3)...), mult(0, l))
		}
	}
	for j, r := range rows[1] {
		if (kind == JoinRight || kind == JoinFull) && !matched[1][j] {
			add(outTypes, append(nulls(3), r...), mult(1, r))
		}
	}
	return want
}

// TestHashJoinDifferential checks every join kind, with and without a
// residual condition, against a naive join of the final inputs, for
// random changelogs (inserts, retractions, NULL keys, duplicates) cut
// into random chunks and epochs.
func TestHashJoinDifferential(t *testing.T) {
	ts := [2][]types.Type{{types.TInt8, types.TInt8, types.TTimestamp}, {types.TInt8, types.TInt8, types.TTimestamp}}
	kinds := map[JoinType]string{JoinInner: "inner", JoinLeft: "left", JoinRight: "right", JoinFull: "full", JoinSemi: "semi", JoinAnti: "anti"}
	for kind, name := range kinds {
		for _, withCond := range []bool{false, true} {
			for seed := int64(0); seed < 24; seed++ {
				// Seeds 6.. declare the left side, 12.. both sides,
				// append-only (their retractions dropped from the input);
				// seeds 18.. are upsert changelogs, with keyed sides.
				appendOnly := [2]bool{seed >= 6 && seed < 18, seed >= 12 && seed < 18}
				keyed := seed >= 18
				t.Run(fmt.Sprintf("%s/cond=%v/%d", name, withCond, seed), func(t *testing.T) {
					rng := rand.New(rand.NewSource(seed))
					var cond Expr
					switch {
					case withCond && seed%2 == 0:
						cond = lessExpr{1, 4} // opaque: pairs are laid out whole
					case withCond:
						// Compiled: pairs carry only the columns it reads.
						cond = &Call{Func: "<", Args: []Expr{&ColRef{Idx: 1, T: types.TInt8}, &ColRef{Idx: 4, T: types.TInt8}}, T: types.TBool}
					}
					st := newTestStore(t)
					h := &StateHandle{}
					j := &HashJoin{Kind: kind, Types: ts, Keys: [2][]int{{0}, {0}}, Cond: cond, IDs: [2]uint32{30, 31}, Aux: 32, State: h}
					switch seed % 3 {
					case 1:
						j.CacheRows = 3 // evictions reload from state
					case 2:
						// State starts held whole, outgrows the cache midway;
						// restarts (Reset) find out anew whether it fits.
						j.CacheRows = 40
					}
					j.AppendOnly = appendOnly
					var changes []sideChange
					if keyed {
						j.Keyed = [2][]int{{2}, {2}}
						changes = randomUpserts(rng, 200)
					} else {
						for _, c := range randomChangelogs(rng, 200) {
							if c.sign > 0 || !appendOnly[c.side] {
								changes = append(changes, c)
							}
						}
					}
					got := viewState{}
					for i := 0; i < len(changes); {
						b := st.NewBatch()
						h.Store = b
						for e := rng.Intn(4); e >= 0 && i < len(changes); e-- {
							side := changes[i].side
							cb := NewChunkBuilder(ts[side])
							for n := 1 + rng.Intn(5); n > 0 && i < len(changes) && changes[i].side == side; n-- {
								cb.Append(changes[i].op(), changes[i].row)
								i++
							}
							out, err := j.ProcessSide(side, Message{Chunk: cb.Build()})
							if err != nil {
								t.Fatal(err)
							}
							for _, m := range out {
								got.apply(t, m.Chunk)
							}
						}
						if err := b.Commit(); err != nil {
							t.Fatal(err)
						}
						if seed%3 == 2 && rng.Intn(5) == 0 {
							j.Reset()
						}
					}
					if want := naiveJoin(kind, cond, changes, ts); got.String() != want.String() {
						t.Fatalf("incremental join differs from naive join\ngot:\n%s\nwant:\n%s", got, want)
					}
				})
			}
		}
	}
}

// intervalVariant is one way TestIntervalJoinExpiry runs its join.
type intervalVariant struct {
	name       string
	appendOnly bool
	unit       int64 // microseconds per tick of the test's clock
	cacheRows  int
	restarts   bool
	legacy     bool // the first half is written without buckets (keyed: by whole rows)
	// keyed sides are upsert changelogs keyed by column 1, which is
	// unique per inserted row: they also update rows, U- then U+.
	keyed bool
}

// TestIntervalJoinExpiry checks a join bounded by time on both sides:
// rows expire as watermarks pass, late rows are dropped and counted, and
// the output equals a naive join of the rows that were not late (less the
// rows retracted). It runs with changelog sides (which also retract rows
// still held) and append-only sides, both in expiry buckets (times scaled
// so rows spread over many buckets), with small caches and restarts, and
// with sides whose first rows were stored with an expiry index, as before
// buckets existed.
func TestIntervalJoinExpiry(t *testing.T) {
	ts := [2][]types.Type{{types.TInt8, types.TInt8, types.TTimestamp}, {types.TInt8, types.TInt8, types.TTimestamp}}
	variants := []intervalVariant{
		{name: "changelog/one-bucket", unit: 1},
		{name: "changelog/buckets", unit: 100_000},
		{name: "changelog/buckets/small-cache", unit: 100_000, cacheRows: 3, restarts: true},
		{name: "changelog/index", unit: 100_000, cacheRows: 40, restarts: true, legacy: true},
		{name: "buckets", appendOnly: true, unit: 100_000},
		{name: "buckets/small-cache", appendOnly: true, unit: 100_000, cacheRows: 3, restarts: true},
		{name: "buckets/whole-then-not", appendOnly: true, unit: 100_000, cacheRows: 40, restarts: true},
		{name: "buckets/one-bucket", appendOnly: true, unit: 1, restarts: true},
		{name: "legacy", appendOnly: true, unit: 100_000, cacheRows: 40, restarts: true, legacy: true},
		{name: "keyed/one-bucket", unit: 1, keyed: true},
		{name: "keyed/buckets", unit: 100_000, keyed: true},
		{name: "keyed/buckets/small-cache", unit: 100_000, cacheRows: 3, restarts: true, keyed: true},
		{name: "keyed/whole-then-not", unit: 100_000, cacheRows: 40, restarts: true, keyed: true},
		{name: "keyed/after-whole-rows", unit: 100_000, cacheRows: 40, restarts: true, legacy: true, keyed: true},
	}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			for seed := int64(0); seed < 20; seed++ {
				intervalJoinRun(t, ts, v, seed)
			}
		})
	}
}

func intervalJoinRun(t *testing.T, ts [2][]types.Type, v intervalVariant, seed int64) {
	appendOnly, unit, cacheRows, restarts, legacy := v.appendOnly, v.unit, v.cacheRows, v.restarts, v.legacy
	// right.ts BETWEEN left.ts AND left.ts + 10 ticks: left rows expire
	// when the right watermark passes left.ts + 10, right rows when the
	// left watermark passes right.ts.
	cond := betweenExpr{unit: unit}
	rng := rand.New(rand.NewSource(seed))
	st := newTestStore(t)
	h := &StateHandle{}
	j := &HashJoin{Kind: JoinInner, Types: ts, Keys: [2][]int{{0}, {0}}, Cond: cond, IDs: [2]uint32{30, 31}, Aux: 32, State: h,
		Timed:      [2]bool{true, true},
		Expire:     [2]*JoinExpiry{{Col: 2, Delta: 10 * unit, OtherCol: 2}, {Col: 2, Delta: 0, OtherCol: 2}},
		AppendOnly: [2]bool{appendOnly, appendOnly}, CacheRows: cacheRows, unbucketed: legacy && !v.keyed}
	keyed := [2][]int{{1}, {1}}
	if v.keyed && !legacy {
		j.Keyed = keyed
	}
	nextID := int64(0)
	var accepted []sideChange
	wm := [2]int64{-1 << 62, -1 << 62}
	got := viewState{}
	var late int64
	clock := int64(0)
	const steps = 400
	for step := 0; step < steps; step++ {
		if legacy && step == steps/2 {
			j.unbucketed = false
			if v.keyed {
				j.Keyed = keyed
			}
			j.Reset()
		}
		b := st.NewBatch()
		h.Store = b
		side := rng.Intn(2)
		var msg Message
		if rng.Intn(5) == 0 {
			w := (clock - int64(rng.Intn(8))) * unit
			msg = Message{Watermark: &w}
			if w > wm[side] {
				wm[side] = w
			}
		} else if i := updatable(rng, v.keyed, accepted, side, wm, unit); i >= 0 {
			// An update of a held row: the same key, maybe another join
			// key, maybe another time (and so bucket), maybe late.
			old := accepted[i].row
			accepted = append(accepted[:i], accepted[i+1:]...)
			row := []types.Datum{int64(rng.Intn(3)), old[1], old[2]}
			if rng.Intn(2) == 0 {
				clock += int64(rng.Intn(3))
				row[2] = types.DTimestamp((clock - int64(rng.Intn(12))) * unit)
			}
			if int64(row[2].(types.DTimestamp)) < wm[side] {
				late++
			} else {
				accepted = append(accepted, sideChange{side: side, sign: 1, row: row})
			}
			cb := NewChunkBuilder(ts[side])
			cb.Append(UpdateDelete, old)
			cb.Append(UpdateInsert, row)
			msg = Message{Chunk: cb.Build()}
		} else if i := retractable(rng, accepted, side, wm, unit); !appendOnly && i >= 0 {
			row := accepted[i].row
			accepted = append(accepted[:i], accepted[i+1:]...)
			cb := NewChunkBuilder(ts[side])
			cb.Append(Delete, row)
			msg = Message{Chunk: cb.Build()}
		} else {
			clock += int64(rng.Intn(3))
			at := clock - int64(rng.Intn(12))
			var tcol types.Datum = types.DTimestamp(at * unit)
			if rng.Intn(40) == 0 {
				tcol = nil // never matches; expires first
			}
			row := []types.Datum{int64(rng.Intn(3)), int64(rng.Intn(4)), tcol}
			if v.keyed {
				nextID++
				row[1] = nextID
			}
			switch {
			case tcol != nil && at*unit < wm[side]:
				late++
			case tcol != nil:
				accepted = append(accepted, sideChange{side: side, sign: 1, row: row})
			}
			cb := NewChunkBuilder(ts[side])
			cb.Append(Insert, row)
			msg = Message{Chunk: cb.Build()}
		}
		out, err := j.ProcessSide(side, msg)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range out {
			if m.Chunk != nil {
				got.apply(t, m.Chunk)
			}
		}
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
		if restarts && rng.Intn(25) == 0 {
			j.Reset()
		}
	}
	if want := naiveJoin(JoinInner, cond, accepted, ts); got.String() != want.String() {
		t.Fatalf("seed %d: interval join differs from naive join of on-time rows\ngot:\n%s\nwant:\n%s", seed, got, want)
	}
	if l, _, _ := ReadCounters(st.Get, 32); l != late {
		t.Fatalf("seed %d: late count %d, want %d", seed, l, late)
	}
	// Far watermarks on both sides (past the last rows' buckets) leave no
	// state behind.
	b := st.NewBatch()
	h.Store = b
	far := (clock+1000)*unit + 2*joinBucketWidth(10*unit)
	for side := 0; side < 2; side++ {
		if _, err := j.ProcessSide(side, Message{Watermark: &far}); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, id := range []uint32{30, 31} {
		st.Scan(id, nil, func(k, v []byte) error { left = append(left, fmt.Sprint(id)); return nil })
	}
	if len(left) > 0 {
		t.Fatalf("seed %d: %d state rows survive watermarks past every bound: %s", seed, len(left), strings.Join(left, ","))
	}
	if j.cache[0].rows+j.cache[1].rows != 0 {
		t.Fatalf("seed %d: %d expired rows still cached", seed, j.cache[0].rows+j.cache[1].rows)
	}
}

// retractable picks, one time in four, an accepted row of side that the
// join still holds (neither late on its side nor expired by the other
// side's watermark), or returns -1.
func retractable(rng *rand.Rand, accepted []sideChange, side int, wm [2]int64, unit int64) int {
	if rng.Intn(4) != 0 {
		return -1
	}
	return heldRow(rng, accepted, side, wm, unit)
}

// updatable picks, for keyed sides one time in three, an accepted row of
// side that the join still holds, or returns -1.
func updatable(rng *rand.Rand, keyed bool, accepted []sideChange, side int, wm [2]int64, unit int64) int {
	if !keyed || rng.Intn(3) != 0 {
		return -1
	}
	return heldRow(rng, accepted, side, wm, unit)
}

// heldRow picks an accepted row of side that the join still holds, or
// returns -1.
func heldRow(rng *rand.Rand, accepted []sideChange, side int, wm [2]int64, unit int64) int {
	delta := [2]int64{10 * unit, 0}
	var ok []int
	for i, c := range accepted {
		t, timed := c.row[2].(types.DTimestamp)
		if c.side == side && timed && int64(t) >= wm[side] && int64(t)+delta[side] >= wm[1-side] {
			ok = append(ok, i)
		}
	}
	if len(ok) == 0 {
		return -1
	}
	return ok[rng.Intn(len(ok))]
}

// betweenExpr is right.ts BETWEEN left.ts AND left.ts + 10 ticks over
// the joined row (left ts at 2, right ts at 5); NULL times never match.
type betweenExpr struct{ unit int64 }

func (betweenExpr) Type() types.Type { return types.TBool }
func (x betweenExpr) EvalRow(row []types.Datum) (types.Datum, error) {
	l, ok1 := row[2].(types.DTimestamp)
	r, ok2 := row[5].(types.DTimestamp)
	if !ok1 || !ok2 {
		return nil, nil
	}
	return r >= l && int64(r) <= int64(l)+10*x.unit, nil
}
