package exec

import (
	"encoding/binary"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/weir-db/weir/types"
)

// OrderKey orders rows by an expression.
type OrderKey struct {
	E          Expr
	Desc       bool
	NullsFirst bool
}

// TopN keeps, per partition, the rows ranked within Limit after Offset by
// Order, and outputs the changes to that set: when a change moves rows in
// or out of the top (or changes their rank), the old rows are retracted
// and the new ones inserted. Func (row_number, rank or dense_rank) appends
// the rank as a column; "" appends none (ORDER BY ... LIMIT).
//
// State table ID: key = partition key ‖ order key ‖ row key, value =
// varint count ‖ varint order key length ‖ row. Over an append-only input
// a row that falls out of the top can never return, so the operator
// forgets it and each partition's state stays within the top rows.
//
// When that top is one row (row_number or LIMIT 1, no offset, over
// append-only input) a partition holds at most one row, stored under the
// partition key alone (see top_n_single.go).
type TopN struct {
	Types           []types.Type
	Partition       []Expr
	Order           []OrderKey
	Func            string
	Limit, Offset   int64
	AppendOnlyInput bool
	ID              uint32
	State           *StateHandle
	// CacheRows bounds the rows kept decoded in memory (0: a default).
	CacheRows int

	parts  map[string]*topPartition
	cached int
	// need marks the input columns the keys read (see keyColumns).
	need   []bool
	outBuf []byte // emit's buffer
	// entryBuf is encodeEntry's buffer (the store copies it); encHint
	// sizes a new row's encoding, its last length.
	entryBuf []byte
	encHint  int
	// absent tells partitions certainly without stored rows.
	absent absentFilter
	// layout is the state layout in use, chosen at first use.
	layout topLayout
	// legacyLayout is a test knob: choose the multi-row layout as state
	// stored before the single-row layout existed did.
	legacyLayout bool
}

// topDiffPairScan bounds the pairs diff compares one by one before it
// indexes after by row (a variable for tests).
var topDiffPairScan = 1024

// topRow is one output row of a partition's top set: its entry and its
// rank. diff identifies output rows by both.
type topRow struct {
	e    *topEntry
	rank int64
}

// Process implements Operator.
func (t *TopN) Process(m Message) ([]Message, error) {
	if m.Chunk == nil {
		return []Message{m}, nil
	}
	c := m.Chunk
	if t.need == nil || len(t.need) != len(c.Types) {
		t.need = t.keyColumns(len(c.Types))
	}
	var order []string
	parts := map[string][]topChange{}
	buf := make([]types.Datum, len(c.Types))
	for i := 0; i < c.Len(); i++ {
		// The keys need only the columns they read; the whole row is
		// decoded only for a row that enters the top.
		row := buf
		if t.need[len(c.Types)] {
			row = c.Row(i, buf)
		} else {
			for j, ty := range c.Types {
				if t.need[j] {
					row[j] = types.GetDatum(c.Rec.Column(j), ty, i)
				}
			}
		}
		pk, err := t.partitionKey(row)
		if err != nil {
			return nil, err
		}
		ok, err := t.orderKey(row)
		if err != nil {
			return nil, err
		}
		if _, seen := parts[string(pk)]; !seen {
			order = append(order, string(pk))
		}
		parts[string(pk)] = append(parts[string(pk)], topChange{c: c, i: i, ok: ok, sign: c.Ops[i].Sign()})
	}
	out := NewChunkBuilder(t.outTypes())
	for _, pk := range order {
		before, err := t.top([]byte(pk), false)
		if err != nil {
			return nil, err
		}
		for _, ch := range parts[pk] {
			if err := t.apply([]byte(pk), ch); err != nil {
				return nil, err
			}
		}
		after, err := t.top([]byte(pk), t.AppendOnlyInput)
		if err != nil {
			return nil, err
		}
		if err := t.diff(before, after, out); err != nil {
			return nil, err
		}
	}
	if oc := out.Build(); oc != nil {
		return []Message{{Chunk: oc}}, nil
	}
	return nil, nil
}

func (t *TopN) outTypes() []types.Type {
	if t.Func == "" {
		return t.Types
	}
	return append(append([]types.Type(nil), t.Types...), types.TInt8)
}

