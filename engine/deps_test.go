package engine

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

// allowedImports is DESIGN.md §2's layering: each Weir package and the
// Weir packages it may import. Imports point down the layers; storage
// imports nothing above it; only sql imports the TiDB parser and only
// storage imports Pebble.
var allowedImports = map[string][]string{
	"types":            {"storage/encoding"},
	"storage/encoding": {},
	"storage/log":      {},
	"storage/state":    {"storage/encoding"},
	"windowing":        {"storage/encoding"},
	"exec":             {"types", "windowing", "storage/encoding", "storage/state", "storage/log"},
	"exec/nexmark":     {},
	"sql":              {"types"},
	"planner":          {"sql", "windowing", "types"},
	"pgwire":           {"types"},
	"engine":           {"types", "sql", "planner", "exec", "exec/nexmark", "windowing", "storage/encoding", "storage/state", "storage/log", "pgwire"},
	"sqllogictest":     {"engine", "pgwire", "types"},
	"cmd/weir":         {"*"},
}

func TestPackageDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-json", "github.com/weir-db/weir/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	const mod = "github.com/weir-db/weir/"
	dec := json.NewDecoder(strings.NewReader(string(out)))
	seen := 0
	for dec.More() {
		var p struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		seen++
		name := strings.TrimPrefix(p.ImportPath, mod)
		allowed, ok := allowedImports[name]
		if !ok {
			t.Errorf("package %s is not in the layering table; add it to allowedImports and DESIGN's layers", name)
			continue
		}
		set := map[string]bool{}
		for _, a := range allowed {
			set[a] = true
		}
		for _, imp := range p.Imports {
			switch {
			case strings.HasPrefix(imp, mod):
				dep := strings.TrimPrefix(imp, mod)
				if !set["*"] && !set[dep] {
					t.Errorf("%s imports %s, against the layering of DESIGN.md §2", name, dep)
				}
			case strings.HasPrefix(imp, "github.com/pingcap/tidb/"):
				if name != "sql" {
					t.Errorf("%s imports the TiDB parser; only sql may", name)
				}
			case strings.HasPrefix(imp, "github.com/cockroachdb/pebble"):
				if !strings.HasPrefix(name, "storage/") {
					t.Errorf("%s imports Pebble; only storage may", name)
				}
			}
		}
	}
	if seen < 10 {
		t.Fatalf("go list saw only %d packages", seen)
	}
}
