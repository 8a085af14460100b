package engine

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/weir-db/weir/exec"
	"github.com/weir-db/weir/planner"
	"github.com/weir-db/weir/sql"
	wlog "github.com/weir-db/weir/storage/log"
	"github.com/weir-db/weir/storage/state"
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
	e       *Engine
	view    *object
	sources []*flowSource
	plan    *planner.Plan
	tasks   []*task
	graph   *exec.ParallelGraph
	leaves  [][]int // per source, the graph nodes it feeds
	ops     []opInfo
	clock   *exec.ProcClock
	late    *exec.LateWriter // nil without LATE ROWS INTO
	sinks   []*sink
	cur     *task // the task whose operators are being built

	mirroredAt int64 // processing time of the last consumer-group mirror
	procWM     int64 // last processing-time watermark sent
	lastEpoch  int64 // processing time of the last epoch
	nextFire   int64 // when EARLY EVERY fires next
	dirty      bool  // rows arrived since the last firing

	mu        sync.Mutex
	progress  chan struct{} // closed and replaced on every commit
	failed    error
	skipped   int64
	freshness freshness // guarded by mu

	// commitMu is held for a whole epoch, so a new subscriber's snapshot
	// falls between two epochs; subs and the taps change under it.
	commitMu sync.Mutex
	subs     []*Subscription
	tapOn    atomic.Bool

	// caps, when set, hold the view at these positions (per source name,
	// per partition) so other views can catch up for a consistent read;
	// capped is closed and replaced whenever they change. Guarded by mu.
	caps   map[string][]int64
	capped chan struct{}

	quit chan struct{}
	done chan struct{}
}