// emit appends output row r with op: from its entry's encoding when it
// has one, with the rank's encoding after it.
func (t *TopN) emit(out *ChunkBuilder, op Op, r topRow) error {
	if r.e.enc != nil {
		buf := r.e.enc
		if t.Func != "" {
			buf = types.AppendRowInt(append(t.outBuf[:0], buf...), r.rank)
			t.outBuf = buf
		}
		return out.AppendEncoded(op, buf, nil)
	}
	row := r.e.row
	if t.Func != "" {
		row = append(append([]types.Datum(nil), row...), r.rank)
	}
	out.Append(op, row)
	return nil
}

// diff emits the retractions and insertions that turn before into after.
// Output rows are matched by the entry they come from and their rank, so
// unchanged rows cost no encoding; an entry reloaded from state in between
// only makes an equal row retracted and inserted again.
func (t *TopN) diff(before, after []topRow, out *ChunkBuilder) error {
	kept := make([]bool, len(after))
	var at map[topRow][]int // for long tops: after's positions by row
	if len(before)*len(after) > topDiffPairScan {
		at = make(map[topRow][]int, len(after))
		for j, a := range after {
			at[a] = append(at[a], j)
		}
	}
	for _, r := range before {
		found := false
		if at != nil {
			if js := at[r]; len(js) > 0 {
				kept[js[0]], found = true, true
				at[r] = js[1:]
			}
		} else {
			for j, a := range after {
				if !kept[j] && r == a {
					kept[j], found = true, true
					break
				}
			}
		}
		if !found {
			if err := t.emit(out, Delete, r); err != nil {
				return err
			}
		}
	}
	for j, a := range after {
		if !kept[j] {
			if err := t.emit(out, Insert, a); err != nil {
				return err
			}
		}
	}
	return nil
}

// topChange is a row of a chunk on its way into its partition, with its
// order key.
type topChange struct {
	c    *Chunk
	i    int
	ok   []byte
	sign int64
}

// keyColumns marks the input columns (of n) the partition and order
// keys read; the extra last mark says they read all (it cannot tell).
func (t *TopN) keyColumns(n int) []bool {
	need := make([]bool, n+1)
	for _, e := range t.Partition {
		need[n] = need[n] || !markColumns(e, need[:n])
	}
	for _, o := range t.Order {
		need[n] = need[n] || !markColumns(o.E, need[:n])
	}
	return need
}

func (t *TopN) partitionKey(row []types.Datum) ([]byte, error) {
	var k []byte
	for _, e := range t.Partition {
		v, err := e.EvalRow(row)
		if err != nil {
			return nil, err
		}
		k = types.AppendKey(k, e.Type(), v, false)
	}
	return k, nil
}

func (t *TopN) orderKey(row []types.Datum) ([]byte, error) { return appendOrderKey(nil, t.Order, row) }

// appendOrderKey appends row's key under order: its bytes sort as the
// rows do.
func appendOrderKey(k []byte, order []OrderKey, row []types.Datum) ([]byte, error) {
	for _, o := range order {
		v, err := o.E.EvalRow(row)
		if err != nil {
			return nil, err
		}
		// NULLs sort first or last whatever the direction.
		if (v == nil) == o.NullsFirst {
			k = append(k, 0)
		} else {
			k = append(k, 1)
		}
		k = types.AppendKey(k, o.E.Type(), v, o.Desc)
	}
	return k, nil
}

// apply adds the change's sign to its row's multiplicity in partition pk.
func (t *TopN) apply(pk []byte, ch topChange) error {
	part, err := t.partition(pk)
	if err != nil {
		return err
	}
	if t.layout == topSingle {
		return t.applySingle(pk, part, ch)
	}
	ok, sign := ch.ok, ch.sign
	cols := ch.c.Rec.Columns()
	suffix := appendRowKeyFrom(ok, t.Types, cols, ch.i)
	i, found := part.find(suffix)
	if !found && sign > 0 && t.AppendOnlyInput && t.rankAt(part, i, len(ok), suffix) > t.Offset+t.Limit {
		// It would land below the top and be forgotten at once.
		return nil
	}
	if !found {
		if sign < 0 {
			if t.AppendOnlyInput {
				// A forgotten row: it had left the top set for good.
				return nil
			}
			return types.Errorf(types.CodeDataCorrupted, "top-N received a retraction for a row it does not hold")
		}
		// Kept encoded, from the chunk: no datums (see topEntry).
		part.insert(i, &topEntry{suffix: suffix, orderLen: len(ok), enc: t.encodeRow(cols, ch.i)})
		t.cached++
	}
	e := part.entries[i]
	e.count += sign
	key := t.stateKey(pk, e)
	if e.count == 0 {
		part.remove(i)
		t.cached--
		return t.State.Store.Delete(t.ID, key)
	}
	if err := t.State.Store.Set(t.ID, key, t.encodeEntry(e)); err != nil {
		return err
	}
	if len(part.entries) == 1 && e.count == sign {
		return t.absent.note(pk, t.scanPartitions) // the partition's first row
	}
	return nil
}

