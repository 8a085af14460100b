package sqllogictest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// Options configures a run.
type Options struct {
	// EngineName is the label skipif/onlyif records are matched against;
	// "postgresql" when empty. "postgresql" and "weir" name the same engine
	// family, so either label matches either name.
	EngineName string
	// QueryTimeout bounds each statement or query attempt, and each
	// connection attempt; 0 means no bound. A call that runs over is cut,
	// reported as a failure, and its connection is replaced.
	QueryTimeout time.Duration
	// Out receives the report; nil discards it.
	Out io.Writer
	// Verbose reports every record, not just failures.
	Verbose bool
}

// Result counts statement and query records by outcome.
type Result struct {
	Passed, Failed, Skipped int
}

func (r Result) String() string {
	return fmt.Sprintf("%d passed, %d failed, %d skipped", r.Passed, r.Failed, r.Skipped)
}

func (r Result) add(o Result) Result {
	return Result{Passed: r.Passed + o.Passed, Failed: r.Failed + o.Failed, Skipped: r.Skipped + o.Skipped}
}

// RunFiles runs each file in turn with RunFile, then writes the totals as
// the last line of the report, in Result.String's form. A file that cannot be
// run (malformed, or no connection) counts as one failure and does not stop
// the others; the returned error joins those files' errors. Cancelling ctx
// stops the run and returns ctx's error.
func RunFiles(ctx context.Context, open Opener, files []string, opts Options) (Result, error) {
	var total Result
	var errs []error
	for _, f := range files {
		res, err := RunFile(ctx, open, f, opts)
		total = total.add(res)
		if err != nil {
			errs = append(errs, err)
		}
		if ctx.Err() != nil {
			break
		}
	}
	fmt.Fprintln(output(opts), total)
	if err := ctx.Err(); err != nil {
		return total, err
	}
	return total, errors.Join(errs...)
}

// RunFile runs one test file on a fresh connection and reports its failures
// and a summary line "path: N passed, N failed, N skipped". A failing record
// does not stop the file; `halt` does. A file that cannot be read or parsed
// runs nothing, counts as one failure and returns the error (a *ParseError
// with the position for a malformed file).
func RunFile(ctx context.Context, open Opener, path string, opts Options) (Result, error) {
	r := newFileRunner(open, path, opts)
	return r.run(ctx)
}

func output(opts Options) io.Writer {
	if opts.Out == nil {
		return io.Discard
	}
	return opts.Out
}

// sleepContext waits for d or until ctx ends.
func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
