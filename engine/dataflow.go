package engine

import (
	"context"
	"encoding/binary"
	"fmt"
	"reflect"
	"sync"
	"time"

	"github.com/weir-db/weir/exec"
	"github.com/weir-db/weir/planner"
	"github.com/weir-db/weir/sql"
	wlog "github.com/weir-db/weir/storage/log"
	"github.com/weir-db/weir/types"
	"github.com/weir-db/weir/windowing"
)

// dataflow runs one materialized view: it reads its source topic from the
// committed offsets, pushes chunks and watermarks through the operators,
// and commits operator state, view rows, offsets and per-partition event
// times in one atomic batch per epoch. On restart it resumes from the last
// committed epoch, so every source record is applied exactly once.
type dataflow struct {
	e       *Engine
	view    *object
	src     *object
	topic   *wlog.Topic
	built   *built
	handle  *exec.StateHandle
	tracker *windowing.Tracker
	srcType []types.Type

	offsets []int64 // next offset to read, per partition

	mu        sync.Mutex
	committed []int64
	progress  chan struct{} // closed and replaced on every commit
	failed    error
	skipped   int64

	quit chan struct{}
	done chan struct{}
}

const maxEpochBytes = 1 << 20

func nowMillis() int64 { return time.Now().UnixMilli() }

func nowMicros() int64 { return time.Now().UnixMicro() }

// defaultIdleTimeoutMs is how long a stream partition may deliver nothing
// before it stops holding back the stream's watermark.
const defaultIdleTimeoutMs = 5000

func offsetKey(view uint32, p int) []byte {
	return binary.BigEndian.AppendUint32(progressKey(view, "off"), uint32(p))
}

func eventTimeKey(view uint32, p int) []byte {
	return binary.BigEndian.AppendUint32(progressKey(view, "max"), uint32(p))
}

// newDataflow builds the operators of view o over its (single) source.
func (e *Engine) newDataflow(o *object, plan *planner.Plan) (*dataflow, error) {
	src, ok := e.cat.get(plan.Source.Name)
	if !ok {
		return nil, fmt.Errorf("source %s of view %s is missing", plan.Source.Name, o.Name)
	}
	topic, ok := e.log.Topic(src.Topic)
	if !ok {
		return nil, types.Errorf(types.CodeDataCorrupted, "topic %q of %s is missing", src.Topic, src.Name)
	}
	f := &dataflow{e: e, view: o, src: src, topic: topic, handle: &exec.StateHandle{}, srcType: src.types(),
		progress: make(chan struct{}), quit: make(chan struct{}), done: make(chan struct{})}
	b, err := buildPipeline(plan, f.handle, o.ID+1)
	if err != nil {
		return nil, err
	}
	mat := &exec.Materialize{ID: o.ID, Types: o.types(), State: f.handle}
	for _, ix := range e.cat.indexesOf(o.Name) {
		mat.Indexes = append(mat.Indexes, exec.ViewIndex{ID: ix.ID, Columns: ix.IndexCols, Desc: ix.IndexDesc})
	}
	b.pipeline = append(b.pipeline, mat)
	f.built = b
	n := topic.NumPartitions()
	f.offsets = make([]int64, n)
	if src.Kind == sql.RelStream && src.WatermarkCol >= 0 {
		idle := src.IdleTimeoutMs
		if idle <= 0 {
			idle = defaultIdleTimeoutMs
		}
		f.tracker = windowing.NewTracker(n, src.WatermarkDelay, idle*1000, nowMicros())
	}
	for p := 0; p < n; p++ {
		if f.offsets[p], err = readInt(e.st, progressTable, offsetKey(o.ID, p)); err != nil {
			return nil, err
		}
		if f.tracker != nil {
			v, err := e.st.Get(progressTable, eventTimeKey(o.ID, p))
			if err == nil && len(v) == 8 {
				f.tracker.MaxSeen[p] = int64(binary.BigEndian.Uint64(v))
			}
		}
	}
	if f.tracker != nil {
		if wm, err := readInt(e.st, progressTable, progressKey(o.ID, "wm")); err != nil {
			return nil, err
		} else if wm != 0 {
			f.tracker.Restore(wm)
		}
	}
	f.committed = append([]int64(nil), f.offsets...)
	return f, nil
}

