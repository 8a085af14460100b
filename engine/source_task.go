package engine

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/weir-db/weir/exec/nexmark"
	wlog "github.com/weir-db/weir/storage/log"
	"github.com/weir-db/weir/types"
)

// sourceTask runs one source: a goroutine that generates events in id
// order and appends each kind's to its stream, chunk by chunk, waiting for
// every append's acknowledgement before the next.
//
// Exactly-once without any state of its own: each event goes to exactly
// one stream, the generator is a pure function of the event id, and each
// stream receives its kind's events in id order, one record batch per
// append (a batch is durable whole or not at all). So the number of
// records the source has in stream k (its end offset minus the offset it
// had when the source was created) says exactly which event of kind k
// comes next, whatever a crash interrupted — even between the three
// appends of one chunk. On start the task computes that per kind and
// resumes at the smallest, skipping for each kind the events it already
// has.
type sourceTask struct {
	e      *Engine
	spec   *sourceSpec
	gen    *nexmark.Generator
	topics []*wlog.Topic
	ts     [][]types.Type
	next   []int64         // per kind: the first event id not landed yet
	buf    []byte          // a cycle's encoded rows, reused
	ends   []int           // where each row ends in buf
	recs   [][]wlog.Record // a cycle's records per stream, reused

	landed atomic.Int64 // every event id below it has landed
	quit   chan struct{}
	done   chan struct{}

	mu       sync.Mutex
	finished bool
	err      error
}

// sourceChunk bounds the events one append cycle covers.
const sourceChunk = 4096

// sourceAfterAppend, when set (by tests), runs after each acknowledged
// append; an error stops the task as a crash between appends would.
var sourceAfterAppend func(source string, kind int, to int64) error

func newSourceTask(e *Engine, spec *sourceSpec) *sourceTask {
	return &sourceTask{e: e, spec: spec, gen: &nexmark.Generator{Config: nexmark.Config{Seed: spec.Seed, EventRate: spec.EventTimeRate}},
		quit: make(chan struct{}), done: make(chan struct{})}
}

// resume finds the streams and the next event of each kind.
func (t *sourceTask) resume() error {
	for k, name := range t.spec.Streams {
		o, ok := t.e.cat.get(name)
		if !ok {
			return types.Errorf(types.CodeUndefinedTable, "stream \"%s\" of source %s does not exist", name, t.spec.Name)
		}
		topic, ok := t.e.log.Topic(o.Topic)
		if !ok {
			return types.Errorf(types.CodeDataCorrupted, "topic of stream %s is missing", name)
		}
		have := topic.EndOffset(0) - t.spec.Base[k]
		if have < 0 {
			return types.Errorf(types.CodeDataCorrupted, "stream %s holds fewer records than source %s wrote to it", name, t.spec.Name)
		}
		t.topics = append(t.topics, topic)
		t.ts = append(t.ts, o.types())
		t.next = append(t.next, nexmarkStreams[k].kind.NthID(have))
	}
	t.landed.Store(t.low())
	return nil
}

// low is the smallest next id over the kinds.
func (t *sourceTask) low() int64 {
	low := t.next[0]
	for _, n := range t.next[1:] {
		low = min(low, n)
	}
	return low
}

// progress is how many events have landed and whether the source is
// finished (all its events landed, or stopped by an error).
func (t *sourceTask) progress() (events int64, done bool, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	events = t.landed.Load()
	if t.spec.Events >= 0 {
		events = min(events, t.spec.Events)
	}
	return events, t.finished, t.err
}

func (t *sourceTask) finish(err error) {
	t.mu.Lock()
	t.finished, t.err = true, err
	t.mu.Unlock()
	select {
	case <-t.done:
	default:
		close(t.done)
	}
}

// stop ends the task and waits for it; what it appended stays.
func (t *sourceTask) stop() {
	select {
	case <-t.quit:
	default:
		close(t.quit)
	}
	<-t.done
}

// run generates until the target or stop. With an event rate, it keeps
// the count landed since it started at rate × elapsed wall time.
func (t *sourceTask) run() {
	start, startID := time.Now(), t.landed.Load()
	rate := t.spec.EventRate
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		from := t.landed.Load()
		if t.spec.Events >= 0 && from >= t.spec.Events {
			t.finish(nil)
			return
		}
		to := from + sourceChunk
		if t.spec.Events >= 0 {
			to = min(to, t.spec.Events)
		}
		if rate > 0 {
			elapsed := time.Since(start)
			due := startID + int64(elapsed.Seconds()*float64(rate))
			if due <= from {
				wait := time.Duration(float64(from+1-startID)/float64(rate)*float64(time.Second)) - elapsed
				if timer == nil {
					timer = time.NewTimer(wait)
				} else {
					timer.Reset(wait)
				}
				select {
				case <-t.quit:
					close(t.done)
					return
				case <-timer.C:
				}
				continue
			}
			to = min(to, due)
		}
		select {
		case <-t.quit:
			close(t.done)
			return
		default:
		}
		if err := t.land(from, to); err != nil {
			t.e.cfg.Logf("source %s stopped: %v", t.spec.Name, err)
			t.finish(err)
			return
		}
	}
}

// land appends events [from, to) that each stream does not have yet.
func (t *sourceTask) land(from, to int64) error {
	if t.recs == nil {
		t.recs = make([][]wlog.Record, len(t.topics))
	}
	recs := t.recs
	for k := range recs {
		recs[k] = recs[k][:0]
	}
	now := nowMillis()
	// All values share one buffer, sliced once it is complete.
	buf := t.buf[:0]
	ends := t.ends[:0]
	for id := from; id < to; id++ {
		k := nexmark.KindOf(id)
		if id < t.next[k] {
			continue
		}
		buf = appendNexmarkRow(buf, t.gen.At(id))
		ends = append(ends, len(buf))
	}
	t.buf, t.ends = buf, ends
	at, i := 0, 0
	for id := from; id < to; id++ {
		k := nexmark.KindOf(id)
		if id < t.next[k] {
			continue
		}
		recs[k] = append(recs[k], wlog.Record{Value: buf[at:ends[i]:ends[i]], Timestamp: now})
		at = ends[i]
		i++
	}
	for k, rs := range recs {
		if len(rs) > 0 {
			if _, err := t.topics[k].Append(0, rs); err != nil {
				return types.Wrap(err, types.CodeIOError, "appending to stream %s", t.spec.Streams[k])
			}
		}
		t.next[k] = max(t.next[k], to)
		if sourceAfterAppend != nil {
			if err := sourceAfterAppend(t.spec.Name, k, to); err != nil {
				return err
			}
		}
	}
	t.landed.Store(t.low())
	return nil
}
