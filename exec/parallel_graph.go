package exec

import "sync"

// ParallelGraph runs a dataflow as parallel tasks: Tasks[t] is task t's
// copy of the operator graph, each with its own operator instances and
// state. A message entering a leaf runs through every task's copy at once
// until each reaches an Exchange; the exchanges' rows are then delivered,
// in task order, to the tasks their keys hash to, and those run on, in
// rounds, until nothing is left in flight. Watermarks and firings, sent to
// every task, pass an exchange once every task's copy has passed them
// (the least watermark), so no operator sees time move before all the
// rows sent ahead of it.
//
// With one task there are no exchanges and no goroutines: Push is the
// graph's own.
type ParallelGraph struct {
	Tasks []*Graph
	// Exchanges lists where the exchanges sit: node and operator index,
	// the same in every task's copy.
	Exchanges []OpPos

	// pending holds, per exchange, each task's latest watermark not yet
	// passed on.
	pending map[OpPos][]*int64
}

// OpPos is the position of an operator in a graph.
type OpPos struct{ Node, Op int }

// Push sends per-task messages into leaf n (msgs[t] for task t; a nil
// message sends nothing to that task) and runs the rounds to completion.
func (pg *ParallelGraph) Push(n int, msgs []*Message) error {
	if len(pg.Tasks) == 1 {
		if msgs[0] == nil {
			return nil
		}
		_, err := pg.Tasks[0].Push(n, *msgs[0])
		return err
	}
	if err := pg.each(func(t int, g *Graph) error {
		if msgs[t] == nil {
			return nil
		}
		_, err := g.Push(n, *msgs[t])
		return err
	}); err != nil {
		return err
	}
	return pg.drain()
}

// PushAfter sends each task's own messages into node n after operator i
// (msgs[t] for task t), and runs the rounds to completion.
func (pg *ParallelGraph) PushAfter(n, i int, msgs [][]Message) error {
	if err := pg.each(func(t int, g *Graph) error {
		if len(msgs[t]) == 0 {
			return nil
		}
		_, err := g.PushAfter(n, i, msgs[t])
		return err
	}); err != nil {
		return err
	}
	return pg.drain()
}

// drain delivers what the exchanges hold until none holds anything.
func (pg *ParallelGraph) drain() error {
	for {
		deliveries := make([][]delivery, len(pg.Tasks))
		any := false
		for _, pos := range pg.Exchanges {
			if pg.pending == nil {
				pg.pending = map[OpPos][]*int64{}
			}
			held := pg.pending[pos]
			if held == nil {
				held = make([]*int64, len(pg.Tasks))
				pg.pending[pos] = held
			}
			fire := false
			perTask := make([][]*Chunk, len(pg.Tasks))
			for t, g := range pg.Tasks {
				x := g.Nodes[pos.Node].Ops[pos.Op].(*Exchange)
				chunks, w, f := x.take()
				for u, cs := range chunks {
					perTask[u] = append(perTask[u], cs...)
				}
				if w != nil {
					held[t] = w
				}
				fire = fire || f
			}
			var wm *int64
			wmAll := true
			for _, w := range held {
				if w == nil {
					wmAll = false
				} else if wm == nil || *w < *wm {
					wm = w
				}
			}
			for u, cs := range perTask {
				for _, c := range cs {
					deliveries[u] = append(deliveries[u], delivery{pos, Message{Chunk: c}})
					any = true
				}
			}
			if wmAll {
				for t := range held {
					held[t] = nil
				}
				for u := range pg.Tasks {
					deliveries[u] = append(deliveries[u], delivery{pos, Message{Watermark: wm}})
				}
				any = true
			}
			if fire {
				for u := range pg.Tasks {
					deliveries[u] = append(deliveries[u], delivery{pos, Message{Fire: true}})
				}
				any = true
			}
		}
		if !any {
			return nil
		}
		if err := pg.each(func(t int, g *Graph) error {
			for _, d := range deliveries[t] {
				if _, err := g.PushAfter(d.pos.Node, d.pos.Op, []Message{d.m}); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return err
		}
	}
}

type delivery struct {
	pos OpPos
	m   Message
}

// each runs fn for every task in parallel and returns the first error in
// task order.
func (pg *ParallelGraph) each(fn func(t int, g *Graph) error) error {
	errs := make([]error, len(pg.Tasks))
	var wg sync.WaitGroup
	for t, g := range pg.Tasks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[t] = fn(t, g)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