// scanPartitions calls fn with the partition key of every stored row.
func (t *TopN) scanPartitions(fn func(k, v []byte) error) error {
	return t.State.Store.Scan(t.ID, nil, func(k, v []byte) error {
		if isTopLayoutKey(k) {
			return nil
		}
		_, _, row, err := t.decodeEntry(v)
		if err != nil {
			return err
		}
		pk, err := t.partitionKey(row)
		if err != nil {
			return err
		}
		return fn(pk, nil)
	})
}

// encodeEntry is entry e's state value.
func (t *TopN) encodeEntry(e *topEntry) []byte {
	val := binary.AppendVarint(t.entryBuf[:0], e.count)
	val = binary.AppendVarint(val, int64(e.orderLen))
	if e.enc != nil {
		val = append(val, e.enc...)
	} else {
		val = types.AppendRow(val, t.Types, e.row)
	}
	t.entryBuf = val
	return val
}

// encodeRow encodes row i of cols in a buffer of its own, sized like the
// last row's so it seldom grows.
func (t *TopN) encodeRow(cols []arrow.Array, i int) []byte {
	enc := types.AppendRowFrom(make([]byte, 0, t.encHint), t.Types, cols, i)
	t.encHint = len(enc) + len(enc)/8
	return enc
}

// decodeEntry decodes a state value: the row's count, the length of its
// order key, and the row.
func (t *TopN) decodeEntry(v []byte) (int64, int, []types.Datum, error) {
	n, w := binary.Varint(v)
	olen, w2 := binary.Varint(v[max(w, 0):])
	if w <= 0 || w2 <= 0 || n <= 0 || olen < 0 {
		return 0, 0, nil, types.Errorf(types.CodeDataCorrupted, "corrupt top-N state entry")
	}
	row, err := types.DecodeRow(v[w+w2:], t.Types, nil)
	return n, int(olen), row, err
}

// rankAt is the rank a new row with this suffix would take at position i
// of the partition.
func (t *TopN) rankAt(part *topPartition, i, orderLen int, suffix []byte) int64 {
	var before, distinct int64
	var prev []byte
	for _, e := range part.entries[:i] {
		ord := e.suffix[:e.orderLen]
		if t.Func == "rank" && string(ord) == string(suffix[:orderLen]) {
			break // ties share the first tied row's rank
		}
		before += e.count
		if prev == nil || string(ord) != string(prev) {
			distinct++
			prev = ord
		}
	}
	switch t.Func {
	case "dense_rank":
		if prev != nil && string(prev) == string(suffix[:orderLen]) {
			return distinct
		}
		return distinct + 1
	}
	return before + 1
}

// top lists partition pk's top set in order, with ranks. With forget it
// deletes the rows after it.
func (t *TopN) top(pk []byte, forget bool) ([]topRow, error) {
	part, err := t.partition(pk)
	if err != nil {
		return nil, err
	}
	var out []topRow
	var pos, rank, dense int64
	var prevOrder []byte
	end := t.Offset + t.Limit
	for at, e := range part.entries {
		ord := e.suffix[:e.orderLen]
		beyond := false
		for i := int64(0); i < e.count; i++ {
			pos++
			if prevOrder == nil || string(ord) != string(prevOrder) {
				rank, dense = pos, dense+1
				prevOrder = ord
			}
			var r int64
			switch t.Func {
			case "rank":
				r = rank
			case "dense_rank":
				r = dense
			default:
				r = pos
			}
			if r > end {
				beyond = i == 0
				break
			}
			if r > t.Offset {
				out = append(out, topRow{e: e, rank: r - t.Offset})
			}
		}
		if !beyond {
			continue
		}
		if forget && t.layout == topSingle {
			// The rows left share the partition's one key, which the top
			// row's write has already taken over.
			t.cached -= len(part.entries) - at
			part.entries = part.entries[:at]
		} else if forget {
			for _, d := range part.entries[at:] {
				if err := t.State.Store.Delete(t.ID, append(append([]byte(nil), pk...), d.suffix...)); err != nil {
					return nil, err
				}
			}
			t.cached -= len(part.entries) - at
			part.entries = part.entries[:at]
		}
		break
	}
	return out, nil
}
