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
// committed offsets, pushes chunks, watermarks and timer firings through
// the operators, and commits operator state, view rows, offsets,
// per-partition event times and staged late rows in one atomic batch per
// epoch. On restart it resumes from the last committed epoch, so every
// source record is applied exactly once.
//
// Time enters here, never in operators: the event-time watermark comes
// from the tracker over the source partitions (or, for a window on
// proctime(), from the processing-time clock); processing time reaches
// proctime() through clock, set once per epoch; and EMIT ... EARLY EVERY
// is a timer that sends a fire message.
type dataflow struct {
	e        *Engine
	view     *object
	src      *object
	topic    *wlog.Topic
	plan     *planner.Plan
	pipeline exec.Pipeline
	ops      []opInfo
	handle   *exec.StateHandle
	tracker  *windowing.Tracker
	clock    *exec.ProcClock
	lateSink *exec.LateSink
	late     *exec.LateWriter // nil without LATE ROWS INTO
	srcType  []types.Type

	offsets    []int64 // next offset to read, per partition
	mirroredAt int64   // processing time of the last consumer-group mirror
	procWM     int64   // last processing-time watermark sent
	lastEpoch  int64   // processing time of the last epoch
	nextFire   int64   // when EARLY EVERY fires next
	dirty      bool    // rows arrived since the last firing

	mu        sync.Mutex
	committed []int64
	progress  chan struct{} // closed and replaced on every commit
	failed    error
	skipped   int64

	quit chan struct{}
	done chan struct{}
}

// opInfo describes one operator for weir_catalog.view_operators.
type opInfo struct {
	name     string
	ids      []uint32 // its state tables
	counters uint32   // the table holding its late count and watermark (0: none)
	window   bool     // it decides lateness
}

const maxEpochBytes = 1 << 20

func nowMillis() int64 { return time.Now().UnixMilli() }

func nowMicros() int64 { return time.Now().UnixMicro() }

// defaultIdleTimeoutMs is how long a stream partition may deliver nothing
// before it stops holding back the stream's watermark.
const defaultIdleTimeoutMs = 5000

// procTimeTick is how often a view windowed on proctime() advances its
// watermark when no rows arrive.
const procTimeTick = int64(time.Second / time.Microsecond)

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
	f := &dataflow{e: e, view: o, src: src, topic: topic, plan: plan, handle: &exec.StateHandle{}, srcType: src.types(),
		clock: &exec.ProcClock{Now: nowMicros()}, lateSink: &exec.LateSink{}, procWM: windowing.NoWatermark,
		progress: make(chan struct{}), quit: make(chan struct{}), done: make(chan struct{})}
	n := topic.NumPartitions()
	f.offsets = make([]int64, n)
	var err error
	for p := 0; p < n; p++ {
		if f.offsets[p], err = readInt(e.st, progressTable, offsetKey(o.ID, p)); err != nil {
			return nil, err
		}
	}
	if plan.Late != nil {
		if err := f.openLate(); err != nil {
			return nil, err
		}
	}
	if err := f.build(o.ID + 1); err != nil {
		return nil, err
	}
	mat := &exec.Materialize{ID: o.ID, Types: o.types(), State: f.handle}
	for _, ix := range e.cat.indexesOf(o.Name) {
		mat.Indexes = append(mat.Indexes, exec.ViewIndex{ID: ix.ID, Columns: ix.IndexCols, Desc: ix.IndexDesc})
	}
	f.pipeline = append(f.pipeline, mat)
	if src.Kind == sql.RelStream && src.WatermarkCol >= 0 {
		idle := src.IdleTimeoutMs
		if idle <= 0 {
			idle = defaultIdleTimeoutMs
		}
		f.tracker = windowing.NewTracker(n, src.WatermarkDelay, idle*1000, nowMicros())
		for p := 0; p < n; p++ {
			v, err := e.st.Get(progressTable, eventTimeKey(o.ID, p))
			if err == nil && len(v) == 8 {
				f.tracker.MaxSeen[p] = int64(binary.BigEndian.Uint64(v))
			}
		}
		if wm, err := readInt(e.st, progressTable, progressKey(o.ID, "wm")); err != nil {
			return nil, err
		} else if wm != 0 {
			f.tracker.Restore(wm)
		}
	}
	if plan.Policy.EarlyEvery > 0 {
		// After a restart, fire once soon: changes made before it may not
		// have been fired.
		f.dirty = true
		f.nextFire = nowMicros() + plan.Policy.EarlyEvery
	}
	f.committed = append([]int64(nil), f.offsets...)
	return f, nil
}

