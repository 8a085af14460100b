package engine

import (
	"sort"
	"strconv"
	"strings"

	"github.com/weir-db/weir/exec"
	"github.com/weir-db/weir/planner"
	"github.com/weir-db/weir/sql"
	wlog "github.com/weir-db/weir/storage/log"
	"github.com/weir-db/weir/storage/state"
	"github.com/weir-db/weir/types"
)

// A sink writes a materialized view's changes to a stream, for other
// views, ad hoc queries and (later) Kafka clients (DESIGN.md §3):
//
//	CREATE SINK s FROM v [WITH (envelope = 'debezium' | 'upsert' | 'append', topic = 'stream')]
//
// Its catalog entry (kind sql.RelSink, named sinkPrefix+name: sinks have
// their own namespace) depends on the view and the stream. The view's
// dataflow writes the sink: each epoch's changes, laid out in the
// envelope, are staged in the epoch's state batch — atomically with the
// view's state and source offsets — and appended to the stream after the
// commit, each record marked with the sink and its place, so a crash
// between the two appends nothing twice (exec.LateWriter). A new sink
// first stages the view's current rows, so the stream starts with the
// view's contents.

const sinkPrefix = "\x00sink:"

// Sink envelopes.
const (
	envelopeAppend   = "append"   // the view's rows; the view must be append-only
	envelopeUpsert   = "upsert"   // the view's rows plus op 'upsert' or 'delete', by the view's key
	envelopeDebezium = "debezium" // op ('c', 'u', 'd'), before and after as JSON, ts_ms
	// envelopeChangelog is internal: the view's rows plus weir_diff (+1
	// or -1), the changelog other views read a view through.
	envelopeChangelog = "changelog"
)

// sinkColumns are the target stream's columns for an envelope.
func sinkColumns(envelope string, view []sql.Column) []sql.Column {
	switch envelope {
	case envelopeAppend:
		return view
	case envelopeUpsert:
		return append(append([]sql.Column(nil), view...), sql.Column{Name: "op", Type: types.TText})
	case envelopeChangelog:
		return append(append([]sql.Column(nil), view...), sql.Column{Name: "weir_diff", Type: types.TInt8})
	}
	return []sql.Column{{Name: "op", Type: types.TText}, {Name: "before", Type: types.TJsonb},
		{Name: "after", Type: types.TJsonb}, {Name: "ts_ms", Type: types.TInt8}}
}

// createSink makes a sink and restarts its view's dataflow with it.
func (e *Engine) createSink(n *sql.CreateSink, text string) error {
	e.ddlMu.Lock()
	defer e.ddlMu.Unlock()
	name := sinkPrefix + n.Name
	if _, ok := e.cat.get(name); ok {
		if n.IfNotExists {
			return nil
		}
		return types.Errorf(types.CodeDuplicateObject, "sink \"%s\" already exists", n.Name)
	}
	if n.From == nil {
		return types.Errorf(types.CodeFeatureNotSupported, "CREATE SINK ... AS SELECT is not supported; create a materialized view and CREATE SINK ... FROM it")
	}
	view, ok := e.cat.get(n.From.Name)
	if !ok || view.Kind != sql.RelMaterializedView {
		return types.Errorf(types.CodeWrongObjectType, "\"%s\" is not a materialized view", n.From.Name)
	}
	envelope, target := envelopeDebezium, n.Name
	for _, o := range n.Options {
		switch strings.ToLower(o.Name) {
		case "envelope":
			envelope = strings.ToLower(o.Value)
			if envelope != envelopeAppend && envelope != envelopeUpsert && envelope != envelopeDebezium {
				return types.Errorf(types.CodeInvalidParameterValue, "envelope must be 'append', 'upsert' or 'debezium', not '%s'", o.Value)
			}
		case "topic":
			target = o.Value
		default:
			return unknownOption(o)
		}
	}
	plan, err := e.viewPlan(view)
	if err != nil {
		return err
	}
	switch {
	case envelope == envelopeAppend && plan.Emits != planner.AppendOnly:
		return types.Errorf(types.CodeInvalidObjectDefinition, "sink \"%s\": envelope 'append' needs an append-only view, and %s emits %s changes; use envelope 'upsert' or 'debezium'", n.Name, view.Name, plan.Emits)
	case envelope == envelopeUpsert && plan.Emits != planner.Upsert:
		return types.Errorf(types.CodeInvalidObjectDefinition, "sink \"%s\": envelope 'upsert' needs a view with a key (an aggregation's groups, a table's primary key), and %s emits %s changes; use envelope 'debezium'", n.Name, view.Name, plan.Emits)
	}
	return e.addSink(n.Name, view, plan, envelope, target, text)
}