// startView binds, plans and starts the dataflow of a stored view.
func (e *Engine) startView(o *object) error {
	ps, err := sql.Parse(o.SQL)
	if err != nil {
		return err
	}
	st, err := sql.Bind(ps[0], e.cat)
	if err != nil {
		return err
	}
	cv, ok := st.(*sql.CreateView)
	if !ok {
		return fmt.Errorf("stored definition of %s is not a view", o.Name)
	}
	plan, err := planner.PlanView(cv.Query, cv.Emit)
	if err != nil {
		return err
	}
	f, err := e.newDataflow(o, plan)
	if err != nil {
		return err
	}
	e.mu.Lock()
	e.flows[o.Name] = f
	e.mu.Unlock()
	go f.run()
	return nil
}

type sourceRow struct {
	p   int
	op  exec.Op
	row []types.Datum
}

// run is the dataflow's loop; it owns the operators.
func (f *dataflow) run() {
	defer close(f.done)
	first := true
	single := false // after a failed epoch, read one record at a time to isolate a bad one
	for {
		select {
		case <-f.quit:
			return
		default:
		}
		rows, next, err := f.read(single)
		if err != nil {
			f.fail(fmt.Errorf("reading source of %s: %w", f.view.Name, err))
			return
		}
		if len(rows) == 0 && !first && !(f.tracker != nil && f.tracker.WouldAdvance(nowMicros())) {
			if !f.wait() {
				return
			}
			continue
		}
		err = f.epoch(rows, next, first)
		switch {
		case err == nil:
			first = false
			single = false
		case len(rows) > 1:
			single = true
		case len(rows) == 1:
			// One record the view cannot process: skip it, keep the view running.
			f.e.cfg.Logf("materialized view %s: skipping record at partition %d offset %d: %v", f.view.Name, rows[0].p, f.offsets[rows[0].p], err)
			if err := f.epoch(nil, next, first); err != nil {
				f.fail(err)
				return
			}
			f.mu.Lock()
			f.skipped++
			f.mu.Unlock()
			first, single = false, false
		default:
			f.fail(fmt.Errorf("materialized view %s: %w", f.view.Name, err))
			return
		}
	}
}

