package engine

import "strings"

// A materialized view read by another one publishes its changes through a
// changelog stream: a hidden sink (envelope "changelog": the view's rows
// plus weir_diff, +1 or -1) writes the view's rows when it is made and
// then every commit's changes, exactly once, and the reading view's
// dataflow consumes that stream as a retracting source, from its start.
// Both are named changelogPrefix + view; the names cannot be typed, and
// pg_catalog does not list them. They go with their view, or when the
// last view reading it goes.

const changelogPrefix = "\x00changelog:"

// viewChangelog returns the stream carrying view's changes, creating it
// and its sink when missing; ddlMu is held.
func (e *Engine) viewChangelog(view *object) (*object, error) {
	name := changelogPrefix + view.Name
	if st, ok := e.cat.get(name); ok {
		return st, nil
	}
	plan, err := e.viewPlan(view)
	if err != nil {
		return nil, err
	}
	if err := e.addSink(name, view, plan, envelopeChangelog, name, ""); err != nil {
		return nil, err
	}
	st, _ := e.cat.get(name)
	return st, nil
}

// hidden reports whether an object is internal to Weir: a view's
// changelog stream or its sink.
func hidden(name string) bool { return strings.HasPrefix(name, "\x00") }

// dropChangelog removes view's changelog sink and stream, if any.
func (e *Engine) dropChangelog(view *object) error {
	for _, name := range []string{sinkPrefix + changelogPrefix + view.Name, changelogPrefix + view.Name} {
		if o, ok := e.cat.get(name); ok {
			if err := e.dropObject(o); err != nil {
				return err
			}
		}
	}
	return nil
}

// isChangelogOf reports whether o is part of view's changelog.
func isChangelogOf(o *object, view string) bool {
	return o.Name == changelogPrefix+view || o.Name == sinkPrefix+changelogPrefix+view
}
