package exec

import "github.com/weir-db/weir/windowing"

// Combiner is an operator with several inputs (a join, a union). Process
// consumes one message from input side and returns what it produces.
// Like an Operator it is synchronous and owns no goroutine or clock.
type Combiner interface {
	ProcessSide(side int, m Message) ([]Message, error)
}

// GraphNode is one pipeline of a dataflow tree: messages enter through
// Head (a combiner of child nodes; nil for a leaf, which a source feeds),
// pass through Ops, and continue into Parent's Head as input Side.
type GraphNode struct {
	Head   Combiner
	Ops    Pipeline
	Parent int // index in Graph.Nodes; -1 for the root
	Side   int
	// Also lists further parents a shared node's output goes to, after
	// Parent's, each its own copy of the messages.
	Also []GraphEdge
}

// GraphEdge is where a node's output goes: input Side of node Parent.
type GraphEdge struct{ Parent, Side int }

// PassThrough is the head of a node that continues a shared node's
// output: it passes its one input on.
type PassThrough struct{}

// ProcessSide implements Combiner.
func (PassThrough) ProcessSide(_ int, m Message) ([]Message, error) { return []Message{m}, nil }

// Graph is a dataflow tree. Node 0 is the root, whose last operator
// materializes the view.
type Graph struct {
	Nodes []*GraphNode
}

// Push sends m into leaf node n and carries what comes out up to the
// root; it returns the root's output.
func (g *Graph) Push(n int, m Message) ([]Message, error) {
	return g.pushFrom(n, 0, []Message{m})
}

// PushAfter sends msgs into node n after its operator i, for operators
// that produce messages on their own (a HashAgg restoring its timers).
func (g *Graph) PushAfter(n, i int, msgs []Message) ([]Message, error) {
	return g.pushFrom(n, i+1, msgs)
}

func (g *Graph) pushFrom(n, from int, msgs []Message) ([]Message, error) {
	for {
		node := g.Nodes[n]
		var err error
		if msgs, err = node.Ops[from:].pushAll(msgs); err != nil {
			return nil, err
		}
		if node.Parent < 0 || len(msgs) == 0 {
			return msgs, nil
		}
		// A shared node feeds its other parents first; each continues
		// to the root on its own (operators never modify the messages
		// they are given, so the copies can share chunks).
		var root []Message
		for _, e := range node.Also {
			next, err := g.enter(e, msgs)
			if err != nil {
				return nil, err
			}
			if len(next) > 0 {
				out, err := g.pushFrom(e.Parent, 0, next)
				if err != nil {
					return nil, err
				}
				root = append(root, out...)
			}
		}
		next, err := g.enter(GraphEdge{node.Parent, node.Side}, msgs)
		if err != nil {
			return nil, err
		}
		if len(root) > 0 {
			out, err := g.pushFrom(node.Parent, 0, next)
			return append(root, out...), err
		}
		msgs, n, from = next, node.Parent, 0
	}
}

// enter passes msgs into the head of e's parent, as input e.Side.
func (g *Graph) enter(e GraphEdge, msgs []Message) ([]Message, error) {
	head := g.Nodes[e.Parent].Head
	var next []Message
	for _, m := range msgs {
		out, err := head.ProcessSide(e.Side, m)
		if err != nil {
			return nil, err
		}
		next = append(next, out...)
	}
	return next, nil
}

// Operators lists every operator and combiner of the graph.
func (g *Graph) Operators() []any {
	var out []any
	for _, n := range g.Nodes {
		if n.Head != nil {
			out = append(out, n.Head)
		}
		for _, op := range n.Ops {
			out = append(out, op)
		}
	}
	return out
}

func (p Pipeline) pushAll(msgs []Message) ([]Message, error) {
	for _, op := range p {
		var next []Message
		for _, in := range msgs {
			out, err := op.Process(in)
			if err != nil {
				return nil, err
			}
			next = append(next, out...)
		}
		msgs = next
	}
	return msgs, nil
}

// sideWatermarks combines the watermarks of a multi-input operator's
// inputs: the output watermark is the least over the inputs that deliver
// watermarks, and moves only forward.
type sideWatermarks struct {
	timed []bool
	wm    []int64
	out   int64
}

func newSideWatermarks(timed []bool) sideWatermarks {
	s := sideWatermarks{timed: timed, wm: make([]int64, len(timed)), out: windowing.NoWatermark}
	for i := range s.wm {
		s.wm[i] = windowing.NoWatermark
	}
	return s
}

// observe records side's watermark and reports the combined one if it
// moved.
func (s *sideWatermarks) observe(side int, wm int64) (int64, bool) {
	if wm > s.wm[side] {
		s.wm[side] = wm
	}
	least, any := int64(0), false
	for i, t := range s.timed {
		if !t {
			continue
		}
		if !any || s.wm[i] < least {
			least, any = s.wm[i], true
		}
	}
	if !any || least <= s.out || least == windowing.NoWatermark {
		return 0, false
	}
	s.out = least
	return least, true
}