// task is one of a view's parallel copies of its operators, with the
// epoch's state batch they write. With one task the state is unprefixed;
// with several, each task's operator state sits under its own prefix
// (the view's rows never: tasks write disjoint rows).
type task struct {
	index    int
	handle   *exec.StateHandle // operator state, prefixed when tasks > 1
	rows     *exec.StateHandle // the view's rows and indexes
	lateSink *exec.LateSink
	tap      *exec.ChangeTap
	graph    *exec.Graph
	batch    *state.Batch
	mat      *exec.Materialize
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

// newDataflow builds the operators of view o over its sources.
func (e *Engine) newDataflow(o *object, plan *planner.Plan) (*dataflow, error) {
	f := &dataflow{e: e, view: o, plan: plan,
		clock: &exec.ProcClock{Now: nowMicros()}, procWM: windowing.NoWatermark,
		progress: make(chan struct{}), quit: make(chan struct{}), done: make(chan struct{}), capped: make(chan struct{})}
	for i, rel := range plan.Sources() {
		src, err := e.openFlowSource(o, rel.Name, i)
		if err != nil {
			return nil, err
		}
		f.sources = append(f.sources, src)
	}
	f.leaves = make([][]int, len(f.sources))
	if plan.Late != nil {
		if err := f.openLate(); err != nil {
			return nil, err
		}
	}
	for _, so := range e.cat.sinksOf(o.Name) {
		s, err := e.sinkWriter(so, o, plan)
		if err != nil {
			return nil, err
		}
		if err := s.writer.Deliver(e.st, nowMillis()); err != nil {
			return nil, types.Wrap(err, types.CodeIOError, "delivering sink %s", strings.TrimPrefix(so.Name, sinkPrefix))
		}
		f.sinks = append(f.sinks, s)
	}
	if o.RowsKeyed && (plan.Emits != planner.Upsert || !slices.Equal(plan.Key, o.RowsKey)) {
		return nil, types.Errorf(types.CodeInternalError, "materialized view %s stores its rows by a key its plan no longer provides", o.Name)
	}
	n := max(o.Tasks, 1)
	f.graph = &exec.ParallelGraph{}
	for t := 0; t < n; t++ {
		f.cur = &task{index: t, handle: &exec.StateHandle{}, rows: &exec.StateHandle{}, lateSink: &exec.LateSink{}, tap: &exec.ChangeTap{}}
		f.tasks = append(f.tasks, f.cur)
		if err := f.buildGraph(o.ID + 1); err != nil {
			return nil, err
		}
		mat := &exec.Materialize{ID: o.ID, Types: o.types(), State: f.cur.rows, Tap: f.cur.tap,
			AppendOnly: plan.Emits == planner.AppendOnly, Keyed: o.RowsKeyed, KeyCols: o.RowsKey,
			Task: byte(t), SeqTable: progressTable, SeqKey: append(progressKey(o.ID, "seq"), byte(t))}
		for _, ix := range e.cat.indexesOf(o.Name) {
			mat.Indexes = append(mat.Indexes, exec.ViewIndex{ID: ix.ID, Columns: ix.IndexCols, Desc: ix.IndexDesc})
		}
		f.cur.mat = mat
		root := f.cur.graph.Nodes[0]
		root.Ops = append(root.Ops, mat)
		f.graph.Tasks = append(f.graph.Tasks, f.cur.graph)
	}
	f.cur = nil
	if plan.Policy.EarlyEvery > 0 {
		// After a restart, fire once soon: changes made before it may not
		// have been fired.
		f.dirty = true
		f.nextFire = nowMicros() + plan.Policy.EarlyEvery
	}
	return f, nil
}

// fresh reports whether the view has read nothing yet.
func (f *dataflow) fresh() bool {
	for _, src := range f.sources {
		for _, off := range src.offsets {
			if off != 0 {
				return false
			}
		}
	}
	return true
}

// startView binds, plans and starts the dataflow of a stored view.
func (e *Engine) startView(o *object) error {
	ps, err := o.parseStored()
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
	if err := planner.Unmaintainable(plan); err != nil {
		// Created before views were checked: it runs as it did, its
		// column NULL, rather than keep the data dir from opening.
		e.cfg.Logf("materialized view %s: %v; recreate it without that aggregate, or run it as a query", o.Name, err)
	}
	planner.Fuse(plan, o.fusions())
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

// run is the dataflow's loop; it owns the operators.
func (f *dataflow) run() {
	defer close(f.done)
	first := true
	single := false // after a failed epoch, read one record at a time to isolate a bad one
	var backoff time.Duration
	for {
		// Epochs start at most every EpochInterval, so under a trickle of
		// writes each commit (and its fsync) carries more records.
		pause := time.Duration(0)
		if iv := f.e.cfg.EpochInterval; iv > 0 && !first {
			pause = time.Until(time.UnixMicro(f.lastEpoch).Add(iv))
		}
		if pause > 0 {
			select {
			case <-f.quit:
				return
			case <-time.After(pause):
			}
		}
		select {
		case <-f.quit:
			return
		default:
		}
		rows, next, err := f.read(single)
		if err != nil {
			f.fail(fmt.Errorf("reading sources of %s: %w", f.view.Name, err))
			return
		}
		n := 0
		for _, r := range rows {
			n += len(r)
		}
		if n == 0 && !first && !f.timeDue(nowMicros()) {
			if !f.wait() {
				return
			}
			continue
		}
		err = f.epoch(rows, next, first)
		switch {
		case err == nil:
			first, single, backoff = false, false, 0
		case isCorruption(err):
			f.fail(fmt.Errorf("materialized view %s: %w", f.view.Name, err))
			return
		case n > 1:
			single = true
		case n == 1 && isRowError(err):
			// One record the view cannot process: skip it, keep the view running.
			for i, r := range rows {
				if len(r) == 1 {
					src := f.sources[i]
					f.e.cfg.Logf("materialized view %s: skipping record of %s at partition %d offset %d: %v", f.view.Name, src.obj.Name, r[0].p, src.offsets[r[0].p], err)
				}
			}
			if err := f.epoch(make([][]sourceRow, len(f.sources)), next, first); err != nil {
				f.fail(err)
				return
			}
			f.mu.Lock()
			f.skipped++
			f.mu.Unlock()
			first, single = false, false
		default:
			// The epoch failed as a whole (a disk full, an I/O error):
			// nothing of it was committed and the operators were reset, so
			// it is tried again after a pause, until it succeeds.
			backoff = min(max(2*backoff, 50*time.Millisecond), 5*time.Second)
			f.e.cfg.Logf("materialized view %s: epoch failed, retrying in %v: %v", f.view.Name, backoff, err)
			select {
			case <-f.quit:
				return
			case <-time.After(backoff):
			}
		}
	}
}

// isRowError reports whether err is about a record's values (a division
// by zero, a bad cast): skipping that record is the only way forward.
func isRowError(err error) bool {
	var te *types.Error
	return errors.As(err, &te) && (strings.HasPrefix(te.Code, "22") || te.Code == types.CodeCardinalityViolation)
}

// isCorruption reports whether err says stored data is damaged: the view
// stops rather than serve or build on it.
func isCorruption(err error) bool {
	var te *types.Error
	return errors.As(err, &te) && te.Code == types.CodeDataCorrupted
}

// timeDue reports whether processing time alone calls for an epoch: a
// partition turned idle (the watermark may move), the processing-time
// watermark is due, or an early firing is.
func (f *dataflow) timeDue(now int64) bool {
	if f.plan.ProcTimeWatermark {
		return now >= f.lastEpoch+procTimeTick || f.fireDue(now)
	}
	for _, src := range f.sources {
		if src.tracker != nil && src.tracker.WouldAdvance(now) {
			return true
		}
	}
	return f.fireDue(now)
}

func (f *dataflow) fireDue(now int64) bool {
	return f.plan.Policy.EarlyEvery > 0 && f.dirty && now >= f.nextFire
}

// read collects the next records of every source.
func (f *dataflow) read(single bool) ([][]sourceRow, [][]int64, error) {
	rows := make([][]sourceRow, len(f.sources))
	next := make([][]int64, len(f.sources))
	parts := 0
	for _, src := range f.sources {
		parts += len(src.offsets)
	}
	budget := maxEpochBytes / max(parts, 1)
	got := false
	f.mu.Lock()
	caps := f.caps
	f.mu.Unlock()
	for i, src := range f.sources {
		if single && got {
			next[i] = append([]int64(nil), src.offsets...)
			continue
		}
		var err error
		if rows[i], next[i], err = src.read(f, budget, single, caps[src.obj.Name]); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", src.obj.Name, err)
		}
		got = got || len(rows[i]) > 0
	}
	return rows, next, nil
}

// epoch processes rows and commits everything they caused atomically:
// first each source's chunk, then the watermarks, then a due early
// firing; then the late rows are staged and the batch committed; then
// staged late rows are delivered to their stream before the commit is
// announced, so FLUSH sees them.
func (f *dataflow) epoch(rows [][]sourceRow, next [][]int64, first bool) error {
	f.commitMu.Lock()
	defer f.commitMu.Unlock()
	rows, next = f.applyCaps(rows, next)
	for _, t := range f.tasks {
		t.tap.Reset()
		t.tap.On = f.tapOn.Load() || len(f.sinks) > 0
	}
	b := f.e.st.NewBatch()
	f.startTasks(b)
	defer f.endTasks()
	saved := make([]*windowing.Tracker, len(f.sources))
	for i, src := range f.sources {
		if src.tracker != nil {
			saved[i] = src.tracker.Clone()
		}
	}
	savedDirty, savedFire, savedProcWM := f.dirty, f.nextFire, f.procWM
	var changes []ViewChange
	now := nowMicros()
	f.clock.Now = max(f.clock.Now, now)
	err := func() error {
		if err := f.alignSeqs(); err != nil {
			return err
		}
		if first {
			if err := f.initOperators(); err != nil {
				return err
			}
		}
		for i := range f.sources {
			if len(rows[i]) == 0 {
				continue
			}
			if err := f.pushRows(i, rows[i], now); err != nil {
				return err
			}
			f.dirty = true
		}
		if err := f.advanceWatermarks(b, now); err != nil {
			return err
		}
		if f.fireDue(now) {
			if err := f.pushAll(exec.Message{Fire: true}); err != nil {
				return err
			}
			f.dirty, f.nextFire = false, now+f.plan.Policy.EarlyEvery
		}
		if late := f.lateRecords(); f.late != nil && len(late) > 0 {
			if err := f.late.Stage(b, late); err != nil {
				return err
			}
		}
		for i, src := range f.sources {
			if err := src.stage(b, f.view.ID, next[i]); err != nil {
				return err
			}
		}
		if err := f.mergeTasks(b); err != nil {
			return err
		}
		changes = f.tapped()
		if len(f.sinks) > 0 && len(changes) > 0 {
			net := consolidate(f.view.types(), changes)
			for _, s := range f.sinks {
				if err := s.stage(b, net, now); err != nil {
					return err
				}
			}
		}
		return b.Commit()
	}()
	if err != nil {
		b.Close()
		for i, src := range f.sources {
			if saved[i] != nil {
				src.tracker = saved[i]
			}
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
	for i, src := range f.sources {
		src.offsets = next[i]
	}
	// Mirror before announcing the commit, so a FLUSH that returns sees
	// the consumer group too.
	f.mirrorOffsets()
	f.publish(now, changes)
	for _, s := range f.sinks {
		if err := s.writer.Deliver(f.e.st, nowMillis()); err != nil {
			// Staged rows stay staged; the next epoch delivers them.
			f.e.cfg.Logf("materialized view %s: writing sink %s: %v", f.view.Name, strings.TrimPrefix(s.obj.Name, sinkPrefix), err)
		}
	}
	visible := nowMillis()
	f.mu.Lock()
	for _, rs := range rows {
		for _, r := range rs {
			f.freshness.add(visible - r.ts)
		}
	}
	for i, src := range f.sources {
		src.committed = append(src.committed[:0], next[i]...)
	}
	close(f.progress)
	f.progress = make(chan struct{})
	f.mu.Unlock()
	return nil
}

// initOperators lets scalar aggregations emit their row for no input, on
// the first epoch after a start.
func (f *dataflow) initOperators() error {
	for n, node := range f.tasks[0].graph.Nodes {
		for i, op := range node.Ops {
			if _, ok := op.(*exec.HashAgg); !ok {
				continue
			}
			// Only scalar aggregations emit at start, and their rows all
			// go to task 0.
			msgs := make([][]exec.Message, len(f.tasks))
			var err error
			if msgs[0], err = f.tasks[0].graph.Nodes[n].Ops[i].(*exec.HashAgg).Init(); err != nil {
				return err
			}
			if err := f.graph.PushAfter(n, i, msgs); err != nil {
				return err
			}
		}
	}
	return nil
}

// startTasks points every task's operators at the epoch's state: the
// batch itself with one task, else a batch per task, merged into b
// before the commit.
func (f *dataflow) startTasks(b *state.Batch) {
	for _, t := range f.tasks {
		t.lateSink.Rows = t.lateSink.Rows[:0]
		if f.view.Tasks <= 1 {
			t.handle.Store, t.rows.Store = b, b
			continue
		}
		t.batch = f.e.st.NewBatch()
		t.handle.Store = exec.TaskStore{Store: t.batch, Task: byte(t.index)}
		t.rows.Store = t.batch
	}
}

// alignSeqs orders an append-only view's row keys by epoch (see
// exec.AlignSeqs).
func (f *dataflow) alignSeqs() error {
	mats := make([]*exec.Materialize, len(f.tasks))
	for i, t := range f.tasks {
		mats[i] = t.mat
	}
	return exec.AlignSeqs(mats)
}

// mergeTasks adds the tasks' writes to b.
func (f *dataflow) mergeTasks(b *state.Batch) error {
	for _, t := range f.tasks {
		if t.batch != nil {
			if err := b.Apply(t.batch); err != nil {
				return err
			}
		}
	}
	return nil
}

func (f *dataflow) endTasks() {
	for _, t := range f.tasks {
		if t.batch != nil {
			t.batch.Close()
			t.batch = nil
		}
		t.handle.Store, t.rows.Store = nil, nil
	}
}

// pushRows sends source i's rows into its leaves: with several tasks, a
// table's changes are spread by their primary key (the planner counts on
// it), a stream's evenly in arrival order.
func (f *dataflow) pushRows(i int, rows []sourceRow, now int64) error {
	src := f.sources[i]
	n := len(f.tasks)
	parts := make([][]sourceRow, n)
	switch {
	case n == 1:
		parts[0] = rows
	case src.obj.Kind == sql.RelTable:
		ts := src.types
		for _, r := range rows {
			var k []byte
			for _, c := range src.obj.PrimaryKey {
				d, err := types.DecodeColumn(r.raw, ts, c)
				if err != nil {
					return err
				}
				k = types.AppendKey(k, ts[c], d, false)
			}
			t := exec.TaskOf(k, n)
			parts[t] = append(parts[t], r)
		}
	default:
		per := (len(rows) + n - 1) / n
		for t := range parts {
			lo := min(t*per, len(rows))
			parts[t] = rows[lo:min(lo+per, len(rows))]
		}
	}
	msgs := make([]*exec.Message, n)
	defer func() {
		for _, m := range msgs {
			if m != nil && m.Chunk != nil {
				m.Chunk.Release()
			}
		}
	}()
	for t, part := range parts {
		if len(part) > 0 {
			c, err := src.chunk(part, now)
			if err != nil {
				return err
			}
			msgs[t] = &exec.Message{Chunk: c}
		}
	}
	for _, leaf := range f.leaves[i] {
		if err := f.graph.Push(leaf, msgs); err != nil {
			return err
		}
	}
	return nil
}

// pushSource sends a control message into every leaf that source i
// feeds, in every task.
func (f *dataflow) pushSource(i int, m exec.Message) error {
	msgs := make([]*exec.Message, len(f.tasks))
	for t := range msgs {
		msgs[t] = &m
	}
	for _, leaf := range f.leaves[i] {
		if err := f.graph.Push(leaf, msgs); err != nil {
			return err
		}
	}
	return nil
}

// pushAll sends a control message into every leaf.
func (f *dataflow) pushAll(m exec.Message) error {
	for i := range f.sources {
		if err := f.pushSource(i, m); err != nil {
			return err
		}
	}
	return nil
}

// operators lists every task's operators.
func (f *dataflow) operators() []any {
	var out []any
	for _, t := range f.tasks {
		out = append(out, t.graph.Operators()...)
	}
	return out
}

// readCounters reads an operator's committed late count (summed over the
// tasks) and watermark (the least task's).
func (f *dataflow) readCounters(id uint32) (late, wm int64, err error) {
	if f.view.Tasks <= 1 {
		return exec.ReadCounters(f.e.st.Get, id)
	}
	for t := range f.tasks {
		get := func(id uint32, k []byte) ([]byte, error) { return f.e.st.Get(id, append([]byte{byte(t)}, k...)) }
		l, w, err := exec.ReadCounters(get, id)
		if err != nil {
			return 0, 0, err
		}
		late += l
		if t == 0 || w < wm {
			wm = w
		}
	}
	return late, wm, nil
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
	offs := map[wlog.TopicPartition]int64{}
	for _, src := range f.sources {
		for p, o := range src.offsets {
			offs[wlog.TopicPartition{Topic: src.topic.Name(), Partition: p}] = o
		}
	}
	if err := f.e.log.CommitOffsets("weir.view."+f.view.Name, offs); err != nil {
		f.e.cfg.Logf("materialized view %s: mirroring positions to its consumer group: %v", f.view.Name, err)
	}
}

// advanceWatermarks pushes each source's watermark if it moved: processing
// time for a window on proctime(), else the source's event-time watermark.
func (f *dataflow) advanceWatermarks(b exec.StateStore, now int64) error {
	if f.plan.ProcTimeWatermark {
		for _, src := range f.sources {
			if src.tracker != nil {
				src.tracker.Advance(now) // tracked for weir_catalog.watermarks only
			}
		}
		wm := f.clock.Now
		if wm <= f.procWM {
			return nil
		}
		f.procWM = wm
		return f.pushAll(exec.Message{Watermark: &wm})
	}
	for i, src := range f.sources {
		if src.tracker == nil {
			continue
		}
		wm, moved := src.tracker.Advance(now)
		if !moved {
			continue
		}
		if err := f.pushSource(i, exec.Message{Watermark: &wm}); err != nil {
			return err
		}
		if err := b.Set(progressTable, watermarkKey(f.view.ID, i), binary.AppendVarint(nil, wm)); err != nil {
			return err
		}
	}
	return nil
}

// reloadOperators makes stateful operators re-read their in-memory
// positions from committed state after a failed epoch.
func (f *dataflow) reloadOperators() {
	for _, op := range f.operators() {
		if r, ok := op.(exec.Resetter); ok {
			r.Reset()
		}
	}
}

// wait blocks until any source partition has new data, processing time
// calls for an epoch (a partition turns idle, a firing or a proctime tick
// is due), or the dataflow stops.
func (f *dataflow) wait() bool {
	cases := []reflect.SelectCase{{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(f.quit)}}
	now := nowMicros()
	at, timed := int64(0), false
	due := func(t int64) {
		if !timed || t < at {
			at, timed = t, true
		}
	}
	for _, src := range f.sources {
		if src.tracker != nil {
			if t, ok := src.tracker.NextIdle(now); ok {
				due(t)
			}
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
	f.mu.Lock()
	caps, capped := f.caps, f.capped
	f.mu.Unlock()
	cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(capped)})
	for _, src := range f.sources {
		limit := caps[src.obj.Name]
		for p, off := range src.offsets {
			if limit != nil && off >= limit[p] {
				continue // held here until the cap changes
			}
			cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(src.topic.Wait(p, off))})
		}
	}
	i, _, _ := reflect.Select(cases)
	return i != 0
}

// applyCaps drops what was read past a cap set after the read (commitMu
// is held, so the caps cannot change again before the commit).
func (f *dataflow) applyCaps(rows [][]sourceRow, next [][]int64) ([][]sourceRow, [][]int64) {
	f.mu.Lock()
	caps := f.caps
	f.mu.Unlock()
	if caps == nil {
		return rows, next
	}
	for i, src := range f.sources {
		limit := caps[src.obj.Name]
		if limit == nil {
			continue
		}
		kept := rows[i][:0:0]
		for _, r := range rows[i] {
			if r.off < limit[r.p] {
				kept = append(kept, r)
			}
		}
		rows[i] = kept
		next[i] = append([]int64(nil), next[i]...)
		for p := range next[i] {
			next[i][p] = min(next[i][p], max(limit[p], src.offsets[p]))
		}
	}
	return rows, next
}

// setCap holds the view at positions per source (nil: no cap).
func (f *dataflow) setCap(caps map[string][]int64) {
	f.mu.Lock()
	f.caps = caps
	close(f.capped)
	f.capped = make(chan struct{})
	f.mu.Unlock()
}

func (f *dataflow) fail(err error) {
	f.e.cfg.Logf("%v", err)
	f.endSubscriptions(types.Errorf(types.CodeInternalError, "materialized view %s has stopped: %v", f.view.Name, err))
	f.mu.Lock()
	f.failed = err
	close(f.progress)
	f.progress = make(chan struct{})
	f.mu.Unlock()
}

func (f *dataflow) stop() {
	f.halt()
	f.endSubscriptions(types.Errorf(types.CodeObjectNotInPrerequisiteState, "materialized view %s was dropped or stopped", f.view.Name))
}

// halt stops the dataflow's loop and waits for it to end.
func (f *dataflow) halt() {
	select {
	case <-f.quit:
	default:
		close(f.quit)
	}
	<-f.done
}

// targets is every source's current end offsets.
func (f *dataflow) targets() [][]int64 {
	out := make([][]int64, len(f.sources))
	for i, src := range f.sources {
		out[i] = src.ends()
	}
	return out
}

// waitFor blocks until the committed offsets reach target.
func (f *dataflow) waitFor(ctx context.Context, target [][]int64) error {
	for {
		f.mu.Lock()
		if f.failed != nil {
			err := f.failed
			f.mu.Unlock()
			return types.Errorf(types.CodeInternalError, "materialized view %s has stopped: %v", f.view.Name, err)
		}
		ok := true
		for i, src := range f.sources {
			ok = ok && src.caughtUp(target[i])
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
	waited := make([][][]int64, len(flows))
	for pass := 0; pass <= len(flows); pass++ {
		for i, f := range flows {
			target := f.targets()
			if err := f.waitFor(ctx, target); err != nil {
				return err
			}
			waited[i] = target
		}
		moved := false
		for i, f := range flows {
			for s, src := range f.sources {
				for p, off := range waited[i][s] {
					moved = moved || src.topic.EndOffset(p) > off
				}
			}
		}
		if !moved {
			break
		}
	}
	return nil
}
