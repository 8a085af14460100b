// Package exec runs Weir's dataflows: changelog chunks (Arrow record
// batches with an op column), scalar expressions over them, and the
// operators that turn input changes into output changes with their state
// in the state store.
//
// Operators are synchronous: Process takes one message (a chunk, a
// watermark, or a fire of the runtime's EARLY EVERY timer) and returns the
// messages it causes. They start no goroutines and read no clock; the
// engine's runtime owns scheduling, supplies processing time (ProcClock)
// and commits state per epoch.
//
// Windows: Tumble and Hop append window bounds to each row; SessionWindow
// keeps open sessions per key and retracts rows whose session grows,
// merges or splits. HashAgg aggregates in two phases per chunk and applies
// the emit policy: closing windows at the watermark, correcting them within
// the allowed lateness, firing provisional rows, purging expired state, and
// counting late rows (LateSink hands them to the runtime, LateWriter
// delivers them to a LATE ROWS INTO stream exactly once).
package exec
