// Package exec runs Weir's dataflows: changelog chunks (Arrow record
// batches with an op column), scalar expressions over them, and the
// operators that turn input changes into output changes with their state
// in the state store.
//
// Operators are synchronous: Process takes one message and returns the
// messages it causes. They start no goroutines and read no clock; the
// engine's runtime owns scheduling and commits state per epoch.
package exec
