package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/weir-db/weir/pgwire"
	"github.com/weir-db/weir/planner"
	"github.com/weir-db/weir/sql"
	wlog "github.com/weir-db/weir/storage/log"
	"github.com/weir-db/weir/storage/state"
	"github.com/weir-db/weir/types"
)

// Config configures an engine.
type Config struct {
	DataDir string
	Logf    func(format string, args ...any)
	// Parallelism is how many parallel tasks a new materialized view runs
	// (0: one per two cores, at least one, at most maxTasks).
	Parallelism int
	// EpochInterval is the least time between the starts of a view's
	// epochs (0: an epoch starts as soon as input arrives).
	EpochInterval time.Duration
	// FreeBytes reports a directory's free disk space (nil: the disk's);
	// tests replace it to simulate a full disk.
	FreeBytes func(dir string) (int64, error)

	// unsliced makes new views as before HOP slices existed, unmerged
	// as before sessions were merged by their aggregations, and unpushed
	// as before joins filtered their sides (tests of views created then).
	unsliced, unmerged, unpushed bool
	// highNot makes sessions parse, and new objects record, as before NOT
	// took PostgreSQL's precedence (tests of definitions stored then).
	highNot bool
	// unchecked makes views as before CREATE refused aggregates views
	// cannot maintain.
	unchecked bool
}

// fusions are the fusions a view created now is planned with.
func (c *Config) fusions() planner.Fusions {
	return planner.Fusions{HopSlices: !c.unsliced, Sessions: !c.unsliced && !c.unmerged, JoinFilters: !c.unsliced && !c.unmerged && !c.unpushed}
}

// maxTasks bounds a view's parallel tasks: each holds its operators and a
// state batch per epoch.
const maxTasks = 16

// viewTasks is the number of tasks a new view gets.
func (e *Engine) viewTasks() int {
	n := e.cfg.Parallelism
	if n <= 0 {
		// Half the cores: the rest run what every view leans on, the log,
		// sources, Pebble's flushes and compactions. On two cores one
		// task per view gave 15–30% more events per CPU second on Nexmark
		// than two, and no longer wall times.
		n = runtime.NumCPU() / 2
	}
	return max(1, min(n, maxTasks))
}

// Engine is one Weir node: its log, state, catalog and running dataflows.
type Engine struct {
	cfg   Config
	lock  *os.File
	log   *wlog.Log
	st    *state.Store
	cat   *catalog
	ddlMu sync.Mutex // serializes catalog changes

	mu      sync.Mutex
	flows   map[string]*dataflow
	tables  map[string]*sync.Mutex // per-table DML locks
	sources map[string]*sourceTask // by source name
	closed  bool

	nextPID atomic.Int32 // backend ids for sessions
	started time.Time
}

var _ pgwire.Engine = (*Engine)(nil)

