package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/weir-db/weir/engine"
	"github.com/weir-db/weir/exec/nexmark"
	"github.com/weir-db/weir/sqllogictest"
)

// benchNexmark measures Weir on the Nexmark queries of
// ../shared/nexmark/SPEC.md (`weir bench nexmark`): for each query, a
// fresh in-process engine in a temporary data directory runs the query as
// a materialized view over events of the nexmark source, and the query's
// hand-written Go baseline (exec/nexmark) runs over the same events in the
// same process, so the two per-core throughputs can be compared.
//
// What is timed, per mode:
//
//   - default: the view exists first, over empty streams; the timer starts
//     at CREATE SOURCE (event_rate 0: as fast as possible) and stops when
//     FLUSH returns after the source is done. That is generating the
//     events, landing them in the log (every append fsynced, as all of
//     Weir's inputs are) and the view processing them, concurrently, as
//     SPEC asks ("with the generator counted"). The baseline counts its
//     generator too.
//   - --via-log: the source lands every event first (not timed); the timer
//     starts at CREATE MATERIALIZED VIEW and stops when FLUSH returns, so
//     it measures the view catching up from the stored topics (read back
//     from the page cache), like RisingWave's published figures that read
//     events from Kafka. The baseline then counts its query work only, not
//     its generator.
//
// CPU seconds are the whole process's (getrusage user + system, the delta
// over the timed part): the source, the view's dataflow, Pebble's
// compactions, the log, the garbage collector.
func benchNexmark(args []string) error {
	fs := flag.NewFlagSet("bench nexmark", flag.ContinueOnError)
	which := fs.String("query", "all", "the query to run (q0 .. q22, or a comma-separated list), or all of SPEC's")
	events := fs.Int64("events", 1_000_000, "events per query")
	seed := fs.Uint64("seed", 42, "the generator's seed")
	viaLog := fs.Bool("via-log", false, "land the events first and time only the view catching up from the log")
	asJSON := fs.Bool("json", false, "print one JSON object per query instead of a table")
	parallelism := fs.Int("parallelism", 0, "parallel tasks per view (0: the server's default, one per two cores)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of Weir's timed part to this file (with several queries, one file each: name.qN.ext)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("bench nexmark: unexpected arguments %q", fs.Args())
	}
	if *events <= 0 {
		return fmt.Errorf("bench nexmark: --events must be positive")
	}
	queries, err := selectNexmarkQueries(*which)
	if err != nil {
		return fmt.Errorf("bench nexmark: %w", err)
	}
	opts := nexmarkBenchOptions{events: *events, seed: *seed, viaLog: *viaLog, parallelism: *parallelism}
	if !*asJSON {
		opts.progress = os.Stderr
	}
	var results []*nexmarkBenchResult
	for _, q := range queries {
		o := opts
		if *cpuProfile != "" {
			o.cpuProfile = *cpuProfile
			if len(queries) > 1 {
				ext := filepath.Ext(o.cpuProfile)
				o.cpuProfile = strings.TrimSuffix(o.cpuProfile, ext) + "." + q.name + ext
			}
		}
		r, err := runNexmarkBench(context.Background(), q, o)
		if err != nil {
			return fmt.Errorf("bench nexmark: %s: %w", q.name, err)
		}
		if *asJSON {
			b, err := json.Marshal(r.json())
			if err != nil {
				return err
			}
			fmt.Println(string(b))
		}
		results = append(results, r)
	}
	if !*asJSON {
		printNexmarkHeader(os.Stdout, opts)
		tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "query\tevents\twall s\tevents/s\tCPU s\tof which sys\tfaults k\tevents/s/core\tbaseline/s/core\tratio\tpeak RSS MiB\tstate MB\trows\t")
		for _, r := range results {
			r.row(tw)
		}
		tw.Flush()
	}
	if !*asJSON {
		fmt.Println("\nevents/s/core = events / CPU seconds of the whole process (getrusage user+sys); ratio = Weir's events/s/core / the baseline's.")
		fmt.Println("faults k = thousands of minor page faults (first touches of fresh memory) in the timed part.")
		fmt.Println("peak RSS is the process's VmHWM, reset before each query's timed part (process-wide: Pebble, the log, the Go heap).")
		fmt.Println("state MB = operator state + the view's rows in Pebble (keys + values), from weir_catalog.view_operators.")
	}
	return nil
}

