package exec

import "github.com/weir-db/weir/types"

// ProcClock is processing time as the runtime hands it to a dataflow: it
// sets Now (microseconds, never decreasing) before each epoch, so every
// row of an epoch sees the same time and operators read no clock.
type ProcClock struct {
	Now int64
}

// ProcTime is proctime(): the epoch's processing time.
type ProcTime struct {
	Clock *ProcClock
	T     types.Type
}

// Type implements Expr.
func (p *ProcTime) Type() types.Type { return p.T }

// EvalRow implements Expr.
func (p *ProcTime) EvalRow([]types.Datum) (types.Datum, error) {
	return types.DTimestamp(p.Clock.Now), nil
}
