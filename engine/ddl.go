package engine

import (
	"encoding/binary"
	"regexp"
	"strconv"
	"strings"

	"github.com/weir-db/weir/planner"
	"github.com/weir-db/weir/sql"
	wlog "github.com/weir-db/weir/storage/log"
	"github.com/weir-db/weir/storage/state"
	"github.com/weir-db/weir/types"
)

// Topic names follow Kafka's rules, so object names must too.
var validName = regexp.MustCompile(`^[a-zA-Z0-9._-]{1,200}$`)

func checkName(name string) error {
	if !validName.MatchString(name) {
		return types.Errorf("42602", "invalid name \"%s\": names of streams and tables may use only letters, digits, '.', '_' and '-'", name)
	}
	return nil
}

func (e *Engine) exists(name string, ifNotExists bool) (bool, error) {
	if _, ok := e.cat.get(name); ok {
		if ifNotExists {
			return true, nil
		}
		return true, types.Errorf(types.CodeDuplicateTable, "relation \"%s\" already exists", name)
	}
	return false, nil
}

func intOption(o sql.Option, min int64) (int64, error) {
	n, err := strconv.ParseInt(o.Value, 10, 64)
	if err != nil || n < min {
		e := types.Errorf(types.CodeInvalidParameterValue, "invalid value for option \"%s\": %q (must be an integer >= %d)", o.Name, o.Value, min)
		e.Position = o.Pos
		return 0, e
	}
	return n, nil
}

func unknownOption(o sql.Option) error {
	e := types.Errorf(types.CodeInvalidParameterValue, "unrecognized option \"%s\"", o.Name)
	e.Position = o.Pos
	return e
}

func (e *Engine) createStream(n *sql.CreateStream) error {
	e.ddlMu.Lock()
	defer e.ddlMu.Unlock()
	if err := checkName(n.Name); err != nil {
		return err
	}
	if found, err := e.exists(n.Name, n.IfNotExists); found || err != nil {
		return err
	}
	o := &object{Name: n.Name, Kind: sql.RelStream, Columns: columnsToJSON(n.Columns), WatermarkCol: n.WatermarkCol,
		WatermarkDelay: n.WatermarkDelay, Partitions: 1, KeyCol: -1, Topic: n.Name}
	cfg := wlog.TopicConfig{Partitions: 1}
	for _, opt := range n.Options {
		switch strings.ToLower(opt.Name) {
		case "partitions":
			p, err := intOption(opt, 1)
			if err != nil {
				return err
			}
			if p > 1024 {
				return types.Errorf(types.CodeInvalidParameterValue, "partitions must be at most 1024")
			}
			o.Partitions, cfg.Partitions = int(p), int(p)
		case "key":
			o.KeyCol = -1
			for i, c := range n.Columns {
				if c.Name == strings.ToLower(opt.Value) || c.Name == opt.Value {
					o.KeyCol = i
				}
			}
			if o.KeyCol < 0 {
				return types.Errorf(types.CodeUndefinedColumn, "key column \"%s\" does not exist", opt.Value)
			}
		case "retention_ms", "retention_bytes", "segment_bytes":
			if err := setLogOption(&cfg, opt); err != nil {
				return err
			}
		case "idle_timeout_ms":
			v, err := intOption(opt, 1)
			if err != nil {
				return err
			}
			o.IdleTimeoutMs = v
		case "cleanup":
			switch strings.ToLower(opt.Value) {
			case "compact":
				if o.KeyCol < 0 && !hasKeyOption(n.Options) {
					return types.Errorf(types.CodeInvalidParameterValue, "cleanup = 'compact' needs a key: add key = '<column>'")
				}
				cfg.Compact = true
			case "delete":
				cfg.Compact = false
			default:
				return types.Errorf(types.CodeInvalidParameterValue, "invalid value for option \"cleanup\": %q (must be 'delete' or 'compact')", opt.Value)
			}
		default:
			return unknownOption(opt)
		}
	}
	return e.createWithTopic(o, cfg)
}