// addSink makes sink name over view, writing target in envelope, and
// restarts the view with it; ddlMu is held.
func (e *Engine) addSink(sinkName string, view *object, plan *planner.Plan, envelope, target, text string) error {
	name := sinkPrefix + sinkName
	spec := &planner.LateSpec{Cols: sinkColumns(envelope, view.columns())}
	stream, ok := e.cat.get(target)
	if !ok {
		if !strings.HasPrefix(target, changelogPrefix) {
			if err := checkName(target); err != nil {
				return err
			}
		}
		topic := target
		if strings.HasPrefix(target, changelogPrefix) {
			// A view's changelog: topic names allow no control bytes.
			topic = "weir.changelog." + strconv.FormatUint(uint64(view.ID), 10)
		}
		stream = &object{Name: target, Kind: sql.RelStream, Columns: columnsToJSON(spec.Cols), WatermarkCol: -1, Partitions: 1, KeyCol: -1, Topic: topic}
		if err := e.createWithTopic(stream, wlog.TopicConfig{Partitions: 1}); err != nil {
			return err
		}
	} else if err := lateTargetFits(stream, spec); err != nil {
		return types.Errorf(types.CodeDatatypeMismatch, "sink \"%s\": stream \"%s\" must have one partition and the columns (%s)", sinkName, target, lateColumnList(spec))
	}
	o := &object{Name: name, Kind: sql.RelSink, SQL: text, Table: view.Name, Target: target, Envelope: envelope,
		WatermarkCol: -1, KeyCol: -1, Deps: []string{view.Name, target}}
	// The stream starts with the view's current rows.
	return e.restartFlow(view, func() error {
		return e.commitNewObject(o, func(b *state.Batch) error {
			w, err := e.sinkWriter(o, view, plan)
			if err != nil {
				return err
			}
			var snapshot []ViewChange
			if err := e.st.Scan(view.ID, nil, func(k, v []byte) error {
				return exec.ForEachViewRow(v, view.types(), func(row []types.Datum, n int64) error {
					for ; n > 0; n-- {
						snapshot = append(snapshot, ViewChange{Diff: 1, Row: row})
					}
					return nil
				})
			}); err != nil {
				return err
			}
			return w.stage(b, snapshot, nowMicros())
		})
	})
}

// viewPlan plans a stored view's query again.
func (e *Engine) viewPlan(view *object) (*planner.Plan, error) {
	ps, err := view.parseStored()
	if err != nil {
		return nil, err
	}
	st, err := sql.Bind(ps[0], e.cat)
	if err != nil {
		return nil, err
	}
	cv, ok := st.(*sql.CreateView)
	if !ok {
		return nil, types.Errorf(types.CodeDataCorrupted, "stored definition of %s is not a view", view.Name)
	}
	plan, err := planner.PlanView(cv.Query, cv.Emit)
	if err == nil {
		planner.Fuse(plan, view.fusions())
	}
	return plan, err
}

// sinksOf lists the sinks reading view.
func (c *catalog) sinksOf(view string) []*object {
	var out []*object
	for _, o := range c.byID() {
		if o.Kind == sql.RelSink && o.Table == view {
			out = append(out, o)
		}
	}
	return out
}

// dropSinks is DROP SINK: each sink goes and its view runs on without it.
func (e *Engine) dropSinks(n *sql.Drop) error {
	return e.dropNamespaced(n, sinkPrefix, "sink", e.dropObject)
}

// dropNamespaced drops the named objects of a namespace of their own
// (sources, sinks) with drop, as DROP ... [IF EXISTS] does.
func (e *Engine) dropNamespaced(n *sql.Drop, prefix, kind string, drop func(*object) error) error {
	for _, name := range n.Names {
		o, ok := e.cat.get(prefix + name)
		if !ok {
			if n.IfExists {
				continue
			}
			return types.Errorf(types.CodeUndefinedObject, "%s \"%s\" does not exist", kind, name)
		}
		if err := drop(o); err != nil {
			return err
		}
	}
	return nil
}

// restartView restarts a running view's dataflow (its sinks changed).
func (e *Engine) restartView(name string) error {
	view, ok := e.cat.get(name)
	if !ok || view.Kind != sql.RelMaterializedView {
		return nil
	}
	e.mu.Lock()
	f := e.flows[name]
	e.mu.Unlock()
	if f == nil {
		return nil
	}
	return e.restartFlow(view, func() error { return nil })
}

// sink is a sink as its view's dataflow writes it.
type sink struct {
	obj      *object
	envelope string
	key      []int // the view's key (upsert and debezium pair changes by it)
	viewType []types.Type
	cols     []sql.Column // the view's
	writer   *exec.LateWriter
}

// sinkWriter prepares the writing of sink o over view.
func (e *Engine) sinkWriter(o, view *object, plan *planner.Plan) (*sink, error) {
	stream, ok := e.cat.get(o.Target)
	if !ok {
		return nil, types.Errorf(types.CodeUndefinedTable, "stream \"%s\" of sink \"%s\" does not exist", o.Target, strings.TrimPrefix(o.Name, sinkPrefix))
	}
	topic, ok := e.log.Topic(stream.Topic)
	if !ok {
		return nil, types.Errorf(types.CodeDataCorrupted, "topic of stream %s is missing", stream.Name)
	}
	s := &sink{obj: o, envelope: o.Envelope, viewType: view.types(), cols: view.columns(),
		writer: &exec.LateWriter{Topic: topic, Types: stream.types(), ViewID: o.ID, Table: progressTable, Prefix: progressKey(o.ID, "sink")}}
	if plan.Emits == planner.Upsert {
		s.key = plan.Key
		if s.key == nil {
			s.key = []int{} // one row: every change is to the same key
		}
	}
	return s, nil
}

