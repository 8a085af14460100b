package engine

import (
	"encoding/json"
	"fmt"
	"sort"
	"sync"

	"github.com/weir-db/weir/planner"
	"github.com/weir-db/weir/sql"
	"github.com/weir-db/weir/storage/state"
	"github.com/weir-db/weir/types"
)

// Reserved state table ids.
const (
	catalogTable  uint32 = 1
	progressTable uint32 = 2 // dataflow source offsets and watermarks
	tableProgress uint32 = 3 // how far each table's rows reflect its changelog
	firstUserID   uint32 = 1000
	idsPerObject  uint32 = 64 // a view's operators take ids from its block
)

// object is a catalog entry as stored (JSON in the catalog table).
type object struct {
	ID         uint32       `json:"id"`
	Name       string       `json:"name"`
	Kind       sql.RelKind  `json:"kind"`
	Columns    []columnJSON `json:"columns"`
	PrimaryKey []int        `json:"primary_key,omitempty"`
	// Streams.
	WatermarkCol   int   `json:"watermark_col"`
	WatermarkDelay int64 `json:"watermark_delay_us,omitempty"`
	Partitions     int   `json:"partitions,omitempty"`
	KeyCol         int   `json:"key_col"`
	IdleTimeoutMs  int64 `json:"idle_timeout_ms,omitempty"`
	// Tables and streams: their topic.
	Topic string `json:"topic,omitempty"`
	// Views: their defining statement, re-bound on start.
	SQL  string   `json:"sql,omitempty"`
	Deps []string `json:"deps,omitempty"`
	// Secret is a role's stored SCRAM-SHA-256 secret.
	Secret string `json:"secret,omitempty"`
	// RowID marks a table whose key is a hidden row id.
	RowID bool `json:"row_id,omitempty"`
	// Indexes: the indexed relation and its key columns.
	Table     string `json:"table,omitempty"`
	IndexCols []int  `json:"index_cols,omitempty"`
	IndexDesc []bool `json:"index_desc,omitempty"`
	// Tasks is how many parallel tasks run a materialized view (0 or 1:
	// one, with its operators' state unprefixed). Fixed at CREATE: each
	// task keeps its state under its own prefix.
	Tasks int `json:"tasks,omitempty"`
	// RowsKeyed marks a materialized view whose rows are stored by the
	// key RowsKey of its upsert output, chosen at CREATE (views created
	// before keep rows keyed by content).
	RowsKeyed bool  `json:"rows_keyed,omitempty"`
	RowsKey   []int `json:"rows_key,omitempty"`
	// HopSlices marks a materialized view planned with its HOP
	// aggregations fused (planner.FuseHopSlices), which spreads rows over
	// tasks by other keys: views created before run unfused.
	HopSlices bool `json:"hop_slices,omitempty"`
	// SessionMerge marks a materialized view planned with its SESSION
	// aggregations fused (planner.FuseSessions), whose state differs:
	// views created before run the SESSION window.
	SessionMerge bool `json:"session_merge,omitempty"`
	// JoinFilters marks a materialized view planned with the conditions
	// on one side of a join applied before the join
	// (planner.PushJoinFilters): views created before store every row of
	// each side.
	JoinFilters bool `json:"join_filters,omitempty"`
	// PGNot marks a definition stored since NOT took PostgreSQL's
	// precedence; one stored before is parsed as then (sql.ParseHighNot),
	// so NOT b IS NULL keeps meaning (NOT b) IS NULL in it.
	PGNot bool `json:"pg_not,omitempty"`
	// Target and Envelope are a sink's stream and envelope (its view is
	// Table).
	Target   string `json:"target,omitempty"`
	Envelope string `json:"envelope,omitempty"`
}

type columnJSON struct {
	Name      string       `json:"name"`
	Family    types.Family `json:"family"`
	Width     int32        `json:"width,omitempty"`
	Precision int32        `json:"precision,omitempty"`
	Scale     int32        `json:"scale,omitempty"`
	NotNull   bool         `json:"not_null,omitempty"`
	Hidden    bool         `json:"hidden,omitempty"`
}

func columnsToJSON(cols []sql.Column) []columnJSON {
	out := make([]columnJSON, len(cols))
	for i, c := range cols {
		out[i] = columnJSON{Name: c.Name, Family: c.Type.Family, Width: c.Type.Width, Precision: c.Type.Precision, Scale: c.Type.Scale, NotNull: c.NotNull, Hidden: c.Hidden}
	}
	return out
}

// parseStored parses the object's stored definition as it was meant when
// stored (see PGNot).
func (o *object) parseStored() ([]*sql.Parsed, error) { return parseDefinition(o.SQL, o.PGNot) }

func parseDefinition(text string, pgNot bool) ([]*sql.Parsed, error) {
	if pgNot {
		return sql.Parse(text)
	}
	return sql.ParseHighNot(text)
}

// fusions are the fusions the view was created with.
func (o *object) fusions() planner.Fusions {
	return planner.Fusions{HopSlices: o.HopSlices, Sessions: o.SessionMerge, JoinFilters: o.JoinFilters}
}

