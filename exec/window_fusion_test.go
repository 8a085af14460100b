package exec

import (
	"math/rand"

	"github.com/apache/arrow/go/v15/arrow/decimal128"
	"github.com/weir-db/weir/types"
)

// The tests of aggregations that compute their windows themselves (HOP
// slices, merged sessions) run random streams of rows (ts, k, x, d)
// through the fused aggregation and through the window operator then
// the same aggregation.
var fusionTypes = []types.Type{types.TTimestamp, types.TText, types.TInt8, types.NumericOf(2)}

// fusionAggs are the aggregates the tests fold over fusionTypes' rows:
// count, sum, avg, min, max and FILTER, and with distinct a DISTINCT one.
func fusionAggs(distinct bool) []AggSpec {
	positive := &Call{Func: ">", Args: []Expr{col(2, types.TInt8), &Const{V: int64(3), T: types.TInt8}}, T: types.TBool}
	aggs := []AggSpec{
		{Func: "count_star", T: types.TInt8},
		{Func: "count", Arg: col(2, types.TInt8), T: types.TInt8},
		{Func: "sum", Arg: col(3, fusionTypes[3]), T: fusionTypes[3]},
		{Func: "avg", Arg: col(2, types.TInt8), T: types.NumericOf(0)},
		{Func: "min", Arg: col(3, fusionTypes[3]), T: fusionTypes[3]},
		{Func: "max", Arg: col(2, types.TInt8), T: types.TInt8},
		{Func: "sum", Arg: col(2, types.TInt8), Filter: positive, T: types.TInt8},
	}
	if distinct {
		aggs = append(aggs, AggSpec{Func: "count", Arg: col(2, types.TInt8), Distinct: true, T: types.TInt8})
	}
	return aggs
}

// fusionChunk makes up to max-1 random rows: times up to back before
// *front, which each row moves on by up to step-1; now and then a NULL
// time, x or d.
func fusionChunk(rng *rand.Rand, front *int64, max, back, step int) *Chunk {
	cb := NewChunkBuilder(fusionTypes)
	for n := rng.Intn(max); n > 0; n-- {
		var tv types.Datum = types.DTimestamp(*front - int64(rng.Intn(back+1)))
		*front += int64(rng.Intn(step))
		if rng.Intn(15) == 0 {
			tv = nil
		}
		var x, d types.Datum = int64(rng.Intn(8)), types.Decimal{Coef: decimal128.FromI64(int64(rng.Intn(2000) - 1000)), Scale: 2}
		if rng.Intn(6) == 0 {
			x = nil
		}
		if rng.Intn(6) == 0 {
			d = nil
		}
		cb.Append(Insert, []types.Datum{tv, []string{"a", "b", "c"}[rng.Intn(3)], x, d})
	}
	return cb.Build()
}
