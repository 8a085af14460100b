// Package planner turns bound queries (the sql package's relational tree)
// into dataflow plans: a source, a chain of steps, and what the output
// edge emits (append-only or retracting). It decides where windows,
// aggregation and emit policies apply and rejects shapes that cannot be
// maintained incrementally. It never imports exec: the engine builds
// operators from the plan.
package planner