// nexmarkBenchOptions configures one run.
type nexmarkBenchOptions struct {
	events      int64
	seed        uint64
	viaLog      bool
	parallelism int       // tasks per view (0: the engine's default)
	progress    io.Writer // nil: quiet
	cpuProfile  string    // file for a CPU profile of Weir's timed part, or ""
}

func printNexmarkHeader(w io.Writer, o nexmarkBenchOptions) {
	what := "generating + landing in the log (fsynced) + the view, concurrently; the baseline counts its generator too"
	if o.viaLog {
		what = "the view catching up from events already in the log; the baseline counts its query work only, not its generator"
	}
	fmt.Fprintf(w, "weir bench nexmark: %d events per query (seed %d, 10,000 events per second of event time), %d CPUs, GOMAXPROCS %d\ntimed: %s\n\n",
		o.events, o.seed, runtime.NumCPU(), runtime.GOMAXPROCS(0), what)
}

// nexmarkBenchResult is one query's measurements.
type nexmarkBenchResult struct {
	query      string
	events     int64
	viaLog     bool
	wall       time.Duration
	cpu        float64 // seconds, process-wide
	sys        float64 // of which in the kernel
	faults     int64   // minor page faults (first touches of fresh memory)
	peakRSS    float64 // MiB
	stateBytes int64   // operator state and view rows
	viewBytes  int64   // of which the view's rows
	rows       int64   // in the view after FLUSH

	baseRows            int64
	baseGenCPU, baseCPU float64 // seconds: generating the events, and the query's work
	checked             bool    // the baseline's rows can be compared (not q12's processing time)
	// noBase marks a query without a hand-written baseline (a part of a
	// SPEC query, such as q5a): it is timed, but neither compared nor
	// checked.
	noBase bool
}

func (r *nexmarkBenchResult) eventsPerSec() float64 { return float64(r.events) / r.wall.Seconds() }

func (r *nexmarkBenchResult) perCore() float64 { return float64(r.events) / r.cpu }

// basePerCore is the baseline's events per CPU second, its generator
// counted exactly when Weir's is.
func (r *nexmarkBenchResult) basePerCore() float64 {
	cpu := r.baseCPU
	if !r.viaLog {
		cpu += r.baseGenCPU
	}
	return float64(r.events) / cpu
}

func (r *nexmarkBenchResult) ratio() float64 { return r.perCore() / r.basePerCore() }

// rowsMatch says whether Weir's view holds as many rows as the baseline
// found.
func (r *nexmarkBenchResult) rowsMatch() bool { return !r.checked || r.rows == r.baseRows }

// baseFields are the JSON fields that describe the baseline.
var baseFields = []string{"baseline_events_per_sec_per_core", "baseline_ratio", "baseline_generator_cpu_seconds", "baseline_query_cpu_seconds", "baseline_rows"}

func (r *nexmarkBenchResult) json() map[string]any {
	m := map[string]any{
		"query":                            r.query,
		"events":                           r.events,
		"via_log":                          r.viaLog,
		"generator_counted":                !r.viaLog,
		"wall_seconds":                     round3(r.wall.Seconds()),
		"events_per_sec":                   round2(r.eventsPerSec()),
		"cpu_seconds":                      round3(r.cpu),
		"system_cpu_seconds":               round3(r.sys),
		"minor_page_faults":                r.faults,
		"events_per_sec_per_core":          round2(r.perCore()),
		"baseline_events_per_sec_per_core": round2(r.basePerCore()),
		"baseline_ratio":                   round3(r.ratio()),
		"baseline_generator_cpu_seconds":   round3(r.baseGenCPU),
		"baseline_query_cpu_seconds":       round3(r.baseCPU),
		"peak_rss_mb":                      round2(r.peakRSS),
		"state_bytes":                      r.stateBytes,
		"view_bytes":                       r.viewBytes,
		"rows":                             r.rows,
		"baseline_rows":                    r.baseRows,
		"rows_match":                       r.rowsMatch(),
		"rows_checked":                     r.checked,
	}
	if r.noBase {
		for _, f := range baseFields {
			delete(m, f)
		}
	}
	return m
}

