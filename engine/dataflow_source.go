package engine

import (
	"encoding/binary"
	"fmt"
	"strconv"

	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/weir-db/weir/exec"
	"github.com/weir-db/weir/sql"
	wlog "github.com/weir-db/weir/storage/log"
	"github.com/weir-db/weir/types"
	"github.com/weir-db/weir/windowing"
)

// flowSource is one input topic of a dataflow: the view's read positions
// in it, and its event-time tracker when the stream has a WATERMARK. A
// view reading the same stream twice (a self-join) reads it once and
// feeds both leaves.
type flowSource struct {
	obj   *object
	topic *wlog.Topic
	types []types.Type
	// recTypes are the records' columns when they differ from the rows'
	// (a view read through its changelog carries weir_diff last).
	recTypes []types.Type
	index    int
	offsets  []int64 // next offset to read, per partition
	tracker  *windowing.Tracker
	// keep marks the columns the view reads (nil: all); the others are
	// decoded as NULLs. keepAll is set once some scan reads them all.
	keep    []bool
	keepAll bool
	// rowBytes is, per variable-width column, the bytes of values a row
	// held on average in the last chunk: what the next one reserves.
	rowBytes []int
	// rowBuf and blocks are the last read's rows and value blocks, filled
	// again by the next read: an epoch is done with its rows (decoded
	// into chunks, which copy the values) before the loop reads again.
	rowBuf []sourceRow
	blocks [][]byte

	committed []int64 // guarded by the dataflow's mu
}

// need adds the columns one scan of the source reads (planner's
// Plan.SourceCols; nil: all of them).
func (fs *flowSource) need(cols []bool) {
	switch {
	case fs.keepAll:
	case cols == nil || len(cols) != len(fs.types):
		fs.keepAll, fs.keep = true, nil
	default:
		if fs.keep == nil {
			fs.keep = make([]bool, len(cols))
		}
		for i, c := range cols {
			fs.keep[i] = fs.keep[i] || c
		}
	}
}

// sourceSuffix tells the progress keys of a view's sources apart; the
// first source's keys have none, as before views had several.
func sourceSuffix(i int) string {
	if i == 0 {
		return ""
	}
	return "@" + strconv.Itoa(i)
}

func offsetKey(view uint32, src, p int) []byte {
	return binary.BigEndian.AppendUint32(progressKey(view, "off"+sourceSuffix(src)), uint32(p))
}

func eventTimeKey(view uint32, src, p int) []byte {
	return binary.BigEndian.AppendUint32(progressKey(view, "max"+sourceSuffix(src)), uint32(p))
}

func watermarkKey(view uint32, src int) []byte {
	return progressKey(view, "wm"+sourceSuffix(src))
}

// openFlowSource resolves source i of view o and restores its committed
// positions and event times.
func (e *Engine) openFlowSource(o *object, name string, i int) (*flowSource, error) {
	src, ok := e.cat.get(name)
	if !ok {
		return nil, fmt.Errorf("source %s of view %s is missing", name, o.Name)
	}
	topicName, recTypes := src.Topic, []types.Type(nil)
	if src.Kind == sql.RelMaterializedView {
		cl, err := e.viewChangelog(src)
		if err != nil {
			return nil, err
		}
		topicName, recTypes = cl.Topic, cl.types()
	}
	topic, ok := e.log.Topic(topicName)
	if !ok {
		return nil, types.Errorf(types.CodeDataCorrupted, "topic %q of %s is missing", topicName, src.Name)
	}
	fs := &flowSource{obj: src, topic: topic, types: src.types(), recTypes: recTypes, index: i}
	n := topic.NumPartitions()
	fs.offsets = make([]int64, n)
	var err error
	for p := 0; p < n; p++ {
		if fs.offsets[p], err = readInt(e.st, progressTable, offsetKey(o.ID, i, p)); err != nil {
			return nil, err
		}
	}
	if src.Kind == sql.RelStream && src.WatermarkCol >= 0 {
		idle := src.IdleTimeoutMs
		if idle <= 0 {
			idle = defaultIdleTimeoutMs
		}
		fs.tracker = windowing.NewTracker(n, src.WatermarkDelay, idle*1000, nowMicros())
		for p := 0; p < n; p++ {
			v, err := e.st.Get(progressTable, eventTimeKey(o.ID, i, p))
			if err == nil && len(v) == 8 {
				fs.tracker.MaxSeen[p] = int64(binary.BigEndian.Uint64(v))
			}
		}
		if wm, err := readInt(e.st, progressTable, watermarkKey(o.ID, i)); err != nil {
			return nil, err
		} else if wm != 0 {
			fs.tracker.Restore(wm)
		}
	}
	fs.committed = append([]int64(nil), fs.offsets...)
	return fs, nil
}

type sourceRow struct {
	p   int
	op  exec.Op
	raw []byte // the row's value encoding (the changelog op byte removed)
	ts  int64  // the record's append time, milliseconds
	off int64
}