// read collects the next records from every partition.
func (f *dataflow) read(single bool) ([]sourceRow, []int64, error) {
	next := append([]int64(nil), f.offsets...)
	var rows []sourceRow
	budget := maxEpochBytes / len(next)
	for p := range next {
		if single && len(rows) > 0 {
			break
		}
		if f.topic.EndOffset(p) <= next[p] {
			continue
		}
		n := 0
		end, err := f.topic.Read(p, next[p], budget, func(off int64, r wlog.Record) error {
			if single && n > 0 {
				return errStopRead
			}
			n++
			var op exec.Op
			v := r.Value
			if f.src.Kind == sql.RelTable {
				if len(v) == 0 {
					return types.Errorf(types.CodeDataCorrupted, "empty changelog record")
				}
				op, v = exec.Op(v[0]), v[1:]
			}
			row, err := types.DecodeRow(v, f.srcType, nil)
			if err != nil {
				return err
			}
			rows = append(rows, sourceRow{p: p, op: op, row: row})
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

// epoch processes rows and commits everything they caused atomically.
func (f *dataflow) epoch(rows []sourceRow, next []int64, first bool) error {
	b := f.e.st.NewBatch()
	f.handle.Store = b
	defer func() { f.handle.Store = nil }()
	var saved *windowing.Tracker
	if f.tracker != nil {
		saved = f.tracker.Clone()
	}
	err := func() error {
		if first {
			for i, op := range f.built.pipeline {
				agg, ok := op.(*exec.HashAgg)
				if !ok {
					continue
				}
				msgs, err := agg.Init()
				if err != nil {
					return err
				}
				for _, m := range msgs {
					if _, err := f.built.pipeline[i+1:].Push(m); err != nil {
						return err
					}
				}
			}
		}
		if len(rows) > 0 {
			cb := exec.NewChunkBuilder(f.srcType)
			now := nowMicros()
			for _, r := range rows {
				cb.Append(r.op, r.row)
				if f.tracker != nil {
					if ts := r.row[f.src.WatermarkCol]; ts != nil {
						f.tracker.Observe(r.p, int64(ts.(types.DTimestamp)), now)
					}
				}
			}
			c := cb.Build()
			_, err := f.built.pipeline.Push(exec.Message{Chunk: c})
			c.Release()
			if err != nil {
				return err
			}
		}
		if f.tracker != nil {
			if wm, moved := f.tracker.Advance(nowMicros()); moved {
				if _, err := f.built.pipeline.Push(exec.Message{Watermark: &wm}); err != nil {
					return err
				}
				if err := b.Set(progressTable, progressKey(f.view.ID, "wm"), binary.AppendVarint(nil, wm)); err != nil {
					return err
				}
			}
		}
		for p, off := range next {
			if err := b.Set(progressTable, offsetKey(f.view.ID, p), binary.AppendVarint(nil, off)); err != nil {
				return err
			}
			if f.tracker != nil {
				if err := b.Set(progressTable, eventTimeKey(f.view.ID, p), binary.BigEndian.AppendUint64(nil, uint64(f.tracker.MaxSeen[p]))); err != nil {
					return err
				}
			}
		}
		return b.Commit()
	}()
	if err != nil {
		b.Close()
		if f.tracker != nil {
			f.tracker = saved
		}
		// Operators may hold in-memory positions (watermarks); rebuild them
		// from committed state on the next epoch.
		f.reloadOperators()
		return err
	}
	f.offsets = next
	f.mu.Lock()
	f.committed = append(f.committed[:0], next...)
	close(f.progress)
	f.progress = make(chan struct{})
	f.mu.Unlock()
	return nil
}

// reloadOperators makes stateful operators re-read their in-memory
// positions from committed state after a failed epoch.
func (f *dataflow) reloadOperators() {
	for _, a := range f.built.aggs {
		a.Reset()
	}
}

// wait blocks until any partition has new data, a partition turns idle
// (which may move the watermark), or the dataflow stops.
func (f *dataflow) wait() bool {
	cases := []reflect.SelectCase{{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(f.quit)}}
	if f.tracker != nil {
		now := nowMicros()
		if at, ok := f.tracker.NextIdle(now); ok {
			timer := time.NewTimer(time.Duration(at-now+1) * time.Microsecond)
			defer timer.Stop()
			cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(timer.C)})
		}
	}
	for p, off := range f.offsets {
		cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(f.topic.Wait(p, off))})
	}
	i, _, _ := reflect.Select(cases)
	return i != 0
}

func (f *dataflow) fail(err error) {
	f.e.cfg.Logf("%v", err)
	f.mu.Lock()
	f.failed = err
	close(f.progress)
	f.progress = make(chan struct{})
	f.mu.Unlock()
}

func (f *dataflow) stop() {
	select {
	case <-f.quit:
	default:
		close(f.quit)
	}
	<-f.done
}

// waitFor blocks until the committed offsets reach target.
func (f *dataflow) waitFor(ctx context.Context, target []int64) error {
	for {
		f.mu.Lock()
		if f.failed != nil {
			err := f.failed
			f.mu.Unlock()
			return types.Errorf(types.CodeInternalError, "materialized view %s has stopped: %v", f.view.Name, err)
		}
		ok := true
		for p, t := range target {
			if f.committed[p] < t {
				ok = false
			}
		}
		ch := f.progress
		f.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ch:
		case <-f.done:
			return types.Errorf(types.CodeAdminShutdown, "materialized view %s stopped", f.view.Name)
		case <-ctx.Done():
			return types.Errorf(types.CodeQueryCanceled, "canceling statement due to user request")
		}
	}
}

// flush waits until every dataflow has applied everything written so far.
func (e *Engine) flush(ctx context.Context) error {
	e.mu.Lock()
	flows := make([]*dataflow, 0, len(e.flows))
	for _, f := range e.flows {
		flows = append(flows, f)
	}
	e.mu.Unlock()
	for _, f := range flows {
		target := make([]int64, f.topic.NumPartitions())
		for p := range target {
			target[p] = f.topic.EndOffset(p)
		}
		if err := f.waitFor(ctx, target); err != nil {
			return err
		}
	}
	return nil
}
