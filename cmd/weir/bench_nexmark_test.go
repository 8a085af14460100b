package main

import (
	"context"
	"strings"
	"testing"

	"github.com/weir-db/weir/exec/nexmark"
)

// TestBenchNexmarkRuns runs the Nexmark benchmark harness on a few
// thousand events, in both modes, so `weir bench nexmark` cannot rot: the
// view must hold as many rows as the hand-written baseline computes, and
// every figure must have been measured. (Timings are reported, never
// checked.)
func TestBenchNexmarkRuns(t *testing.T) {
	for _, c := range []struct {
		query  string
		viaLog bool
	}{
		{"q2", false}, // stateless
		{"q3", true},  // a join, reading from the log
		{"q7", false}, // a window joined with its own stream
	} {
		qs, err := selectNexmarkQueries(c.query)
		if err != nil {
			t.Fatal(err)
		}
		r, err := runNexmarkBench(context.Background(), qs[0], nexmarkBenchOptions{events: 20_000, seed: 3, viaLog: c.viaLog})
		if err != nil {
			t.Fatalf("%s: %v", c.query, err)
		}
		if !r.checked || !r.rowsMatch() || r.rows == 0 {
			t.Errorf("%s: the view holds %d rows, the baseline %d (checked %v)", c.query, r.rows, r.baseRows, r.checked)
		}
		if r.wall <= 0 || r.cpu <= 0 || r.sys < 0 || r.sys > r.cpu || r.faults < 0 || r.baseCPU+r.baseGenCPU <= 0 || r.peakRSS <= 0 || r.stateBytes <= 0 {
			t.Errorf("%s: a figure was not measured: %+v", c.query, r)
		}
		m := r.json()
		for _, k := range []string{"query", "events", "events_per_sec", "cpu_seconds", "events_per_sec_per_core", "baseline_ratio", "peak_rss_mb", "state_bytes", "system_cpu_seconds", "minor_page_faults"} {
			if _, ok := m[k]; !ok {
				t.Errorf("%s: the JSON lacks %s", c.query, k)
			}
		}
	}
}

// TestBenchNexmarkPart times a part of a SPEC query (q5a, the hopping
// count alone), which has no hand-written baseline: it is reported
// without a ratio, and not called checked.
func TestBenchNexmarkPart(t *testing.T) {
	qs, err := selectNexmarkQueries("q5a")
	if err != nil {
		t.Fatal(err)
	}
	r, err := runNexmarkBench(context.Background(), qs[0], nexmarkBenchOptions{events: 5_000, seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if !r.noBase || r.checked || r.rows == 0 || r.cpu <= 0 {
		t.Errorf("q5a: %+v", r)
	}
	m := r.json()
	for _, k := range baseFields {
		if _, ok := m[k]; ok {
			t.Errorf("the JSON of a query without a baseline has %s", k)
		}
	}
	if _, ok := m["events_per_sec_per_core"]; !ok {
		t.Error("the JSON lacks events_per_sec_per_core")
	}
	var b strings.Builder
	r.row(&b)
	if !strings.Contains(b.String(), "(no baseline)") || strings.Contains(b.String(), "NaN") || strings.Contains(b.String(), "Inf") {
		t.Errorf("table row %q", b.String())
	}
}

// TestBenchNexmarkQueries checks that "all" is exactly SPEC's queries, each
// with a baseline, and that bad names are refused.
func TestBenchNexmarkQueries(t *testing.T) {
	all, err := selectNexmarkQueries("all")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, q := range all {
		names = append(names, q.name)
		if q.sql == "" || !strings.HasPrefix(q.sql, "SELECT") {
			t.Errorf("%s: query text %q", q.name, q.sql)
		}
	}
	if got, want := strings.Join(names, " "), strings.Join(nexmark.BaselineQueries(), " "); got != want {
		t.Errorf("benchmarked queries %s, baselines %s", got, want)
	}
	if _, err := selectNexmarkQueries("q5a,q99"); err == nil || !strings.Contains(err.Error(), `unknown query "q99"`) {
		t.Errorf("q99: %v", err)
	}
}