// stage lays out one commit's changes in the envelope and stages them.
func (s *sink) stage(b exec.StateStore, changes []ViewChange, atMicros int64) error {
	var rows [][]types.Datum
	switch s.envelope {
	case envelopeChangelog:
		for _, c := range changes {
			sign, n := int64(1), c.Diff
			if n < 0 {
				sign, n = -1, -n
			}
			for ; n > 0; n-- {
				rows = append(rows, append(append([]types.Datum(nil), c.Row...), sign))
			}
		}
	case envelopeAppend:
		for _, c := range changes {
			for n := c.Diff; n > 0; n-- {
				rows = append(rows, c.Row)
			}
		}
	case envelopeUpsert:
		for _, k := range s.byKey(changes) {
			if k.after != nil {
				rows = append(rows, append(append([]types.Datum(nil), k.after...), "upsert"))
				continue
			}
			del := make([]types.Datum, len(k.before)+1)
			for _, i := range s.key {
				del[i] = k.before[i]
			}
			del[len(k.before)] = "delete"
			rows = append(rows, del)
		}
	default:
		ts := atMicros / 1000
		if s.key == nil {
			for _, c := range changes {
				for n := c.Diff; n > 0; n-- {
					rows = append(rows, []types.Datum{"c", nil, s.json(c.Row), ts})
				}
				for n := c.Diff; n < 0; n++ {
					rows = append(rows, []types.Datum{"d", s.json(c.Row), nil, ts})
				}
			}
			break
		}
		for _, k := range s.byKey(changes) {
			switch {
			case k.before == nil:
				rows = append(rows, []types.Datum{"c", nil, s.json(k.after), ts})
			case k.after == nil:
				rows = append(rows, []types.Datum{"d", s.json(k.before), nil, ts})
			default:
				rows = append(rows, []types.Datum{"u", s.json(k.before), s.json(k.after), ts})
			}
		}
	}
	return s.writer.Stage(b, rows)
}

// keyChange is what a commit did to one key of the view.
type keyChange struct {
	key           string
	before, after []types.Datum
}

// byKey nets a commit's changes per key of the view, in key order.
func (s *sink) byKey(changes []ViewChange) []keyChange {
	byKey := map[string]*keyChange{}
	var order []string
	for _, c := range changes {
		var k []byte
		for _, i := range s.key {
			k = types.AppendKey(k, s.viewType[i], c.Row[i], false)
		}
		kc := byKey[string(k)]
		if kc == nil {
			kc = &keyChange{key: string(k)}
			byKey[string(k)] = kc
			order = append(order, string(k))
		}
		if c.Diff > 0 {
			kc.after = c.Row
		} else {
			kc.before = c.Row
		}
	}
	sort.Strings(order)
	out := make([]keyChange, 0, len(order))
	for _, k := range order {
		if kc := byKey[k]; kc.before != nil || kc.after != nil {
			out = append(out, *kc)
		}
	}
	return out
}

// json renders a view row as a JSON object of its columns.
func (s *sink) json(row []types.Datum) types.Datum {
	var b strings.Builder
	b.WriteByte('{')
	for i, c := range s.cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(c.Name))
		b.WriteString(": ")
		d := row[i]
		switch {
		case d == nil:
			b.WriteString("null")
		case c.Type.Family == types.Bool:
			b.WriteString(strconv.FormatBool(d == true))
		case c.Type.IsInteger() || c.Type.Family == types.Numeric:
			b.WriteString(types.TextString(c.Type, d))
		default:
			// Floats too: NaN and Infinity have no JSON number.
			b.WriteString(strconv.Quote(types.TextString(c.Type, d)))
		}
	}
	b.WriteByte('}')
	return b.String()
}

// weir_catalog.sinks: each sink, its view, stream and envelope.
func init() {
	registerSystemTable(&systemTable{
		name: "weir_catalog.sinks", oid: 16302,
		cols: cols("name", types.TText, "view_name", types.TText, "stream", types.TText, "envelope", types.TText),
		rows: func(sc *systemCtx) ([][]types.Datum, error) {
			var out [][]types.Datum
			for _, o := range sc.objects {
				if o.Kind != sql.RelSink || hidden(strings.TrimPrefix(o.Name, sinkPrefix)) {
					continue
				}
				out = append(out, []types.Datum{strings.TrimPrefix(o.Name, sinkPrefix), o.Table, o.Target, o.Envelope})
			}
			return out, nil
		},
	})
}
