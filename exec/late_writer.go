package exec

import (
	"encoding/binary"
	"fmt"

	wlog "github.com/weir-db/weir/storage/log"
	"github.com/weir-db/weir/storage/state"
	"github.com/weir-db/weir/types"
)

// LateWriter delivers a view's late rows to its LATE ROWS INTO stream,
// exactly once. An epoch's late rows are staged in the epoch's state
// batch, so they commit atomically with the state that dropped them; after
// the commit they are appended to the stream's topic and unstaged. Every
// record carries a header naming the view, the staged batch and the row's
// place in it, so after a crash between the append and the unstaging,
// Deliver appends only what the topic lacks.
//
// Staged batches live in table Table under Prefix + sequence (big-endian):
//
//	value := hint(varint: the topic's end offset when staged) count(uvarint) (len(uvarint) row)*
type LateWriter struct {
	Topic  *wlog.Topic
	Types  []types.Type // the stream's columns
	ViewID uint32
	Table  uint32
	Prefix []byte

	seq uint64
}

const lateHeader = "weir-late"

// Stage writes rows (already laid out as the stream's columns) into the
// epoch's batch.
func (w *LateWriter) Stage(s StateStore, rows [][]types.Datum) error {
	if len(rows) == 0 {
		return nil
	}
	if w.seq == 0 {
		if err := w.loadSeq(s); err != nil {
			return err
		}
	}
	w.seq++
	v := binary.AppendVarint(nil, w.Topic.EndOffset(0))
	v = binary.AppendUvarint(v, uint64(len(rows)))
	for _, r := range rows {
		enc := types.AppendRow(nil, w.Types, r)
		v = binary.AppendUvarint(v, uint64(len(enc)))
		v = append(v, enc...)
	}
	return s.Set(w.Table, binary.BigEndian.AppendUint64(append([]byte(nil), w.Prefix...), w.seq), v)
}

// loadSeq continues the sequence after the last staged batch, or after
// the last one delivered (kept under Prefix + 0xff...).
func (w *LateWriter) loadSeq(s StateStore) error {
	v, err := s.Get(w.Table, w.seqKey())
	switch {
	case err == nil && len(v) == 8:
		w.seq = binary.BigEndian.Uint64(v)
	case err != nil && err != ErrNotFound:
		return err
	}
	return s.Scan(w.Table, w.Prefix, func(k, _ []byte) error {
		if len(k) == len(w.Prefix)+8 {
			w.seq = max(w.seq, binary.BigEndian.Uint64(k[len(w.Prefix):]))
		}
		return nil
	})
}

func (w *LateWriter) seqKey() []byte {
	return append(append([]byte(nil), w.Prefix...), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 's')
}

func (w *LateWriter) header(seq uint64, i int) []byte {
	return []byte(fmt.Sprintf("%d/%d/%d", w.ViewID, seq, i))
}

// Deliver appends every committed staged batch to the topic (skipping
// records a previous attempt appended) and unstages it. nowMs stamps the
// records.
func (w *LateWriter) Deliver(st *state.Store, nowMs int64) error {
	type staged struct {
		key  []byte
		seq  uint64
		hint int64
		rows [][]byte
	}
	var todo []staged
	err := st.Scan(w.Table, w.Prefix, func(k, v []byte) error {
		if len(k) != len(w.Prefix)+8 {
			return nil
		}
		s := staged{key: append([]byte(nil), k...), seq: binary.BigEndian.Uint64(k[len(w.Prefix):])}
		hint, n := binary.Varint(v)
		if n <= 0 {
			return types.Errorf(types.CodeDataCorrupted, "staged late rows are corrupt")
		}
		s.hint, v = hint, v[n:]
		count, n := binary.Uvarint(v)
		v = v[n:]
		for i := uint64(0); i < count; i++ {
			l, n := binary.Uvarint(v)
			if n <= 0 || uint64(len(v)-n) < l {
				return types.Errorf(types.CodeDataCorrupted, "staged late rows are corrupt")
			}
			s.rows = append(s.rows, append([]byte(nil), v[n:n+int(l)]...))
			v = v[n+int(l):]
		}
		todo = append(todo, s)
		return nil
	})
	if err != nil {
		return err
	}
	for _, s := range todo {
		present := map[string]bool{}
		if end := w.Topic.EndOffset(0); end > s.hint {
			for off := max(s.hint, w.Topic.StartOffset(0)); off < end; {
				next, err := w.Topic.Read(0, off, 1<<20, func(_ int64, r wlog.Record) error {
					for _, h := range r.Headers {
						if h.Key == lateHeader {
							present[string(h.Value)] = true
						}
					}
					return nil
				})
				if err != nil {
					return err
				}
				if next <= off {
					break
				}
				off = next
			}
		}
		var recs []wlog.Record
		for i, row := range s.rows {
			h := w.header(s.seq, i)
			if !present[string(h)] {
				recs = append(recs, wlog.Record{Value: row, Timestamp: nowMs, Headers: []wlog.Header{{Key: lateHeader, Value: h}}})
			}
		}
		for len(recs) > 0 {
			n := min(len(recs), 4096)
			if _, err := w.Topic.Append(0, recs[:n]); err != nil {
				return err
			}
			recs = recs[n:]
		}
		b := st.NewBatch()
		if err := b.Delete(w.Table, s.key); err != nil {
			b.Close()
			return err
		}
		if err := b.Set(w.Table, w.seqKey(), binary.BigEndian.AppendUint64(nil, s.seq)); err != nil {
			b.Close()
			return err
		}
		if err := b.Commit(); err != nil {
			return err
		}
	}
	return nil
}

// Discard drops every staged batch, for when the target stream is gone.
func (w *LateWriter) Discard(st *state.Store) (int, error) {
	var keys [][]byte
	if err := st.Scan(w.Table, w.Prefix, func(k, _ []byte) error {
		if len(k) == len(w.Prefix)+8 {
			keys = append(keys, append([]byte(nil), k...))
		}
		return nil
	}); err != nil {
		return 0, err
	}
	b := st.NewBatch()
	for _, k := range keys {
		if err := b.Delete(w.Table, k); err != nil {
			b.Close()
			return 0, err
		}
	}
	return len(keys), b.Commit()
}
