package planner

import (
	"github.com/weir-db/weir/sql"
	"github.com/weir-db/weir/types"
)

// JoinKind is how a streaming join treats rows without a match.
type JoinKind uint8

// Streaming join kinds. Semi and Anti output left rows only: those with at
// least one match, or with none.
const (
	Inner JoinKind = iota
	LeftOuter
	RightOuter
	FullOuter
	Semi
	Anti
)

func (k JoinKind) String() string {
	return [...]string{"inner", "left outer", "right outer", "full outer", "semi", "anti"}[k]
}

// JoinInput joins two sub-plans on equal keys, then a residual condition.
// Output rows are the left row's columns then the right's (left only for
// Semi and Anti); an outer side's unmatched rows are padded with NULLs,
// and the padding is retracted when a match appears.
type JoinInput struct {
	Left, Right *Plan
	Kind        JoinKind
	// LeftKeys[i] = RightKeys[i] are the equi-join columns of each side.
	LeftKeys, RightKeys []int
	// Cond is the rest of the ON condition over the joined row (nil: none).
	Cond sql.Expr
	// Temporal is a stream-table lookup join (FOR SYSTEM_TIME AS OF
	// PROCTIME()): each left row joins the right side's current rows and is
	// never revised; right changes emit nothing.
	Temporal bool
	// Expire lists, per side, when that side's stored rows can no longer
	// match: a row of side s is dropped once the other side's watermark
	// passes the row's column Col plus Delta. Late rows of the other side
	// (below its watermark) are dropped and counted, since the rows they
	// could have matched may be gone.
	Expire [2]*Expiry
	// Timed says which sides deliver watermarks.
	Timed [2]bool
	// AppendOnly says which sides' inputs never retract: their rows can
	// be stored without looking for an equal row first.
	AppendOnly [2]bool
	// Keyed is, per side whose input is an upsert changelog, the columns
	// of its key (nil: none): the side holds one row per key, stored by
	// the key, and updates rewrite it in place.
	Keyed [2][]int
}

// Expiry is a join side's state-retention bound.
type Expiry struct {
	Col   int   // a timestamp column of the side
	Delta int64 // microseconds added to it
	// OtherCol is the other side's column that carries its watermark,
	// give or take OtherSlack: other-side rows whose OtherCol plus
	// OtherSlack is below the watermark are late.
	OtherCol   int
	OtherSlack int64
}

// TopNStep keeps, per partition, the rows ranked within Limit (after
// Offset) by Order, retracting rows that leave the top set. Func is
// row_number, rank or dense_rank, whose value is appended as a column;
// "" appends nothing (ORDER BY ... LIMIT in a view).
type TopNStep struct {
	Partition     []sql.Expr
	Order         []sql.OrderExpr
	Func          string
	Limit, Offset int64
	InputTypes    []types.Type
	// AppendOnlyInput lets the operator forget rows that fell out of the
	// top set: they can never come back.
	AppendOnlyInput bool
}

func (*TopNStep) step() {}

// Walk calls fn on p and every sub-plan, parents first.
func (p *Plan) Walk(fn func(*Plan)) {
	fn(p)
	if p.Join != nil {
		p.Join.Left.Walk(fn)
		p.Join.Right.Walk(fn)
	}
	for _, u := range p.Union {
		u.Walk(fn)
	}
}

// Leaves lists the sub-plans that read a source, left to right.
func (p *Plan) Leaves() []*Plan {
	var out []*Plan
	p.Walk(func(q *Plan) {
		if q.Source != nil {
			out = append(out, q)
		}
	})
	return out
}

// Sources lists the distinct relations the plan reads, in leaf order.
func (p *Plan) Sources() []*sql.Relation {
	var out []*sql.Relation
	seen := map[string]bool{}
	for _, l := range p.Leaves() {
		if !seen[l.Source.Name] {
			seen[l.Source.Name] = true
			out = append(out, l.Source)
		}
	}
	return out
}
