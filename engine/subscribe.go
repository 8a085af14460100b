package engine

import (
	"sync"

	"github.com/weir-db/weir/exec"
	"github.com/weir-db/weir/sql"
	"github.com/weir-db/weir/types"
)

// ViewChange is one change to a view's rows: Diff is +1 for a row added,
// -1 for a row removed.
type ViewChange struct {
	Diff int64
	Row  []types.Datum
}

// ViewChanges is what one committed epoch changed in a view. Err, when
// set, ends the subscription (the view was dropped, stopped, or the
// subscriber fell too far behind).
type ViewChanges struct {
	// At is the commit's processing time, microseconds since the epoch.
	At      int64
	Changes []ViewChange
	Err     error
}

// Subscription follows a view: Snapshot holds its rows as of the commit
// at which the subscription began, Changes every later commit's changes,
// in order, with none missed or repeated.
type Subscription struct {
	Snapshot [][]types.Datum
	// SnapshotAt is when the snapshot was taken, microseconds since the
	// epoch, read under the lock commits take to read their At (so it is
	// below every later At unless the wall clock steps back).
	SnapshotAt int64
	Changes    <-chan ViewChanges
	ch         chan ViewChanges
	f          *dataflow
	once       sync.Once
}

// subscriberBuffer is how many epochs a subscriber may fall behind before
// it is dropped with an error.
const subscriberBuffer = 1024

// Subscribe starts following materialized view name.
func (e *Engine) Subscribe(name string) (*Subscription, error) {
	o, ok := e.cat.get(name)
	if !ok {
		return nil, types.Errorf(types.CodeUndefinedTable, "relation \"%s\" does not exist", name)
	}
	if o.Kind != sql.RelMaterializedView {
		return nil, types.Errorf(types.CodeWrongObjectType, "\"%s\" is not a materialized view", name)
	}
	e.mu.Lock()
	f := e.flows[name]
	e.mu.Unlock()
	if f == nil {
		return nil, types.Errorf(types.CodeObjectNotInPrerequisiteState, "materialized view \"%s\" is not running", name)
	}
	s := &Subscription{ch: make(chan ViewChanges, subscriberBuffer), f: f}
	s.Changes = s.ch
	// Holding commitMu, no epoch is between its commit and its
	// publication: the snapshot and the first change published agree.
	f.commitMu.Lock()
	defer f.commitMu.Unlock()
	s.SnapshotAt = nowMicros()
	snap := e.st.NewSnapshot()
	defer snap.Close()
	ts := o.types()
	err := snap.Scan(o.ID, nil, func(k, v []byte) error {
		return exec.ForEachViewRow(v, ts, func(row []types.Datum, n int64) error {
			for ; n > 0; n-- {
				s.Snapshot = append(s.Snapshot, row)
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	f.subs = append(f.subs, s)
	f.setTaps(true)
	return s, nil
}

// Close ends the subscription.
func (s *Subscription) Close() {
	s.once.Do(func() {
		f := s.f
		f.commitMu.Lock()
		for i, x := range f.subs {
			if x == s {
				f.subs = append(f.subs[:i], f.subs[i+1:]...)
				break
			}
		}
		f.setTaps(len(f.subs) > 0)
		f.commitMu.Unlock()
	})
}

// setTaps turns the view's change taps on or off; commitMu is held.
func (f *dataflow) setTaps(on bool) {
	f.tapOn.Store(on)
}

// publish hands the epoch's changes to the subscribers; commitMu is held.
// A subscriber that cannot take them is dropped with an error.
func (f *dataflow) publish(at int64, changes []ViewChange) {
	if len(changes) == 0 || len(f.subs) == 0 {
		return
	}
	live := f.subs[:0]
	for _, s := range f.subs {
		select {
		case s.ch <- ViewChanges{At: at, Changes: changes}:
			live = append(live, s)
		default:
			s.fail(types.Errorf(types.CodeProgramLimitExceeded, "subscriber to %s fell more than %d commits behind", f.view.Name, subscriberBuffer))
		}
	}
	f.subs = live
	f.setTaps(len(live) > 0)
}

// tapped takes the epoch's changes from the tasks' taps.
func (f *dataflow) tapped() []ViewChange {
	var changes []ViewChange
	for _, t := range f.tasks {
		for i, op := range t.tap.Ops {
			changes = append(changes, ViewChange{Diff: op.Sign(), Row: t.tap.Rows[i]})
		}
		t.tap.Reset()
	}
	return changes
}

// consolidate nets changes per row: a row removed and added back in the
// same commit did not change.
func consolidate(ts []types.Type, changes []ViewChange) []ViewChange {
	net := map[string]int{}
	var out []ViewChange
	for _, c := range changes {
		k := string(exec.RowKey(ts, c.Row))
		i, ok := net[k]
		if !ok {
			net[k] = len(out)
			out = append(out, c)
			continue
		}
		out[i].Diff += c.Diff
	}
	kept := out[:0]
	for _, c := range out {
		if c.Diff != 0 {
			kept = append(kept, c)
		}
	}
	return kept
}

// endSubscriptions tells every subscriber the view is gone.
func (f *dataflow) endSubscriptions(err error) {
	f.commitMu.Lock()
	defer f.commitMu.Unlock()
	for _, s := range f.subs {
		s.fail(err)
	}
	f.subs = nil
	f.setTaps(false)
}

// fail ends s with err: the buffer may be full, so the last slot is
// freed for the error.
func (s *Subscription) fail(err error) {
	select {
	case s.ch <- ViewChanges{Err: err}:
	default:
		select {
		case <-s.ch:
		default:
		}
		s.ch <- ViewChanges{Err: err}
	}
	close(s.ch)
}

// restartFlow stops view's running dataflow, runs change (which alters
// what the view writes: an index, a sink), and starts the view again,
// handing its subscribers to the new dataflow: they lose nothing, since
// the new one resumes at the last commit the old one published.
func (e *Engine) restartFlow(view *object, change func() error) error {
	e.mu.Lock()
	f := e.flows[view.Name]
	e.mu.Unlock()
	var subs []*Subscription
	if f != nil {
		f.halt()
		f.commitMu.Lock()
		subs, f.subs = f.subs, nil
		f.commitMu.Unlock()
	}
	err := change()
	if rerr := e.startView(view); rerr != nil && err == nil {
		err = rerr
	}
	e.mu.Lock()
	nf := e.flows[view.Name]
	e.mu.Unlock()
	if nf == nil || nf == f {
		for _, s := range subs {
			s.fail(types.Errorf(types.CodeObjectNotInPrerequisiteState, "materialized view %s stopped", view.Name))
		}
		return err
	}
	nf.commitMu.Lock()
	for _, s := range subs {
		s.f = nf
		nf.subs = append(nf.subs, s)
	}
	nf.setTaps(len(nf.subs) > 0)
	nf.commitMu.Unlock()
	return err
}
