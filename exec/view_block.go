package exec

import (
	"encoding/binary"

	"github.com/weir-db/weir/types"
)

// An append-only view with no index and no subscriber stores its rows in
// blocks: one state entry holds up to viewBlockBytes of consecutive rows,
// so Pebble inserts, flushes and compacts one key per block instead of one
// per row. A block's key is its first row's sequence then the task (the
// block takes its rows' sequence numbers, so the per-row keys an index
// needs, see SplitViewBlock, never collide). Its value is the negated
// row count as a varint, where a single row has its positive
// multiplicity, then each row as a uvarint length and its encoding.
const viewBlockBytes = 32 << 10

// viewBlock builds one block value.
type viewBlock struct {
	rows int
	body []byte
}

func (b *viewBlock) reset() { b.rows, b.body = 0, b.body[:0] }

// value is the finished block: its header, then the rows.
func (b *viewBlock) value(buf []byte) []byte {
	return append(binary.AppendVarint(buf[:0], -int64(b.rows)), b.body...)
}

// ForEachViewRow calls fn with each row a view table value holds and the
// row's multiplicity: one row for a plain entry, each of a block's rows
// once. Each row is decoded afresh, so fn may keep it.
func ForEachViewRow(v []byte, ts []types.Type, fn func(row []types.Datum, n int64) error) error {
	n, w := binary.Varint(v)
	if w <= 0 {
		return types.Errorf(types.CodeDataCorrupted, "corrupt view row")
	}
	if n >= 0 {
		row, err := types.DecodeRow(v[w:], ts, nil)
		if err != nil {
			return err
		}
		return fn(row, n)
	}
	return eachBlockRow(v[w:], -n, func(raw []byte) error {
		row, err := types.DecodeRow(raw, ts, nil)
		if err != nil {
			return err
		}
		return fn(row, 1)
	})
}

// SplitViewBlock returns the row encodings of a block value, or false for
// a plain entry.
func SplitViewBlock(v []byte) ([][]byte, bool, error) {
	n, w := binary.Varint(v)
	if w <= 0 {
		return nil, false, types.Errorf(types.CodeDataCorrupted, "corrupt view row")
	}
	if n >= 0 {
		return nil, false, nil
	}
	var rows [][]byte
	err := eachBlockRow(v[w:], -n, func(raw []byte) error {
		rows = append(rows, raw)
		return nil
	})
	return rows, true, err
}

// ViewBlockKeys is the per-row keys of the n rows of the block stored
// under key: the sequence numbers the block took, each with its task.
func ViewBlockKeys(key []byte, n int) ([][]byte, error) {
	if len(key) != 9 {
		return nil, types.Errorf(types.CodeDataCorrupted, "view row block under a %d-byte key", len(key))
	}
	first := binary.BigEndian.Uint64(key)
	keys := make([][]byte, n)
	for i := range keys {
		keys[i] = binary.BigEndian.AppendUint64(make([]byte, 0, 9), first+uint64(i))
		keys[i] = append(keys[i], key[8])
	}
	return keys, nil
}

// ViewRowEntry is the plain entry of one row (multiplicity 1) from its
// encoding.
func ViewRowEntry(raw []byte) []byte {
	return append(binary.AppendVarint(nil, 1), raw...)
}

func eachBlockRow(body []byte, n int64, fn func(raw []byte) error) error {
	for ; n > 0; n-- {
		l, w := binary.Uvarint(body)
		if w <= 0 || uint64(len(body)-w) < l {
			return types.Errorf(types.CodeDataCorrupted, "corrupt view row block")
		}
		if err := fn(body[w : w+int(l)]); err != nil {
			return err
		}
		body = body[w+int(l):]
	}
	if len(body) != 0 {
		return types.Errorf(types.CodeDataCorrupted, "corrupt view row block: %d bytes past its rows", len(body))
	}
	return nil
}
