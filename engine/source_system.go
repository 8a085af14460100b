package engine

import (
	"strings"

	"github.com/weir-db/weir/types"
)

// weir_catalog.sources: each source's progress. events counts the events
// that have landed in its streams (every id below it); target is the
// events option (NULL when unbounded); done is true once all of them
// landed; error says why a source stopped early.
func init() {
	registerSystemTable(&systemTable{
		name: "weir_catalog.sources", oid: 16301,
		cols: cols("name", types.TText, "connector", types.TText, "streams", types.TText, "events", types.TInt8,
			"target", types.TInt8, "event_rate", types.TInt8, "done", types.TBool, "error", types.TText),
		rows: func(sc *systemCtx) ([][]types.Datum, error) {
			var out [][]types.Datum
			for _, t := range sc.e.sourceTasks() {
				events, finished, err := t.progress()
				var target, msg types.Datum
				if t.spec.Events >= 0 {
					target = t.spec.Events
				}
				if err != nil {
					msg = err.Error()
				}
				out = append(out, []types.Datum{t.spec.Name, t.spec.Connector, strings.Join(t.spec.Streams, ", "), events,
					target, t.spec.EventRate, finished && err == nil, msg})
			}
			return out, nil
		},
	})
}