// openLate resolves the view's LATE ROWS INTO stream, creating it when it
// does not exist, and delivers late rows a crash left staged.
func (f *dataflow) openLate() error {
	e, spec := f.e, f.plan.Late
	fresh := true
	for _, off := range f.offsets {
		fresh = fresh && off == 0
	}
	if spec.Into == f.src.Name || spec.Into == f.view.Name {
		return types.Errorf(types.CodeInvalidObjectDefinition, "LATE ROWS INTO must name a stream other than the view and its source")
	}
	target, ok := e.cat.get(spec.Into)
	if !ok {
		if err := checkName(spec.Into); err != nil {
			return err
		}
		target = &object{Name: spec.Into, Kind: sql.RelStream, Columns: columnsToJSON(spec.Cols), WatermarkCol: -1,
			Partitions: 1, KeyCol: -1, Topic: spec.Into}
		if err := e.createWithTopic(target, wlog.TopicConfig{Partitions: 1}); err != nil {
			return err
		}
	}
	if err := lateTargetFits(target, spec); err != nil {
		if fresh {
			return err
		}
		// A running view keeps running; its late rows are only counted.
		e.cfg.Logf("materialized view %s: late rows are only counted: %v", f.view.Name, err)
		return nil
	}
	topic, ok := e.log.Topic(target.Topic)
	if !ok {
		return types.Errorf(types.CodeDataCorrupted, "topic of stream %s is missing", target.Name)
	}
	f.late = &exec.LateWriter{Topic: topic, Types: target.types(), ViewID: f.view.ID, Table: progressTable, Prefix: progressKey(f.view.ID, "late")}
	if err := f.late.Deliver(e.st, nowMillis()); err != nil {
		return types.Wrap(err, types.CodeIOError, "delivering late rows of %s", f.view.Name)
	}
	return nil
}

// lateTargetFits checks that an existing LATE ROWS INTO target is a
// one-partition stream with the columns the view writes.
func lateTargetFits(o *object, spec *planner.LateSpec) error {
	if o.Kind != sql.RelStream || o.Partitions != 1 {
		return types.Errorf(types.CodeWrongObjectType, "LATE ROWS INTO \"%s\": it must be a stream with one partition", o.Name)
	}
	cols := o.columns()
	if len(cols) != len(spec.Cols) {
		return types.Errorf(types.CodeDatatypeMismatch, "LATE ROWS INTO \"%s\": it must have %d columns (%s)", o.Name, len(spec.Cols), lateColumnList(spec))
	}
	for i, c := range spec.Cols {
		if cols[i].Name != c.Name || cols[i].Type.Family != c.Type.Family {
			return types.Errorf(types.CodeDatatypeMismatch, "LATE ROWS INTO \"%s\": its columns must be (%s)", o.Name, lateColumnList(spec))
		}
	}
	return nil
}

func lateColumnList(spec *planner.LateSpec) string {
	s := ""
	for i, c := range spec.Cols {
		if i > 0 {
			s += ", "
		}
		s += c.Name + " " + c.Type.String()
	}
	return s
}

