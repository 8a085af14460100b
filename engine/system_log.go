package engine

import (
	"github.com/weir-db/weir/types"
)

// weir_catalog.topics: the log as users see it, one row per partition.
func init() {
	registerSystemTable(&systemTable{
		name: "weir_catalog.topics", oid: 16101,
		cols: cols("topic", types.TText, "partition", types.TInt4, "start_offset", types.TInt8, "end_offset", types.TInt8,
			"bytes", types.TInt8, "retention_ms", types.TInt8, "retention_bytes", types.TInt8, "compacted", types.TBool),
		rows: func(sc *systemCtx) ([][]types.Datum, error) {
			var out [][]types.Datum
			for _, name := range sc.e.log.Topics() {
				t, ok := sc.e.log.Topic(name)
				if !ok {
					continue
				}
				cfg := t.Config()
				for p := 0; p < t.NumPartitions(); p++ {
					var rms, rb types.Datum
					if cfg.RetentionMs > 0 {
						rms = cfg.RetentionMs
					}
					if cfg.RetentionBytes > 0 {
						rb = cfg.RetentionBytes
					}
					out = append(out, []types.Datum{name, int64(p), t.StartOffset(p), t.EndOffset(p), t.SizeBytes(p), rms, rb, cfg.Compact})
				}
			}
			return out, nil
		},
	})
}