// Open opens or creates the data directory and starts every dataflow.
func Open(cfg Config) (*Engine, error) {
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("data directory %s is unusable: %w", cfg.DataDir, err)
	}
	lock, err := os.OpenFile(filepath.Join(cfg.DataDir, "LOCK"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("data directory %s is unusable: %w", cfg.DataDir, err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		return nil, fmt.Errorf("data directory %s is in use by another weir process", cfg.DataDir)
	}
	e := &Engine{cfg: cfg, lock: lock, flows: map[string]*dataflow{}, tables: map[string]*sync.Mutex{}, started: time.Now()}
	fail := func(err error) (*Engine, error) {
		e.closeStores()
		return nil, err
	}
	e.log, err = wlog.Open(wlog.Options{Dir: filepath.Join(cfg.DataDir, "log"), Logf: cfg.Logf})
	if err != nil {
		return fail(fmt.Errorf("opening log: %w", err))
	}
	stateDir := filepath.Join(cfg.DataDir, "state")
	if _, err := os.Stat(stateDir); errors.Is(err, os.ErrNotExist) {
		// A new state store would mean an empty catalog, and recover
		// would then drop every topic as left by an interrupted CREATE.
		if topics := e.userTopics(); len(topics) > 0 {
			return fail(fmt.Errorf("data directory %s: the state store (%s) is missing but the log holds the data of %d streams and tables (%s): refusing to start without their catalog",
				cfg.DataDir, stateDir, len(topics), strings.Join(topics, ", ")))
		}
	}
	e.st, err = state.Open(state.Options{Dir: stateDir, FreeBytes: cfg.FreeBytes})
	if err != nil {
		return fail(err)
	}
	// The log syncs the data directory when it creates its own; make the
	// state store's entry (and the data directory's own, when new) durable
	// too, or a crash soon after the first start could lose the catalog.
	if err := syncDirs(cfg.DataDir, filepath.Dir(filepath.Clean(cfg.DataDir))); err != nil {
		return fail(fmt.Errorf("data directory %s: %w", cfg.DataDir, err))
	}
	if e.cat, err = loadCatalog(e.st); err != nil {
		return fail(err)
	}
	if err := e.recover(); err != nil {
		return fail(err)
	}
	return e, nil
}

// recover brings tables up to date with their changelogs, removes topics
// no object owns (a crash mid-CREATE), and starts the views' dataflows.
func (e *Engine) recover() error {
	owned := map[string]bool{}
	for _, o := range e.cat.byID() {
		if o.Topic != "" {
			owned[o.Topic] = true
		}
	}
	for _, t := range e.log.Topics() {
		if !owned[t] && !e.log.IsInternal(t) {
			e.cfg.Logf("removing topic %q left by an interrupted CREATE", t)
			if err := e.log.DropTopic(t); err != nil {
				return err
			}
		}
	}
	for _, o := range e.cat.byID() {
		switch o.Kind {
		case sql.RelTable:
			if err := e.catchUpTable(o); err != nil {
				return fmt.Errorf("recovering table %s: %w", o.Name, err)
			}
		case sql.RelMaterializedView:
			if err := e.startView(o); err != nil {
				return fmt.Errorf("restarting materialized view %s: %w", o.Name, err)
			}
		case sql.RelSource:
			if err := e.startSource(o); err != nil {
				return fmt.Errorf("restarting source %s: %w", o.Name, err)
			}
		}
	}
	return nil
}

// userTopics lists the log's topics other than its internal ones.
func (e *Engine) userTopics() []string {
	var out []string
	for _, t := range e.log.Topics() {
		if !e.log.IsInternal(t) {
			out = append(out, t)
		}
	}
	return out
}

// syncDirs fsyncs each directory, so the entries created in it are durable.
func syncDirs(dirs ...string) error {
	for _, d := range dirs {
		f, err := os.Open(d)
		if err != nil {
			return err
		}
		err = f.Sync()
		f.Close()
		if err != nil {
			return fmt.Errorf("syncing %s: %w", d, err)
		}
	}
	return nil
}

func (e *Engine) closeStores() {
	if e.log != nil {
		e.log.Close()
	}
	if e.st != nil {
		e.st.Close()
	}
	if e.lock != nil {
		e.lock.Close()
	}
}

// Close stops every dataflow and closes the stores.
func (e *Engine) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	e.mu.Unlock()
	e.stopSources()
	e.mu.Lock()
	flows := make([]*dataflow, 0, len(e.flows))
	for _, f := range e.flows {
		flows = append(flows, f)
	}
	e.mu.Unlock()
	for _, f := range flows {
		f.stop()
	}
	var errs []error
	if err := e.log.Close(); err != nil {
		errs = append(errs, err)
	}
	if err := e.st.Close(); err != nil {
		errs = append(errs, err)
	}
	e.lock.Close()
	return errors.Join(errs...)
}

// Connect implements pgwire.Engine.
func (e *Engine) Connect(ctx context.Context, user, database string) (pgwire.Session, error) {
	if database != "" && database != "weir" && database != "postgres" && database != user {
		return nil, types.Errorf("3D000", "database \"%s\" does not exist", database)
	}
	return e.newSession(user), nil
}

func (e *Engine) tableLock(name string) *sync.Mutex {
	e.mu.Lock()
	defer e.mu.Unlock()
	m := e.tables[name]
	if m == nil {
		m = &sync.Mutex{}
		e.tables[name] = m
	}
	return m
}
