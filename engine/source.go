package engine

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"

	"github.com/weir-db/weir/sql"
	"github.com/weir-db/weir/storage/state"
	"github.com/weir-db/weir/types"
)

// A source is a connector that lands generated or external data in
// streams (DESIGN.md §3). Its catalog entry (kind sql.RelSource, named
// sourcePrefix+name so sources have their own namespace, apart from
// relations) carries the statement that made it; its definition, including
// where each target stream ended when the source was created, is stored
// in the first state table of its id block, committed with the entry.
// Each source runs as one goroutine the engine owns (sourceTask).

const sourcePrefix = "\x00source:"

var sourceSpecKey = []byte("spec")

// sourceSpec is a source's stored definition.
type sourceSpec struct {
	Name      string `json:"name"`
	Connector string `json:"connector"`
	Seed      uint64 `json:"seed"`
	// EventRate paces appends in events per second of wall time; 0 is as
	// fast as possible.
	EventRate int64 `json:"event_rate"`
	// EventTimeRate spaces event times: events per second of event time.
	EventTimeRate int64 `json:"event_time_rate"`
	// Events stops the source after that many events; -1 never stops.
	Events           int64  `json:"events"`
	Prefix           string `json:"prefix"`
	WatermarkDelayMs int64  `json:"watermark_delay_ms"`
	// Streams are the target streams, one per event kind, and Base their
	// end offsets when the source was created: the source's records in
	// stream k are the ones from Base[k] on.
	Streams []string `json:"streams"`
	Base    []int64  `json:"base"`
}

// nexmarkDefaults are the options a nexmark source has unless given.
const (
	defaultEventTimeRate    = 10_000
	defaultWatermarkDelayMs = 4_000
)

// parseSourceOptions validates CREATE SOURCE's options.
func parseSourceOptions(name string, opts []sql.Option) (*sourceSpec, error) {
	spec := &sourceSpec{Name: name, Events: -1, WatermarkDelayMs: defaultWatermarkDelayMs}
	seen := map[string]bool{}
	for _, o := range opts {
		key := strings.ToLower(o.Name)
		if seen[key] {
			e := types.Errorf(types.CodeSyntaxError, "option \"%s\" specified more than once", o.Name)
			e.Position = o.Pos
			return nil, e
		}
		seen[key] = true
		var err error
		switch key {
		case "connector":
			spec.Connector = strings.ToLower(o.Value)
		case "seed":
			var v uint64
			if v, err = strconv.ParseUint(o.Value, 10, 64); err != nil {
				e := types.Errorf(types.CodeInvalidParameterValue, "invalid value for option \"%s\": %q (must be an integer >= 0)", o.Name, o.Value)
				e.Position = o.Pos
				return nil, e
			}
			spec.Seed = v
		case "event_rate":
			spec.EventRate, err = intOption(o, 0)
		case "event_time_rate":
			spec.EventTimeRate, err = intOption(o, 1)
		case "events":
			spec.Events, err = intOption(o, 0)
		case "watermark_delay_ms":
			spec.WatermarkDelayMs, err = intOption(o, 0)
		case "prefix":
			spec.Prefix = o.Value
		default:
			err = unknownOption(o)
		}
		if err != nil {
			return nil, err
		}
	}
	switch spec.Connector {
	case "nexmark":
	case "":
		return nil, types.Errorf(types.CodeSyntaxError, "CREATE SOURCE %s needs a connector: WITH (connector = 'nexmark', ...)", name)
	default:
		return nil, types.Errorf(types.CodeFeatureNotSupported, "connector \"%s\" is not supported (supported: nexmark)", spec.Connector)
	}
	if spec.EventTimeRate == 0 {
		spec.EventTimeRate = defaultEventTimeRate
		if spec.EventRate > 0 {
			spec.EventTimeRate = spec.EventRate
		}
	}
	for _, s := range nexmarkStreams {
		n := spec.Prefix + s.name
		if err := checkName(n); err != nil {
			return nil, types.Errorf(types.CodeInvalidParameterValue, "invalid value for option \"prefix\": stream name \"%s\" may use only letters, digits, '.', '_' and '-'", n)
		}
		spec.Streams = append(spec.Streams, n)
	}
	return spec, nil
}