func round3(x float64) float64 { return float64(int64(x*1000+0.5)) / 1000 }

func (r *nexmarkBenchResult) row(w io.Writer) {
	rows := strconv.FormatInt(r.rows, 10)
	base, ratio := fmt.Sprintf("%.0f", r.basePerCore()), fmt.Sprintf("%.3f", r.ratio())
	switch {
	case r.noBase:
		rows += " (no baseline)"
		base, ratio = "-", "-"
	case !r.checked:
		rows += " (unchecked)"
	case r.rowsMatch():
		rows += " ok"
	default:
		rows += fmt.Sprintf(" MISMATCH: baseline %d", r.baseRows)
	}
	fmt.Fprintf(w, "%s\t%d\t%.2f\t%.0f\t%.2f\t%.2f\t%d\t%.0f\t%s\t%s\t%.1f\t%.1f\t%s\t\n",
		r.query, r.events, r.wall.Seconds(), r.eventsPerSec(), r.cpu, r.sys, r.faults/1000, r.perCore(), base, ratio,
		r.peakRSS, float64(r.stateBytes)/1e6, rows)
}

// runNexmarkBench runs query q on a fresh engine, then its baseline.
func runNexmarkBench(ctx context.Context, q *benchQuery, o nexmarkBenchOptions) (*nexmarkBenchResult, error) {
	say := func(format string, args ...any) {
		if o.progress != nil {
			fmt.Fprintf(o.progress, format+"\n", args...)
		}
	}
	_, hasBase := nexmark.NewBaseline(q.name, nexmark.Config{Seed: o.seed})
	r := &nexmarkBenchResult{query: q.name, events: o.events, viaLog: o.viaLog, checked: hasBase && q.name != "q12", noBase: !hasBase}
	say("%s: running the view over %d events...", q.name, o.events)
	if err := runNexmarkView(ctx, q, o, r); err != nil {
		return nil, err
	}
	if r.noBase {
		say("%s: %.0f events/s, %.0f events/s/core; no baseline for it", q.name, r.eventsPerSec(), r.perCore())
		return r, nil
	}
	say("%s: %.0f events/s, %.0f events/s/core; running the baseline...", q.name, r.eventsPerSec(), r.perCore())
	if err := runNexmarkBaseline(q.name, o, r); err != nil {
		return nil, err
	}
	return r, nil
}