// createWithTopic creates the object's topic, then commits its catalog
// entry; recovery removes a topic whose entry never committed.
func (e *Engine) createWithTopic(o *object, cfg wlog.TopicConfig) error {
	created := false
	err := e.commitNewObject(o, func(*state.Batch) error {
		if _, err := e.log.CreateTopic(o.Topic, cfg); err != nil {
			return types.Wrap(err, types.CodeIOError, "creating topic for %s", o.Name)
		}
		created = true
		return nil
	})
	if err != nil && created {
		e.log.DropTopic(o.Topic)
	}
	return err
}

// commitNewObject gives o an id block and commits its catalog entry,
// together with whatever before writes into the same batch, then makes it
// visible. The caller holds ddlMu.
func (e *Engine) commitNewObject(o *object, before func(b *state.Batch) error) error {
	b := e.st.NewBatch()
	id, err := e.cat.allocate(b)
	if err == nil {
		o.ID = id
		o.PGNot = !e.cfg.highNot
		err = e.cat.put(b, o)
	}
	if err == nil && before != nil {
		err = before(b)
	}
	if err != nil {
		b.Close()
		return err
	}
	if err := b.Commit(); err != nil {
		return err
	}
	e.cat.publish(o)
	return nil
}

// dependencyNames lists the relations a statement read, once each.
func dependencyNames(deps []*sql.Relation) []string {
	var out []string
	seen := map[string]bool{}
	for _, d := range deps {
		if !seen[d.Name] {
			out = append(out, d.Name)
			seen[d.Name] = true
		}
	}
	return out
}

func (e *Engine) createTable(n *sql.CreateTable) error {
	e.ddlMu.Lock()
	defer e.ddlMu.Unlock()
	if err := checkName(n.Name); err != nil {
		return err
	}
	if found, err := e.exists(n.Name, n.IfNotExists); found || err != nil {
		return err
	}
	cols := n.Columns
	pk := n.PrimaryKey
	rowID := false
	if len(pk) == 0 {
		cols = append(cols, sql.Column{Name: "_row_id", Type: types.TInt8, NotNull: true, Hidden: true})
		pk = []int{len(cols) - 1}
		rowID = true
	}
	for _, opt := range n.Options {
		return unknownOption(opt)
	}
	o := &object{Name: n.Name, Kind: sql.RelTable, Columns: columnsToJSON(cols), PrimaryKey: pk, RowID: rowID,
		WatermarkCol: -1, KeyCol: -1, Partitions: 1, Topic: n.Name}
	// Not compacted yet: a new view backfills from the changelog, which must
	// keep every record a later delete retracts.
	return e.createWithTopic(o, wlog.TopicConfig{Partitions: 1})
}

func (e *Engine) createView(n *sql.CreateView, text string) error {
	e.ddlMu.Lock()
	defer e.ddlMu.Unlock()
	if found, err := e.exists(n.Name, n.IfNotExists); found || err != nil {
		return err
	}
	if !n.Materialized {
		// A view is its query, bound again wherever it is used.
		o := &object{Name: n.Name, Kind: sql.RelView, Columns: columnsToJSON(n.Query.Cols), SQL: text, WatermarkCol: -1, KeyCol: -1,
			Deps: dependencyNames(n.Deps)}
		return e.commitNewObject(o, nil)
	}
	plan, err := planner.PlanView(n.Query, n.Emit)
	if err != nil {
		return err
	}
	if err := planner.Unmaintainable(plan); err != nil && !e.cfg.unchecked {
		return err
	}
	fusions := e.cfg.fusions()
	planner.Fuse(plan, fusions)
	if len(plan.Leaves()) == 0 {
		return types.Errorf(types.CodeFeatureNotSupported, "a materialized view needs a source")
	}
	o := &object{Name: n.Name, Kind: sql.RelMaterializedView, Columns: columnsToJSON(n.Query.Cols), SQL: text, WatermarkCol: -1, KeyCol: -1,
		Deps: dependencyNames(n.Deps), Tasks: e.viewTasks(),
		HopSlices: fusions.HopSlices, SessionMerge: fusions.Sessions, JoinFilters: fusions.JoinFilters}
	if plan.Emits == planner.Upsert {
		o.RowsKeyed, o.RowsKey = true, plan.Key
	}
	if err := e.commitNewObject(o, nil); err != nil {
		return err
	}
	f, err := e.newDataflow(o, plan)
	if err != nil {
		e.dropObject(o)
		return err
	}
	e.mu.Lock()
	e.flows[o.Name] = f
	e.mu.Unlock()
	go f.run()
	return nil
}