// createSource creates a source, and its target streams where they do not
// exist yet, then starts it.
func (e *Engine) createSource(n *sql.CreateSource, text string) error {
	e.ddlMu.Lock()
	defer e.ddlMu.Unlock()
	if err := checkName(n.Name); err != nil {
		return err
	}
	if _, ok := e.cat.get(sourcePrefix + n.Name); ok {
		if n.IfNotExists {
			return nil
		}
		return types.Errorf(types.CodeDuplicateObject, "source \"%s\" already exists", n.Name)
	}
	spec, err := parseSourceOptions(n.Name, n.Options)
	if err != nil {
		return err
	}
	for _, t := range e.sourceTasks() {
		for _, s := range t.spec.Streams {
			for _, mine := range spec.Streams {
				if s == mine {
					err := types.Errorf(types.CodeDuplicateObject, "stream \"%s\" is already the target of source \"%s\"", s, t.spec.Name)
					err.Hint = "Give the new source its own streams with the prefix option."
					return err
				}
			}
		}
	}
	if err := e.ensureNexmarkStreams(spec); err != nil {
		return err
	}
	for _, s := range spec.Streams {
		o, _ := e.cat.get(s)
		t, ok := e.log.Topic(o.Topic)
		if !ok {
			return types.Errorf(types.CodeDataCorrupted, "topic of stream %s is missing", s)
		}
		spec.Base = append(spec.Base, t.EndOffset(0))
	}
	v, err := json.Marshal(spec)
	if err != nil {
		return err
	}
	o := &object{Name: sourcePrefix + n.Name, Kind: sql.RelSource, SQL: text, WatermarkCol: -1, KeyCol: -1}
	if err := e.commitNewObject(o, func(b *state.Batch) error { return b.Set(o.ID, sourceSpecKey, v) }); err != nil {
		return err
	}
	return e.startSource(o)
}

// startSource starts the task of a committed source (at creation or
// recovery). A source that cannot start is kept and shows its error in
// weir_catalog.sources, so the rest of the engine still starts.
func (e *Engine) startSource(o *object) error {
	v, err := e.st.Get(o.ID, sourceSpecKey)
	if err != nil {
		return types.Wrap(err, types.CodeDataCorrupted, "reading the definition of source %s", strings.TrimPrefix(o.Name, sourcePrefix))
	}
	spec := &sourceSpec{}
	if err := json.Unmarshal(v, spec); err != nil {
		return types.Errorf(types.CodeDataCorrupted, "definition of source %s is corrupt: %v", strings.TrimPrefix(o.Name, sourcePrefix), err)
	}
	t := newSourceTask(e, spec)
	e.mu.Lock()
	if e.sources == nil {
		e.sources = map[string]*sourceTask{}
	}
	e.sources[spec.Name] = t
	e.mu.Unlock()
	if err := t.resume(); err != nil {
		e.cfg.Logf("source %s cannot start: %v", spec.Name, err)
		t.finish(err)
		return nil
	}
	go t.run()
	return nil
}

// sourceTasks lists the sources by name.
func (e *Engine) sourceTasks() []*sourceTask {
	e.mu.Lock()
	out := make([]*sourceTask, 0, len(e.sources))
	for _, t := range e.sources {
		out = append(out, t)
	}
	e.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].spec.Name < out[j].spec.Name })
	return out
}

// dropSources runs DROP SOURCE: it stops each source and removes its
// definition. Its streams and what it wrote stay. The caller holds ddlMu.
func (e *Engine) dropSources(n *sql.Drop) error {
	return e.dropNamespaced(n, sourcePrefix, "source", e.dropSource)
}

func (e *Engine) dropSource(o *object) error {
	name := strings.TrimPrefix(o.Name, sourcePrefix)
	e.mu.Lock()
	t := e.sources[name]
	delete(e.sources, name)
	e.mu.Unlock()
	if t != nil {
		t.stop()
	}
	return e.dropObject(o)
}

// dropSourceWriting handles DROP STREAM of a source's target: refused
// (2BP01) while the source exists, unless CASCADE, which drops the source.
// The caller holds ddlMu.
func (e *Engine) dropSourceWriting(stream *object, cascade bool) error {
	if stream.Kind != sql.RelStream {
		return nil
	}
	for _, t := range e.sourceTasks() {
		for _, s := range t.spec.Streams {
			if s != stream.Name {
				continue
			}
			if !cascade {
				err := types.Errorf(types.CodeDependentObjectsExist, "cannot drop stream %s because other objects depend on it", stream.Name)
				err.Detail = "source " + t.spec.Name + " writes to stream " + stream.Name
				err.Hint = "Use DROP ... CASCADE to drop the dependent objects too."
				return err
			}
			if o, ok := e.cat.get(sourcePrefix + t.spec.Name); ok {
				if err := e.dropSource(o); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// stopSources stops every source task (at Close).
func (e *Engine) stopSources() {
	for _, t := range e.sourceTasks() {
		t.stop()
	}
}