// read collects the source's next records, up to budget bytes per
// partition (one record in all with single) and below limit (per
// partition; nil: none), and returns them with the positions after them.
func (fs *flowSource) read(f *dataflow, budget int, single bool, limit []int64) ([]sourceRow, []int64, error) {
	next := append([]int64(nil), fs.offsets...)
	rows := fs.rowBuf[:0]
	defer func() { fs.rowBuf = rows[:0] }()
	// Values are copied into shared blocks: one allocation per block,
	// not one per row, and none once the blocks of earlier reads suffice.
	var block []byte
	used := 0 // of fs.blocks
	for p := range next {
		if single && len(rows) > 0 {
			break
		}
		if start := fs.topic.StartOffset(p); next[p] < start {
			// Retention deleted records the view had not read yet: they
			// are gone from the log, so the view resumes at the oldest
			// record kept and says how many it missed.
			f.e.cfg.Logf("materialized view %s: %s partition %d records %d..%d expired before the view read them", f.view.Name, fs.obj.Name, p, next[p], start-1)
			next[p] = start
		}
		if fs.topic.EndOffset(p) <= next[p] || limit != nil && next[p] >= limit[p] {
			continue
		}
		n := 0
		end, err := fs.topic.Read(p, next[p], budget, func(off int64, r wlog.Record) error {
			if single && n > 0 || limit != nil && off >= limit[p] {
				return errStopRead
			}
			n++
			var op exec.Op
			v := r.Value
			if fs.obj.Kind == sql.RelTable {
				if len(v) == 0 {
					return types.Errorf(types.CodeDataCorrupted, "empty changelog record")
				}
				op, v = exec.Op(v[0]), v[1:]
			}
			if fs.recTypes != nil {
				// A view's changelog: the last column says insert or delete.
				d, err := types.DecodeColumn(v, fs.recTypes, len(fs.recTypes)-1)
				if err != nil {
					return err
				}
				if n, ok := d.(int64); ok && n < 0 {
					op = exec.Delete
				}
			}
			if cap(block)-len(block) < len(v) {
				switch {
				case len(v) > readBlockBytes:
					block = make([]byte, 0, len(v))
				case used < len(fs.blocks):
					block = fs.blocks[used][:0]
					used++
				default:
					block = make([]byte, 0, readBlockBytes)
					fs.blocks = append(fs.blocks, block)
					used++
				}
			}
			at := len(block)
			block = append(block, v...)
			if cap(rows) == 0 {
				rows = make([]sourceRow, 0, 256)
			}
			rows = append(rows, sourceRow{p: p, op: op, raw: block[at:len(block):len(block)], ts: r.Timestamp, off: off})
			next[p] = off + 1
			return nil
		})
		if err != nil && err != errStopRead {
			return nil, nil, err
		}
		if err == nil && end > next[p] {
			next[p] = end
		}
	}
	return rows, next, nil
}

var errStopRead = fmt.Errorf("stop reading")

// readBlockBytes is the size of the blocks read copies record values into.
const readBlockBytes = 64 << 10

// chunk lays out rows as a chunk, decoding them straight into its
// columns, and feeds their event times to the tracker.
func (fs *flowSource) chunk(rows []sourceRow, now int64) (*exec.Chunk, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	cb := exec.NewChunkBuilder(fs.types)
	if err := cb.AppendEncoded(rows[0].op, rows[0].raw, fs.keep); err != nil {
		return nil, err
	}
	data := make([]int, len(fs.rowBytes))
	for i, n := range fs.rowBytes {
		data[i] = n * len(rows) * 9 / 8
	}
	cb.Reserve(len(rows)-1, data)
	for _, r := range rows[1:] {
		if err := cb.AppendEncoded(r.op, r.raw, fs.keep); err != nil {
			return nil, err
		}
	}
	c := cb.Build()
	fs.noteRowBytes(c)
	if fs.tracker == nil {
		return c, nil
	}
	wc := fs.obj.WatermarkCol
	if fs.keep == nil || fs.keep[wc] {
		// The event times were decoded into their column.
		col, ok := c.Rec.Column(wc).(*array.Timestamp)
		if !ok {
			return nil, types.Errorf(types.CodeInternalError, "source %s: watermark column %d is not a timestamp column", fs.obj.Name, wc)
		}
		for i, r := range rows {
			if col.IsValid(i) {
				fs.tracker.Observe(r.p, int64(col.Value(i)), now)
			}
		}
		return c, nil
	}
	for _, r := range rows {
		ts, err := types.DecodeColumn(r.raw, fs.types, wc)
		if err != nil {
			return nil, err
		}
		if ts != nil {
			fs.tracker.Observe(r.p, int64(ts.(types.DTimestamp)), now)
		}
	}
	return c, nil
}

// noteRowBytes records the average bytes per row of c's variable-width
// columns, for the next chunk to reserve.
func (fs *flowSource) noteRowBytes(c *exec.Chunk) {
	if fs.rowBytes == nil {
		fs.rowBytes = make([]int, len(fs.types))
	}
	for i := range fs.types {
		switch a := c.Rec.Column(i).(type) {
		case *array.String:
			fs.rowBytes[i] = len(a.ValueBytes()) / a.Len()
		case *array.Binary:
			fs.rowBytes[i] = len(a.ValueBytes()) / a.Len()
		}
	}
}

// stage writes the source's positions and event times into the epoch's
// batch.
func (fs *flowSource) stage(b exec.StateStore, view uint32, next []int64) error {
	for p, off := range next {
		if err := b.Set(progressTable, offsetKey(view, fs.index, p), binary.AppendVarint(nil, off)); err != nil {
			return err
		}
		if fs.tracker != nil {
			if err := b.Set(progressTable, eventTimeKey(view, fs.index, p), binary.BigEndian.AppendUint64(nil, uint64(fs.tracker.MaxSeen[p]))); err != nil {
				return err
			}
		}
	}
	return nil
}

// caughtUp reports whether the committed positions reach target.
func (fs *flowSource) caughtUp(target []int64) bool {
	for p, t := range target {
		if fs.committed[p] < t {
			return false
		}
	}
	return true
}

// ends is the source's current end offsets.
func (fs *flowSource) ends() []int64 {
	out := make([]int64, fs.topic.NumPartitions())
	for p := range out {
		out[p] = fs.topic.EndOffset(p)
	}
	return out
}