func (e *Engine) drop(n *sql.Drop) error {
	e.ddlMu.Lock()
	defer e.ddlMu.Unlock()
	switch n.Kind {
	case sql.RelSource:
		return e.dropSources(n)
	case sql.RelSink:
		return e.dropSinks(n)
	}
	for _, name := range n.Names {
		o, ok := e.cat.get(name)
		if !ok {
			if n.IfExists {
				continue
			}
			if n.Kind == sql.RelMaterializedView {
				return types.Errorf(types.CodeUndefinedTable, "materialized view \"%s\" does not exist", name)
			}
			return types.Errorf(types.CodeUndefinedTable, "%s \"%s\" does not exist", n.Kind, name)
		}
		if o.Kind != n.Kind {
			err := types.Errorf(types.CodeWrongObjectType, "\"%s\" is not a%s %s", name, map[bool]string{true: "n", false: ""}[n.Kind == sql.RelIndex], n.Kind)
			err.Hint = "Use DROP " + strings.ToUpper(o.Kind.String()) + " to remove a " + o.Kind.String() + "."
			return err
		}
		if err := e.dropSourceWriting(o, n.Cascade); err != nil {
			return err
		}
		deps := e.visibleDependents(o)
		if len(deps) > 0 && !n.Cascade {
			err := types.Errorf(types.CodeDependentObjectsExist, "cannot drop %s %s because other objects depend on it", o.Kind, name)
			var lines []string
			for _, d := range deps {
				if dep, ok := e.cat.get(d); ok {
					lines = append(lines, dep.Kind.String()+" "+d+" depends on "+o.Kind.String()+" "+name)
				}
			}
			err.Detail = strings.Join(lines, "\n")
			err.Hint = "Use DROP ... CASCADE to drop the dependent objects too."
			return err
		}
		if err := e.dropCascade(o); err != nil {
			return err
		}
	}
	return nil
}

// visibleDependents lists what depends on o, leaving out o's own
// changelog (it goes with o).
func (e *Engine) visibleDependents(o *object) []string {
	var out []string
	for _, d := range e.cat.dependents(o.Name) {
		if dep, ok := e.cat.get(d); ok && !isChangelogOf(dep, o.Name) {
			out = append(out, d)
		}
	}
	return out
}

// dropCascade drops what depends on o, all the way down, then o with its
// changelog and indexes.
func (e *Engine) dropCascade(o *object) error {
	for _, d := range e.visibleDependents(o) {
		if dep, ok := e.cat.get(d); ok {
			if err := e.dropCascade(dep); err != nil {
				return err
			}
		}
	}
	if o.Kind == sql.RelMaterializedView {
		if err := e.dropChangelog(o); err != nil {
			return err
		}
	}
	if err := e.dropWithIndexes(o); err != nil {
		return err
	}
	// A view no other view reads any more needs no changelog.
	for _, d := range o.Deps {
		if up, ok := e.cat.get(d); ok && up.Kind == sql.RelMaterializedView && !e.readByViews(up) {
			if err := e.dropChangelog(up); err != nil {
				return err
			}
		}
	}
	return nil
}

// readByViews reports whether a materialized view reads view.
func (e *Engine) readByViews(view *object) bool {
	for _, d := range e.visibleDependents(view) {
		if o, ok := e.cat.get(d); ok && o.Kind == sql.RelMaterializedView {
			return true
		}
	}
	return false
}

// dropWithIndexes drops o and the indexes on it.
func (e *Engine) dropWithIndexes(o *object) error {
	for _, ix := range e.cat.indexesOf(o.Name) {
		if err := e.dropObject(ix); err != nil {
			return err
		}
	}
	if o.Kind == sql.RelIndex {
		// Writers must not see a half-removed index.
		if t, ok := e.cat.get(o.Table); ok && t.Kind == sql.RelTable {
			mu := e.tableLock(t.Name)
			mu.Lock()
			defer mu.Unlock()
		}
	}
	return e.dropObject(o)
}

