package main

import (
	_ "embed"
	"fmt"
	"regexp"
	"strings"
)

// The benchmark runs the queries of the Nexmark correctness suite, so the
// two cannot drift apart: the suite checks each against PostgreSQL, the
// benchmark times it.
//
//go:embed testdata/nexmark/queries
var nexmarkQueriesFile string

// specQuery matches SPEC's own queries (q0 .. q22), not the suite's
// parts of them (q5a, q7a, ...).
var specQuery = regexp.MustCompile(`^q[0-9]+$`)

// parseBenchQueries reads the weir sections of the queries file (its
// header describes the format), with whether Weir can create each.
func parseBenchQueries(text string) (qs []*benchQuery, failing map[string]bool) {
	failing = map[string]bool{}
	var cur *benchQuery
	inWeir := false
	for _, line := range strings.Split(text, "\n") {
		switch {
		case strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "=== "):
			name, _, _ := strings.Cut(strings.TrimPrefix(line, "=== "), " ")
			cur, inWeir = &benchQuery{name: name}, false
			qs = append(qs, cur)
		case cur == nil:
		case strings.HasPrefix(line, "status: error"):
			failing[cur.name] = true
		case strings.HasPrefix(line, "--- "):
			inWeir = line == "--- weir"
		case inWeir:
			cur.sql += line + "\n"
		}
	}
	for _, q := range qs {
		q.sql = strings.TrimSpace(q.sql)
	}
	return qs, failing
}

// selectNexmarkQueries resolves --query: "all" (SPEC's queries that Weir
// can create), or names separated by commas.
func selectNexmarkQueries(which string) ([]*benchQuery, error) {
	qs, failing := parseBenchQueries(nexmarkQueriesFile)
	byName := map[string]*benchQuery{}
	var all []*benchQuery
	for _, q := range qs {
		byName[q.name] = q
		if specQuery.MatchString(q.name) && !failing[q.name] {
			all = append(all, q)
		}
	}
	if which == "all" {
		return all, nil
	}
	var out []*benchQuery
	for _, name := range strings.Split(which, ",") {
		name = strings.TrimSpace(name)
		q, ok := byName[name]
		switch {
		case !ok:
			var names []string
			for _, q := range all {
				names = append(names, q.name)
			}
			return nil, fmt.Errorf("unknown query %q (try: all, %s)", name, strings.Join(names, ", "))
		case failing[name]:
			return nil, fmt.Errorf("Weir cannot create %s yet (see testdata/nexmark/queries)", name)
		}
		out = append(out, q)
	}
	return out, nil
}
