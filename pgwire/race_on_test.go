//go:build race

package pgwire

// raceEnabled reports a -race build, whose instrumentation allocates.
const raceEnabled = true