// dropObject stops o's dataflow and removes its catalog entry, state and
// topic.
func (e *Engine) dropObject(o *object) error {
	e.mu.Lock()
	f := e.flows[o.Name]
	delete(e.flows, o.Name)
	e.mu.Unlock()
	if f != nil {
		f.stop()
	}
	b := e.st.NewBatch()
	if err := b.Delete(catalogTable, []byte(o.Name)); err != nil {
		b.Close()
		return err
	}
	if err := b.Commit(); err != nil {
		return err
	}
	e.cat.remove(o.Name)
	if o.Kind == sql.RelSink {
		// Its view runs on without it.
		if err := e.restartView(o.Table); err != nil {
			return err
		}
	}
	for id := o.ID; id < o.ID+idsPerObject; id++ {
		if err := e.st.DropTable(id); err != nil {
			return err
		}
	}
	for _, t := range []uint32{progressTable, tableProgress} {
		if err := e.st.DropPrefix(t, binary.BigEndian.AppendUint32(nil, o.ID)); err != nil {
			return err
		}
	}
	if o.Topic != "" {
		if err := e.log.DropTopic(o.Topic); err != nil {
			return types.Wrap(err, types.CodeIOError, "removing topic of %s", o.Name)
		}
	}
	return nil
}

// setLogOption applies one of the log options CREATE and ALTER share.
func setLogOption(cfg *wlog.TopicConfig, opt sql.Option) error {
	name := strings.ToLower(opt.Name)
	lowest := int64(0)
	if name == "segment_bytes" {
		lowest = 4096
	}
	v, err := intOption(opt, lowest)
	if err != nil {
		return err
	}
	switch name {
	case "retention_ms":
		cfg.RetentionMs = v
	case "retention_bytes":
		cfg.RetentionBytes = v
	case "segment_bytes":
		cfg.SegmentBytes = v
	}
	return nil
}

func hasKeyOption(opts []sql.Option) bool {
	for _, o := range opts {
		if strings.EqualFold(o.Name, "key") {
			return true
		}
	}
	return false
}

// alter changes a stream's or table's log options at run time.
func (e *Engine) alter(n *sql.Alter) error {
	e.ddlMu.Lock()
	defer e.ddlMu.Unlock()
	o, ok := e.cat.get(n.Name)
	if !ok {
		return types.Errorf(types.CodeUndefinedTable, "relation \"%s\" does not exist", n.Name)
	}
	if o.Kind != n.Kind {
		return types.Errorf(types.CodeWrongObjectType, "\"%s\" is not a %s", n.Name, n.Kind)
	}
	if o.Topic == "" {
		return types.Errorf(types.CodeFeatureNotSupported, "ALTER %s ... SET is not supported", strings.ToUpper(n.Kind.String()))
	}
	t, ok := e.log.Topic(o.Topic)
	if !ok {
		return types.Errorf(types.CodeDataCorrupted, "topic of %s is missing", o.Name)
	}
	cfg := t.Config()
	for _, name := range n.Reset {
		switch strings.ToLower(name) {
		case "retention_ms":
			cfg.RetentionMs = 0
		case "retention_bytes":
			cfg.RetentionBytes = 0
		default:
			return types.Errorf(types.CodeInvalidParameterValue, "option \"%s\" cannot be reset", name)
		}
	}
	for _, opt := range n.Set {
		switch strings.ToLower(opt.Name) {
		case "retention_ms", "retention_bytes", "segment_bytes":
			if err := setLogOption(&cfg, opt); err != nil {
				return err
			}
		case "partitions", "key", "cleanup":
			return types.Errorf(types.CodeFeatureNotSupported, "option \"%s\" cannot be changed after creation", opt.Name)
		default:
			return unknownOption(opt)
		}
	}
	if err := t.SetConfig(cfg); err != nil {
		return types.Wrap(err, types.CodeInvalidParameterValue, "changing options of %s", o.Name)
	}
	return nil
}
