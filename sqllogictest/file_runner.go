package sqllogictest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// maxShownFailures is how many failures of one file are reported in full;
// the rest are only counted.
const maxShownFailures = 10

// fileRunner runs the records of one file in order, carrying the state that
// records change for the rest of the file.
type fileRunner struct {
	path   string
	opts   Options
	out    io.Writer
	labels map[string]bool // engine labels skipif/onlyif match
	conns  *sessions
	// sleep waits for sleep records and retry backoff; tests replace it.
	sleep func(context.Context, time.Duration) error

	threshold  int
	sortMode   SortMode
	resultMode ResultMode
	subtest    string

	res      Result
	failures int
}

func newFileRunner(open Opener, path string, opts Options) *fileRunner {
	engine := opts.EngineName
	if engine == "" {
		engine = "postgresql"
	}
	labels := map[string]bool{engine: true}
	if engine == "postgresql" || engine == "weir" {
		labels["postgresql"], labels["weir"] = true, true
	}
	return &fileRunner{
		path:     path,
		opts:     opts,
		out:      output(opts),
		labels:   labels,
		conns:    newSessions(open, opts.QueryTimeout),
		sleep:    sleepContext,
		sortMode: NoSort,
	}
}

func (r *fileRunner) run(ctx context.Context) (Result, error) {
	defer r.summarize()
	records, err := ParseFile(r.path)
	if err != nil {
		r.res.Failed++
		fmt.Fprintf(r.out, "FAIL %v\n", err)
		return r.res, err
	}
	defer func() {
		if err := r.conns.closeAll(); err != nil && r.opts.Verbose {
			fmt.Fprintf(r.out, "%s: %v\n", r.path, err)
		}
	}()
	if _, err := r.conns.get(ctx, ""); err != nil {
		r.res.Failed++
		err = fmt.Errorf("%s: %w", r.path, err)
		fmt.Fprintf(r.out, "FAIL %v\n", err)
		return r.res, err
	}
	for _, rec := range records {
		if err := ctx.Err(); err != nil {
			return r.res, err
		}
		halt, err := r.record(ctx, rec)
		if err != nil {
			return r.res, fmt.Errorf("%s: %w", rec.Position(), err)
		}
		if halt {
			break
		}
	}
	return r.res, nil
}

// record runs one record. It reports whether the file halts, and returns an
// error only when the file cannot go on.
func (r *fileRunner) record(ctx context.Context, rec Record) (halt bool, err error) {
	if r.skipped(rec.head()) {
		switch rec.(type) {
		case *Statement, *Query:
			r.res.Skipped++
			r.verbosef("%s: skipped\n", rec.Position())
		}
		return false, nil
	}
	switch rec := rec.(type) {
	case *Statement:
		f, err := r.withRetry(ctx, rec.Retry, func() (*failure, error) { return r.statement(ctx, rec) })
		return false, r.tally(ctx, rec.Pos, rec.SQL, f, err)
	case *Query:
		f, err := r.withRetry(ctx, rec.Retry, func() (*failure, error) { return r.query(ctx, rec) })
		return false, r.tally(ctx, rec.Pos, rec.SQL, f, err)
	case *HashThreshold:
		r.threshold = rec.N
	case *Halt:
		r.verbosef("%s: halt\n", rec.Pos)
		return true, nil
	case *Sleep:
		return false, r.sleep(ctx, rec.Duration)
	case *Subtest:
		r.subtest = rec.Name
		r.verbosef("%s: subtest %s\n", rec.Pos, rec.Name)
	case *SortModeControl:
		r.sortMode = rec.Mode
	case *ResultModeControl:
		r.resultMode = rec.Mode
	default:
		return false, fmt.Errorf("unhandled record type %T", rec)
	}
	return false, nil
}

// skipped evaluates a record's skipif/onlyif conditions.
func (r *fileRunner) skipped(h *Head) bool {
	for _, c := range h.Conditions {
		if c.Skip == r.labels[c.Label] {
			return true
		}
	}
	return false
}

// withRetry reruns a failing record as its retry clause allows.
func (r *fileRunner) withRetry(ctx context.Context, retry Retry, run func() (*failure, error)) (*failure, error) {
	for attempt := 1; ; attempt++ {
		f, err := run()
		if err != nil || f == nil {
			return f, err
		}
		if attempt > retry.Attempts {
			if attempt > 1 {
				f.msg += fmt.Sprintf(" (after %d attempts)", attempt)
			}
			return f, nil
		}
		if err := r.sleep(ctx, retry.Backoff); err != nil {
			return nil, err
		}
	}
}

// tally counts a statement or query outcome and reports it, passing on err.
func (r *fileRunner) tally(ctx context.Context, pos Pos, sql string, f *failure, err error) error {
	switch {
	case err != nil && ctx.Err() != nil:
		// The run was cancelled; the record has no outcome.
	case err != nil:
		// The file stops; count the record as failed so it is not lost.
		r.res.Failed++
		r.report(pos, sql, &failure{msg: err.Error()})
	case f != nil:
		r.res.Failed++
		r.report(pos, sql, f)
	default:
		r.res.Passed++
		r.verbosef("%s: ok\n", pos)
	}
	return err
}

func (r *fileRunner) report(pos Pos, sql string, f *failure) {
	r.failures++
	if r.failures > maxShownFailures {
		return
	}
	subtest := ""
	if r.subtest != "" {
		subtest = " (subtest " + r.subtest + ")"
	}
	fmt.Fprintf(r.out, "FAIL %s%s: %s\n", pos, subtest, f.msg)
	writeIndented(r.out, "  sql:", sql)
	for _, line := range f.detail {
		fmt.Fprintf(r.out, "  %s\n", line)
	}
}

func (r *fileRunner) summarize() {
	if hidden := r.failures - maxShownFailures; hidden > 0 {
		fmt.Fprintf(r.out, "... %d more failures in %s not shown\n", hidden, r.path)
	}
	fmt.Fprintf(r.out, "%s: %s\n", r.path, r.res)
}

func (r *fileRunner) verbosef(format string, args ...any) {
	if r.opts.Verbose {
		fmt.Fprintf(r.out, format, args...)
	}
}

// call runs f on a connection, turning a timeout into a failure.
func (r *fileRunner) call(ctx context.Context, conn string, f func(context.Context, DB)) (*failure, error) {
	err := r.conns.call(ctx, conn, f)
	if errors.Is(err, errTimedOut) {
		return &failure{msg: fmt.Sprintf("timed out after %s; connection reopened", r.opts.QueryTimeout)}, nil
	}
	return nil, err
}