func (o *object) columns() []sql.Column {
	out := make([]sql.Column, len(o.Columns))
	for i, c := range o.Columns {
		out[i] = sql.Column{Name: c.Name, Type: types.Type{Family: c.Family, Width: c.Width, Precision: c.Precision, Scale: c.Scale}, NotNull: c.NotNull, Hidden: c.Hidden}
	}
	return out
}

func (o *object) types() []types.Type {
	cols := o.columns()
	ts := make([]types.Type, len(cols))
	for i, c := range cols {
		ts[i] = c.Type
	}
	return ts
}

// relation is the binder's view of the object.
func (o *object) relation() *sql.Relation {
	wc := -1
	if o.Kind == sql.RelStream {
		wc = o.WatermarkCol
	}
	return &sql.Relation{ID: o.ID, Name: o.Name, Kind: o.Kind, Columns: o.columns(), PrimaryKey: o.PrimaryKey, WatermarkCol: wc}
}

// catalog holds the objects in memory, persisted in the catalog table.
type catalog struct {
	mu      sync.RWMutex
	objects map[string]*object
	nextID  uint32
}

var nextIDKey = []byte{0xff, 'n', 'e', 'x', 't'}

func loadCatalog(st *state.Store) (*catalog, error) {
	c := &catalog{objects: map[string]*object{}, nextID: firstUserID}
	err := st.Scan(catalogTable, nil, func(k, v []byte) error {
		if string(k) == string(nextIDKey) {
			var n uint32
			if err := json.Unmarshal(v, &n); err != nil {
				return err
			}
			c.nextID = n
			return nil
		}
		o := &object{}
		if err := json.Unmarshal(v, o); err != nil {
			return types.Errorf(types.CodeDataCorrupted, "catalog entry %q is corrupt: %v", k, err)
		}
		c.objects[o.Name] = o
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("loading catalog: %w", err)
	}
	return c, nil
}

// Relation implements sql.Catalog.
func (c *catalog) Relation(name string) (*sql.Relation, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	o, ok := c.objects[name]
	if !ok || o.Kind == sql.RelIndex || o.Kind == kindUser {
		if t, ok := lookupSystemTable(name); ok {
			return t.relation(), true
		}
		return nil, false
	}
	r := o.relation()
	for _, ix := range c.objects {
		if ix.Kind == sql.RelIndex && ix.Table == name {
			r.Indexes = append(r.Indexes, sql.IndexInfo{ID: ix.ID, Name: ix.Name, Columns: ix.IndexCols, Desc: ix.IndexDesc})
		}
	}
	sort.Slice(r.Indexes, func(i, j int) bool { return r.Indexes[i].ID < r.Indexes[j].ID })
	if o.Kind == sql.RelView {
		text, pgNot := o.SQL, o.PGNot
		r.ViewQuery = func(cat sql.Catalog) (*sql.Query, error) { return bindViewQuery(text, pgNot, cat) }
	}
	return r, true
}

// indexesOf lists the indexes on a relation.
func (c *catalog) indexesOf(name string) []*object {
	var out []*object
	for _, o := range c.byID() {
		if o.Kind == sql.RelIndex && o.Table == name {
			out = append(out, o)
		}
	}
	return out
}

// bindViewQuery binds a stored CREATE VIEW statement's query.
func bindViewQuery(text string, pgNot bool, cat sql.Catalog) (*sql.Query, error) {
	ps, err := parseDefinition(text, pgNot)
	if err != nil {
		return nil, err
	}
	st, err := sql.Bind(ps[0], cat)
	if err != nil {
		return nil, err
	}
	cv, ok := st.(*sql.CreateView)
	if !ok {
		return nil, types.Errorf(types.CodeDataCorrupted, "stored view definition is not a view")
	}
	return cv.Query, nil
}

func (c *catalog) get(name string) (*object, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	o, ok := c.objects[name]
	return o, ok
}

// byID lists objects in creation order.
func (c *catalog) byID() []*object {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]*object, 0, len(c.objects))
	for _, o := range c.objects {
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// dependents lists the objects that read name (indexes, which go with
// their relation, are not dependents).
func (c *catalog) dependents(name string) []string {
	var out []string
	for _, o := range c.byID() {
		if o.Kind == sql.RelIndex {
			continue
		}
		for _, d := range o.Deps {
			if d == name {
				out = append(out, o.Name)
			}
		}
	}
	return out
}

// allocate reserves a block of state ids for a new object, writing the new
// counter into b.
func (c *catalog) allocate(b *state.Batch) (uint32, error) {
	c.mu.Lock()
	id := c.nextID
	c.nextID += idsPerObject
	next := c.nextID
	c.mu.Unlock()
	v, _ := json.Marshal(next)
	return id, b.Set(catalogTable, nextIDKey, v)
}

func (c *catalog) put(b *state.Batch, o *object) error {
	v, err := json.Marshal(o)
	if err != nil {
		return err
	}
	return b.Set(catalogTable, []byte(o.Name), v)
}

// publish makes o visible after its batch committed.
func (c *catalog) publish(o *object) {
	c.mu.Lock()
	c.objects[o.Name] = o
	c.mu.Unlock()
}

func (c *catalog) remove(name string) {
	c.mu.Lock()
	delete(c.objects, name)
	c.mu.Unlock()
}
