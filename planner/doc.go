// Package planner turns bound queries (the sql package's relational tree)
// into dataflow plans: a source, a chain of steps, and what every edge
// emits (append-only, upsert on a key, or retracting). It decides where
// windows, aggregation and emit policies apply, which operators may use
// cheaper append-only state, where late rows go, and rejects shapes that
// cannot be maintained incrementally. It never imports exec: the engine
// builds operators from the plan.
package planner
