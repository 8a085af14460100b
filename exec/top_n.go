package exec

import (
	"encoding/binary"

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
	// absent tells partitions certainly without stored rows.
	absent absentFilter
}

// topRow is one output row of a partition's top set.
type topRow struct {
	row  []types.Datum
	rank int64
}

// Process implements Operator.
func (t *TopN) Process(m Message) ([]Message, error) {
	if m.Chunk == nil {
		return []Message{m}, nil
	}
	c := m.Chunk
	type change struct {
		row  []types.Datum
		sign int64
	}
	var order []string
	parts := map[string][]change{}
	for i := 0; i < c.Len(); i++ {
		row := c.Row(i, nil)
		pk, err := t.partitionKey(row)
		if err != nil {
			return nil, err
		}
		if _, ok := parts[string(pk)]; !ok {
			order = append(order, string(pk))
		}
		parts[string(pk)] = append(parts[string(pk)], change{row, c.Ops[i].Sign()})
	}
	out := NewChunkBuilder(t.outTypes())
	for _, pk := range order {
		before, err := t.top([]byte(pk), false)
		if err != nil {
			return nil, err
		}
		for _, ch := range parts[pk] {
			if err := t.apply([]byte(pk), ch.row, ch.sign); err != nil {
				return nil, err
			}
		}
		after, err := t.top([]byte(pk), t.AppendOnlyInput)
		if err != nil {
			return nil, err
		}
		t.diff(before, after, out)
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

func (t *TopN) outRow(r topRow) []types.Datum {
	if t.Func == "" {
		return r.row
	}
	return append(append([]types.Datum(nil), r.row...), r.rank)
}

// diff emits the retractions and insertions that turn before into after.
func (t *TopN) diff(before, after []topRow, out *ChunkBuilder) {
	ots := t.outTypes()
	count := map[string]int{}
	for _, r := range after {
		count[string(RowKey(ots, t.outRow(r)))]++
	}
	for _, r := range before {
		row := t.outRow(r)
		k := string(RowKey(ots, row))
		if count[k] > 0 {
			count[k]--
			continue
		}
		out.Append(Delete, row)
	}
	for _, r := range after {
		row := t.outRow(r)
		k := string(RowKey(ots, row))
		if count[k] > 0 {
			count[k]--
			out.Append(Insert, row)
		}
	}
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

func (t *TopN) orderKey(row []types.Datum) ([]byte, error) {
	var k []byte
	for _, o := range t.Order {
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

// apply adds sign to row's multiplicity in partition pk.
func (t *TopN) apply(pk []byte, row []types.Datum, sign int64) error {
	ok, err := t.orderKey(row)
	if err != nil {
		return err
	}
	part, err := t.partition(pk)
	if err != nil {
		return err
	}
	suffix := append(ok, RowKey(t.Types, row)...)
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
		part.insert(i, &topEntry{suffix: suffix, orderLen: len(ok), row: append([]types.Datum(nil), row...)})
		t.cached++
	}
	e := part.entries[i]
	e.count += sign
	key := append(append([]byte(nil), pk...), e.suffix...)
	if e.count == 0 {
		part.remove(i)
		t.cached--
		return t.State.Store.Delete(t.ID, key)
	}
	val := binary.AppendVarint(nil, e.count)
	val = binary.AppendVarint(val, int64(e.orderLen))
	if err := t.State.Store.Set(t.ID, key, types.AppendRow(val, t.Types, e.row)); err != nil {
		return err
	}
	if len(part.entries) == 1 && e.count == sign {
		return t.absent.note(pk, t.scanPartitions) // the partition's first row
	}
	return nil
}

// scanPartitions calls fn with the partition key of every stored row.
func (t *TopN) scanPartitions(fn func(k, v []byte) error) error {
	return t.State.Store.Scan(t.ID, nil, func(_, v []byte) error {
		n, w := binary.Varint(v)
		_, w2 := binary.Varint(v[max(w, 0):])
		if w <= 0 || w2 <= 0 || n <= 0 {
			return types.Errorf(types.CodeDataCorrupted, "corrupt top-N state entry")
		}
		row, err := types.DecodeRow(v[w+w2:], t.Types, nil)
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
				out = append(out, topRow{row: e.row, rank: r - t.Offset})
			}
		}
		if !beyond {
			continue
		}
		if forget {
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