// runNexmarkView times the view on a fresh engine and reads its rows and
// state afterwards.
func runNexmarkView(ctx context.Context, q *benchQuery, o nexmarkBenchOptions, r *nexmarkBenchResult) error {
	te, err := sqllogictest.NewTempEngineWith(engine.Config{Parallelism: o.parallelism})
	if err != nil {
		return err
	}
	defer te.Close()
	db, err := te.Opener()(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	exec := func(sql string) error {
		_, err := db.Exec(ctx, sql)
		return err
	}
	source := fmt.Sprintf("CREATE SOURCE nx WITH (connector = 'nexmark', events = %d, seed = %d, event_rate = 0)", o.events, o.seed)
	view := "CREATE MATERIALIZED VIEW " + q.name + " AS " + q.sql
	var setup, timed []string
	if o.viaLog {
		setup, timed = []string{source, "wait", "FLUSH"}, []string{view, "FLUSH"}
	} else {
		// An empty source makes the streams, so the view exists before the
		// first event lands and reads each one as it comes.
		setup = []string{"CREATE SOURCE nx WITH (connector = 'nexmark', events = 0)", "DROP SOURCE nx", view}
		timed = []string{source, "wait", "FLUSH"}
	}
	run := func(stmts []string) error {
		for _, s := range stmts {
			if s == "wait" {
				if err := waitNexmarkSource(ctx, db); err != nil {
					return err
				}
			} else if err := exec(s); err != nil {
				return fmt.Errorf("%s: %w", s, err)
			}
		}
		return nil
	}
	if err := run(setup); err != nil {
		return err
	}

	runtime.GC()
	debug.FreeOSMemory()
	resetPeakRSS()
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	u0, t0 := processUsage(), time.Now()
	err = run(timed)
	r.wall = time.Since(t0)
	u := processUsage()
	r.cpu, r.sys, r.faults = u.cpu-u0.cpu, u.sys-u0.sys, u.faults-u0.faults
	if o.cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	if err != nil {
		return err
	}
	if r.peakRSS, err = peakRSS(); err != nil {
		return err
	}

	if r.rows, err = queryInt(ctx, db, "SELECT count(*) FROM "+q.name); err != nil {
		return err
	}
	if r.stateBytes, err = queryInt(ctx, db, "SELECT coalesce(sum(state_bytes), 0) FROM weir_catalog.view_operators WHERE view_name = '"+q.name+"'"); err != nil {
		return err
	}
	r.viewBytes, err = queryInt(ctx, db, "SELECT coalesce(sum(state_bytes), 0) FROM weir_catalog.view_operators WHERE view_name = '"+q.name+"' AND operator = 'Materialize'")
	return err
}

// waitNexmarkSource waits until source nx has landed all its events.
func waitNexmarkSource(ctx context.Context, db sqllogictest.DB) error {
	for {
		_, rows, err := db.Query(ctx, "SELECT done, coalesce(error, '') FROM weir_catalog.sources WHERE name = 'nx'")
		switch {
		case err != nil:
			return err
		case len(rows) != 1:
			return fmt.Errorf("source nx: %d rows in weir_catalog.sources", len(rows))
		case *rows[0][1] != "":
			return fmt.Errorf("source nx stopped: %s", *rows[0][1])
		case *rows[0][0] == "t":
			return nil
		}
		// Each poll is a query, parsed and planned, whose CPU counts as
		// the process's: polled every 5 ms it was 5% of q2's CPU seconds.
		// At most 20 ms of waiting is added to the wall time.
		time.Sleep(20 * time.Millisecond)
	}
}

func queryInt(ctx context.Context, db sqllogictest.DB, sql string) (int64, error) {
	_, rows, err := db.Query(ctx, sql)
	if err != nil {
		return 0, err
	}
	if len(rows) != 1 || len(rows[0]) != 1 || rows[0][0] == nil {
		return 0, fmt.Errorf("%s: want one value, got %d rows", sql, len(rows))
	}
	return strconv.ParseInt(*rows[0][0], 10, 64)
}

// baselineChunk is how many events the baseline generates before handing
// them to the query, so that generating and querying are timed apart.
const baselineChunk = 4096

// runNexmarkBaseline runs the hand-written baseline over the same events,
// timing generation and the query's work apart (process CPU, read around
// each chunk; the engine is closed by now, so nothing else runs).
func runNexmarkBaseline(q string, o nexmarkBenchOptions, r *nexmarkBenchResult) error {
	cfg := nexmark.Config{Seed: o.seed} // the source's event time rate: 10,000 per second
	b, ok := nexmark.NewBaseline(q, cfg)
	if !ok {
		return fmt.Errorf("no baseline for %s", q)
	}
	runtime.GC()
	evs := make([]nexmark.Event, 0, baselineChunk)
	for from := int64(0); from < o.events; from += baselineChunk {
		c0 := cpuSeconds()
		evs = evs[:0]
		for id := from; id < min(from+baselineChunk, o.events); id++ {
			evs = append(evs, cfg.Generate(id))
		}
		c1 := cpuSeconds()
		for i := range evs {
			b.Add(&evs[i])
		}
		c2 := cpuSeconds()
		r.baseGenCPU += c1 - c0
		r.baseCPU += c2 - c1
	}
	c0 := cpuSeconds()
	r.baseRows = b.Rows()
	r.baseCPU += cpuSeconds() - c0
	return nil
}

// cpuSeconds is the process's user + system CPU time so far.
func cpuSeconds() float64 { return processUsage().cpu }

// usage is the process's resource use so far.
type usage struct {
	cpu, sys float64 // seconds: user + system, and system alone
	faults   int64   // minor page faults
}

func processUsage() usage {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return usage{}
	}
	return usage{
		cpu:    float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9,
		sys:    float64(ru.Stime.Nano()) / 1e9,
		faults: ru.Minflt,
	}
}

// resetPeakRSS resets the process's VmHWM to its current RSS (Linux's
// clear_refs "5"), so each query's peak is its own; where that is not
// possible the peak stays process-wide since start.
func resetPeakRSS() { os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// benchQuery is one Nexmark query as a view's SELECT.
type benchQuery struct{ name, sql string }