// build turns the plan's steps into operators, giving stateful ones state
// ids from base upward.
func (f *dataflow) build(base uint32) error {
	next := base
	alloc := func(n uint32) (uint32, error) {
		id := next
		next += n
		if next > base+idsPerObject-1 {
			return 0, types.Errorf(types.CodeProgramLimitExceeded, "query has too many stateful operators")
		}
		return id, nil
	}
	hasSession := false
	for _, s := range f.plan.Steps {
		if _, ok := s.(*planner.SessionStep); ok {
			hasSession = true
		}
	}
	for _, s := range f.plan.Steps {
		var op exec.Operator
		info := opInfo{}
		switch st := s.(type) {
		case *planner.FilterStep:
			c, err := f.compile(st.Cond)
			if err != nil {
				return err
			}
			op, info.name = &exec.Filter{Cond: c}, "Filter"
		case *planner.ProjectStep:
			es := make([]exec.Expr, len(st.Exprs))
			for i, x := range st.Exprs {
				c, err := f.compile(x)
				if err != nil {
					return err
				}
				es[i] = c
			}
			op, info.name = &exec.Project{Exprs: es}, "Project"
		case *planner.TumbleStep:
			op, info.name = &exec.Tumble{TimeCol: st.TimeCol, Size: st.Size, Offset: st.Offset}, "Tumble"
		case *planner.HopStep:
			op, info.name = &exec.Hop{TimeCol: st.TimeCol, Size: st.Size, Slide: st.Slide, Offset: st.Offset}, "Hop"
		case *planner.SessionStep:
			id, err := alloc(1)
			if err != nil {
				return err
			}
			sw := &exec.SessionWindow{TimeCol: st.TimeCol, Keys: st.Keys, Gap: st.Gap, AllowLateness: st.AllowLateness, ID: id, State: f.handle}
			if st.FindsLate && f.late != nil {
				sw.LateSink = f.lateSink
			}
			op, info = sw, opInfo{name: "SessionWindow", ids: []uint32{id}, counters: id, window: st.FindsLate}
		case *planner.AggStep:
			id, err := alloc(2)
			if err != nil {
				return err
			}
			agg := &exec.HashAgg{WindowGroup: st.WindowGroup, WindowEndDelta: st.WindowEndDelta, WindowSize: st.WindowSize,
				EmitOnClose: st.EmitOnClose, AllowLateness: st.AllowLateness, EarlyFire: st.EarlyFire,
				AppendOnlyInput: st.AppendOnlyInput, GroupsID: id, ValuesID: id + 1, State: f.handle}
			for _, g := range st.Groups {
				c, err := f.compile(g)
				if err != nil {
					return err
				}
				agg.Groups = append(agg.Groups, c)
			}
			for _, a := range st.Aggs {
				spec := exec.AggSpec{Func: a.Func, Distinct: a.Distinct, T: a.Type}
				if len(a.Args) > 0 {
					if spec.Arg, err = f.compile(a.Args[0]); err != nil {
						return err
					}
				}
				if a.Filter != nil {
					if spec.Filter, err = f.compile(a.Filter); err != nil {
						return err
					}
				}
				agg.Aggs = append(agg.Aggs, spec)
			}
			if st.WindowGroup >= 0 && !hasSession && f.late != nil {
				agg.LateSink = f.lateSink
			}
			op, info = agg, opInfo{name: "HashAgg", ids: []uint32{id, id + 1}, counters: id, window: st.WindowGroup >= 0}
		default:
			return fmt.Errorf("unknown plan step %T", s)
		}
		f.pipeline = append(f.pipeline, op)
		f.ops = append(f.ops, info)
	}
	return nil
}

