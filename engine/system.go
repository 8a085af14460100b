package engine

import (
	"sort"
	"strings"
	"sync"

	"github.com/weir-db/weir/sql"
	"github.com/weir-db/weir/types"
)

// System tables are relations generated on read from the engine's state:
// PostgreSQL's pg_catalog and information_schema (for clients and BI
// tools) and weir_catalog (topics, watermarks, late rows, ...). Each is
// registered once, by full name, from the file that owns it.

// systemTable is one generated relation.
type systemTable struct {
	name string // schema-qualified: "pg_catalog.pg_class"
	oid  uint32
	cols []sql.Column
	rows func(sc *systemCtx) ([][]types.Datum, error)
}

// systemCtx is what a system table's rows are made from.
type systemCtx struct {
	e       *Engine
	objects []*object // the catalog, in creation order
	user    string
}

var (
	systemMu     sync.RWMutex
	systemTables = map[string]*systemTable{}
)

// registerSystemTable adds a system table; oids identify them in pg_class.
func registerSystemTable(t *systemTable) {
	systemMu.Lock()
	defer systemMu.Unlock()
	if _, dup := systemTables[t.name]; dup {
		panic("duplicate system table " + t.name)
	}
	systemTables[t.name] = t
}

// systemSchemas are searched, in order, for unqualified names that no user
// object has.
var systemSchemas = []string{"pg_catalog", "weir_catalog"}

// lookupSystemTable resolves a (possibly schema-qualified) name.
func lookupSystemTable(name string) (*systemTable, bool) {
	systemMu.RLock()
	defer systemMu.RUnlock()
	if t, ok := systemTables[name]; ok {
		return t, true
	}
	if !strings.Contains(name, ".") {
		for _, s := range systemSchemas {
			if t, ok := systemTables[s+"."+name]; ok {
				return t, true
			}
		}
	}
	return nil, false
}

// allSystemTables lists the system tables by name.
func allSystemTables() []*systemTable {
	systemMu.RLock()
	defer systemMu.RUnlock()
	out := make([]*systemTable, 0, len(systemTables))
	for _, t := range systemTables {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func (t *systemTable) relation() *sql.Relation {
	return &sql.Relation{ID: t.oid, Name: t.name, Kind: sql.RelSystem, Columns: t.cols, WatermarkCol: -1}
}

// systemRows generates a system table's rows for a query.
func (e *Engine) systemRows(t *systemTable, user string) ([][]types.Datum, error) {
	return t.rows(&systemCtx{e: e, objects: e.cat.byID(), user: user})
}

// cols builds a column list from name/type pairs.
func cols(spec ...any) []sql.Column {
	out := make([]sql.Column, 0, len(spec)/2)
	for i := 0; i+1 < len(spec); i += 2 {
		out = append(out, sql.Column{Name: spec[i].(string), Type: spec[i+1].(types.Type)})
	}
	return out
}
