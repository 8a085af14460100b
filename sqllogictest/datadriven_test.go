package sqllogictest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"
)

// TestDataDriven runs the scripts in testdata/runner. Their commands:
//
//	parse                  parse the input as a test file; print its records
//	db [reset]             add canned responses to the fake database (see
//	                       fakeServer.define); reset starts a new one
//	file name=<name>       write the input as a test file in the scratch dir
//	run [file=<name>] [engine=<e>] [timeout=<d>] [verbose] [log]
//	                       run the input (or a written file) against the fake
//	                       database; print the report, then with log the
//	                       connections, calls and sleeps it made
//	run-files files=(a,b)  run written files with RunFiles
//
// Inside inputs, a line "====" stands for the results delimiter "----",
// which datadriven reserves for separating input from expected output.
func TestDataDriven(t *testing.T) {
	datadriven.Walk(t, filepath.Join("testdata", "runner"), func(t *testing.T, path string) {
		if !strings.HasSuffix(path, ".txt") {
			return
		}
		dir := t.TempDir()
		server := newFakeServer()
		defer func() { server.release() }()
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			input := unescapeDelimiter(d.Input)
			scrub := func(s string) string { return strings.ReplaceAll(s, dir+string(filepath.Separator), "") }
			switch d.Cmd {
			case "parse":
				name := filepath.Join(dir, "test.slt")
				records, err := Parse(name, []byte(input))
				if err != nil {
					return scrub("error: "+err.Error()) + "\n"
				}
				var b strings.Builder
				for _, rec := range records {
					b.WriteString(scrub(describe(rec)))
				}
				return b.String()
			case "db":
				if d.HasArg("reset") {
					server.release()
					server = newFakeServer()
				}
				if err := server.define(input); err != nil {
					d.Fatalf(t, "%v", err)
				}
				return ""
			case "file":
				var name string
				d.ScanArgs(t, "name", &name)
				writeFile(t, filepath.Join(dir, name), input+"\n")
				return ""
			case "run":
				return scrub(runScript(t, d, server, dir, input))
			case "run-files":
				var names []string
				d.ScanArgs(t, "files", &names)
				var files []string
				for _, n := range names {
					files = append(files, filepath.Join(dir, n))
				}
				var out bytes.Buffer
				res, err := RunFiles(context.Background(), server.open, files, Options{Out: &out})
				fmt.Fprintf(&out, "result: %s\n", res)
				if err != nil {
					fmt.Fprintf(&out, "error: %v\n", err)
				}
				server.takeLog()
				return scrub(out.String())
			default:
				d.Fatalf(t, "unknown command %s", d.Cmd)
				return ""
			}
		})
	})
}

func runScript(t *testing.T, d *datadriven.TestData, server *fakeServer, dir, input string) string {
	name := "test.slt"
	if d.HasArg("file") {
		d.ScanArgs(t, "file", &name)
	} else {
		writeFile(t, filepath.Join(dir, name), input+"\n")
	}
	opts := Options{Verbose: d.HasArg("verbose")}
	if d.HasArg("engine") {
		d.ScanArgs(t, "engine", &opts.EngineName)
	}
	if d.HasArg("timeout") {
		var s string
		d.ScanArgs(t, "timeout", &s)
		timeout, err := time.ParseDuration(s)
		if err != nil {
			d.Fatalf(t, "%v", err)
		}
		opts.QueryTimeout = timeout
	}
	var out bytes.Buffer
	opts.Out = &out
	r := newFileRunner(server.open, filepath.Join(dir, name), opts)
	r.sleep = func(ctx context.Context, d time.Duration) error {
		server.logf("sleep %s", d)
		return nil
	}
	res, err := r.run(context.Background())
	fmt.Fprintf(&out, "result: %s\n", res)
	if err != nil {
		fmt.Fprintf(&out, "error: %v\n", err)
	}
	calls := server.takeLog()
	if d.HasArg("log") {
		out.WriteString("log:\n")
		for _, l := range calls {
			fmt.Fprintf(&out, "  %s\n", l)
		}
	}
	return out.String()
}

func unescapeDelimiter(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if l == "====" {
			lines[i] = resultsDelimiter
		}
	}
	return strings.Join(lines, "\n")
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// describe prints a record for parse tests: a header line, then its SQL
// ("| ") and expected lines ("> ").
func describe(rec Record) string {
	var b strings.Builder
	h := rec.head()
	fmt.Fprintf(&b, "%s:", h.Pos)
	for _, c := range h.Conditions {
		fmt.Fprintf(&b, " [%s]", c)
	}
	retry := func(r Retry) {
		if r.Attempts > 0 || r.Backoff > 0 {
			fmt.Fprintf(&b, " retry=%d backoff=%s", r.Attempts, r.Backoff)
		}
	}
	conn := func(c string) {
		if c != "" {
			fmt.Fprintf(&b, " connection=%s", c)
		}
	}
	expectErr := func(e *ExpectedError) {
		switch {
		case e.Pattern != nil:
			fmt.Fprintf(&b, " /%s/", e.Pattern)
		case e.Message != "":
			fmt.Fprintf(&b, " message=%q", e.Message)
		}
	}
	var sql string
	var expected []string
	switch r := rec.(type) {
	case *Statement:
		b.WriteString(" statement")
		switch {
		case r.Error != nil:
			b.WriteString(" error")
			expectErr(r.Error)
		case r.Count >= 0:
			fmt.Fprintf(&b, " count %d", r.Count)
		default:
			b.WriteString(" ok")
		}
		conn(r.Connection)
		retry(r.Retry)
		sql = r.SQL
	case *Query:
		b.WriteString(" query")
		if r.Error != nil {
			b.WriteString(" error")
			expectErr(r.Error)
		} else {
			fmt.Fprintf(&b, " types=%q sort=%s", r.Types, r.SortMode)
			if r.Label != "" {
				fmt.Fprintf(&b, " label=%s", r.Label)
			}
		}
		conn(r.Connection)
		retry(r.Retry)
		sql, expected = r.SQL, r.Expected
	case *HashThreshold:
		fmt.Fprintf(&b, " hash-threshold %d", r.N)
	case *Halt:
		b.WriteString(" halt")
	case *Sleep:
		fmt.Fprintf(&b, " sleep %s", r.Duration)
	case *Subtest:
		fmt.Fprintf(&b, " subtest %q", r.Name)
	case *SortModeControl:
		fmt.Fprintf(&b, " control sortmode %s", r.Mode)
	case *ResultModeControl:
		fmt.Fprintf(&b, " control resultmode %s", r.Mode)
	default:
		fmt.Fprintf(&b, " %T", r)
	}
	b.WriteString("\n")
	if sql != "" {
		for _, l := range strings.Split(sql, "\n") {
			fmt.Fprintf(&b, "  | %s\n", l)
		}
	}
	for _, l := range expected {
		fmt.Fprintf(&b, "  > %s\n", l)
	}
	return b.String()
}