// compile compiles a continuous query's expression: proctime() reads the
// dataflow's clock; other functions of when or by whom a statement runs
// are refused, since a view's rows must not depend on them.
func (f *dataflow) compile(e sql.Expr) (exec.Expr, error) {
	env := &evalEnv{catalogCall: func(e sql.Expr, sub func(sql.Expr) (exec.Expr, error)) (exec.Expr, bool, error) {
		c, ok := e.(*sql.Call)
		if !ok {
			return nil, false, nil
		}
		switch c.Func {
		case "proctime":
			return &exec.ProcTime{Clock: f.clock, T: c.T}, true, nil
		case "now", "current_timestamp", "localtimestamp", "current_date", "version", "current_database",
			"current_schema", "current_user", "session_user", "user", "pg_backend_pid", "current_setting":
			return nil, true, types.Errorf(types.CodeFeatureNotSupported, "%s() is not allowed in a materialized view: its result would depend on when the view runs", c.Func)
		}
		return nil, false, nil
	}}
	return compileExprWith(e, env, f.compile)
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
		if len(rows) == 0 && !first && !f.timeDue(nowMicros()) {
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

// timeDue reports whether processing time alone calls for an epoch: a
// partition turned idle (the watermark may move), the processing-time
// watermark is due, or an early firing is.
func (f *dataflow) timeDue(now int64) bool {
	switch {
	case f.plan.ProcTimeWatermark:
		return now >= f.lastEpoch+procTimeTick || f.fireDue(now)
	case f.tracker != nil && f.tracker.WouldAdvance(now):
		return true
	}
	return f.fireDue(now)
}

func (f *dataflow) fireDue(now int64) bool {
	return f.plan.Policy.EarlyEvery > 0 && f.dirty && now >= f.nextFire
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
		if start := f.topic.StartOffset(p); next[p] < start {
			// Retention deleted records the view had not read yet: they
			// are gone from the log, so the view resumes at the oldest
			// record kept and says how many it missed.
			f.e.cfg.Logf("materialized view %s: partition %d records %d..%d expired before the view read them", f.view.Name, p, next[p], start-1)
			next[p] = start
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

// epoch processes rows and commits everything they caused atomically:
// first the chunk, then the watermark, then a due early firing; then the
// late rows are staged and the batch committed; then staged late rows are
// delivered to their stream before the commit is announced, so FLUSH sees
// them.
func (f *dataflow) epoch(rows []sourceRow, next []int64, first bool) error {
	b := f.e.st.NewBatch()
	f.handle.Store = b
	defer func() { f.handle.Store = nil }()
	var saved *windowing.Tracker
	if f.tracker != nil {
		saved = f.tracker.Clone()
	}
	savedDirty, savedFire, savedProcWM := f.dirty, f.nextFire, f.procWM
	now := nowMicros()
	f.clock.Now = max(f.clock.Now, now)
	f.lateSink.Rows = f.lateSink.Rows[:0]
	push := func(m exec.Message) error {
		_, err := f.pipeline.Push(m)
		return err
	}
	err := func() error {
		if first {
			for i, op := range f.pipeline {
				agg, ok := op.(*exec.HashAgg)
				if !ok {
					continue
				}
				msgs, err := agg.Init()
				if err != nil {
					return err
				}
				for _, m := range msgs {
					if _, err := f.pipeline[i+1:].Push(m); err != nil {
						return err
					}
				}
			}
		}
		if len(rows) > 0 {
			cb := exec.NewChunkBuilder(f.srcType)
			for _, r := range rows {
				cb.Append(r.op, r.row)
				if f.tracker != nil {
					if ts := r.row[f.src.WatermarkCol]; ts != nil {
						f.tracker.Observe(r.p, int64(ts.(types.DTimestamp)), now)
					}
				}
			}
			c := cb.Build()
			err := push(exec.Message{Chunk: c})
			c.Release()
			if err != nil {
				return err
			}
			f.dirty = true
		}
		if err := f.advanceWatermark(b, now, push); err != nil {
			return err
		}
		if f.fireDue(now) {
			if err := push(exec.Message{Fire: true}); err != nil {
				return err
			}
			f.dirty, f.nextFire = false, now+f.plan.Policy.EarlyEvery
		}
		if f.late != nil && len(f.lateSink.Rows) > 0 {
			if err := f.late.Stage(b, f.lateRecords()); err != nil {
				return err
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
		f.dirty, f.nextFire, f.procWM = savedDirty, savedFire, savedProcWM
		// Operators may hold in-memory positions (watermarks, counters);
		// rebuild them from committed state on the next epoch.
		f.reloadOperators()
		return err
	}
	f.lastEpoch = now
	if f.late != nil {
		if t, ok := f.e.log.Topic(f.plan.Late.Into); !ok || t != f.late.Topic {
			// The stream was dropped: late rows are only counted from now on.
			n, err := f.late.Discard(f.e.st)
			f.e.cfg.Logf("materialized view %s: LATE ROWS INTO %s is gone; late rows are only counted (%d staged batches dropped, %v)", f.view.Name, f.plan.Late.Into, n, err)
			f.late = nil
			f.detachLateSinks()
		}
	}
	if f.late != nil {
		if err := f.late.Deliver(f.e.st, nowMillis()); err != nil {
			// Staged rows stay staged; the next epoch delivers them.
			f.e.cfg.Logf("materialized view %s: delivering late rows: %v", f.view.Name, err)
		}
	}
	f.offsets = next
	f.mu.Lock()
	f.committed = append(f.committed[:0], next...)
	close(f.progress)
	f.progress = make(chan struct{})
	f.mu.Unlock()
	f.mirrorOffsets()
	return nil
}

// mirrorOffsets publishes the view's committed source positions as the
// log's consumer group "weir.view.<name>", at most once a second, so tools
// and Kafka clients see how far each view has read. Pebble stays the
// authority: it commits the positions atomically with the view's state.
func (f *dataflow) mirrorOffsets() {
	now := nowMicros()
	if now-f.mirroredAt < 1e6 {
		return
	}
	f.mirroredAt = now
	offs := make(map[wlog.TopicPartition]int64, len(f.offsets))
	for p, o := range f.offsets {
		offs[wlog.TopicPartition{Topic: f.topic.Name(), Partition: p}] = o
	}
	if err := f.e.log.CommitOffsets("weir.view."+f.view.Name, offs); err != nil {
		f.e.cfg.Logf("materialized view %s: mirroring positions to its consumer group: %v", f.view.Name, err)
	}
}

// advanceWatermark pushes the watermark if it moved: processing time for
// a window on proctime(), else the source's event-time watermark.
func (f *dataflow) advanceWatermark(b exec.StateStore, now int64, push func(exec.Message) error) error {
	if f.plan.ProcTimeWatermark {
		if f.tracker != nil {
			f.tracker.Advance(now) // tracked for weir_catalog.watermarks only
		}
		wm := f.clock.Now
		if wm <= f.procWM {
			return nil
		}
		f.procWM = wm
		return push(exec.Message{Watermark: &wm})
	}
	if f.tracker == nil {
		return nil
	}
	wm, moved := f.tracker.Advance(now)
	if !moved {
		return nil
	}
	if err := push(exec.Message{Watermark: &wm}); err != nil {
		return err
	}
	return b.Set(progressTable, progressKey(f.view.ID, "wm"), binary.AppendVarint(nil, wm))
}

// lateRecords lays out the epoch's late rows as the late stream's rows.
func (f *dataflow) lateRecords() [][]types.Datum {
	out := make([][]types.Datum, 0, len(f.lateSink.Rows))
	for _, r := range f.lateSink.Rows {
		row := []types.Datum{f.view.Name, types.DTimestamp(r.Window.Start), types.DTimestamp(r.Window.End)}
		for _, i := range f.plan.Late.Row {
			row = append(row, r.Row[i])
		}
		out = append(out, row)
	}
	return out
}

// detachLateSinks makes the operators only count late rows.
func (f *dataflow) detachLateSinks() {
	for _, op := range f.pipeline {
		switch o := op.(type) {
		case *exec.HashAgg:
			o.LateSink = nil
		case *exec.SessionWindow:
			o.LateSink = nil
		}
	}
}

// reloadOperators makes stateful operators re-read their in-memory
// positions from committed state after a failed epoch.
func (f *dataflow) reloadOperators() {
	for _, op := range f.pipeline {
		if r, ok := op.(exec.Resetter); ok {
			r.Reset()
		}
	}
}

// wait blocks until any partition has new data, processing time calls for
// an epoch (a partition turns idle, a firing or a proctime tick is due),
// or the dataflow stops.
func (f *dataflow) wait() bool {
	cases := []reflect.SelectCase{{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(f.quit)}}
	now := nowMicros()
	at, timed := int64(0), false
	due := func(t int64) {
		if !timed || t < at {
			at, timed = t, true
		}
	}
	if f.tracker != nil {
		if t, ok := f.tracker.NextIdle(now); ok {
			due(t)
		}
	}
	if f.plan.Policy.EarlyEvery > 0 && f.dirty {
		due(f.nextFire)
	}
	if f.plan.ProcTimeWatermark {
		due(f.lastEpoch + procTimeTick)
	}
	if timed {
		timer := time.NewTimer(time.Duration(max(at-now+1, 1)) * time.Microsecond)
		defer timer.Stop()
		cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(timer.C)})
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
// Views write too (LATE ROWS INTO streams that other views may read), so
// it makes passes until one finds nothing new, at most one per view more.
func (e *Engine) flush(ctx context.Context) error {
	e.mu.Lock()
	flows := make([]*dataflow, 0, len(e.flows))
	for _, f := range e.flows {
		flows = append(flows, f)
	}
	e.mu.Unlock()
	waited := make([][]int64, len(flows))
	for pass := 0; pass <= len(flows); pass++ {
		for i, f := range flows {
			target := make([]int64, f.topic.NumPartitions())
			for p := range target {
				target[p] = f.topic.EndOffset(p)
			}
			if err := f.waitFor(ctx, target); err != nil {
				return err
			}
			waited[i] = target
		}
		moved := false
		for i, f := range flows {
			for p, off := range waited[i] {
				moved = moved || f.topic.EndOffset(p) > off
			}
		}
		if !moved {
			break
		}
	}
	return nil
}
