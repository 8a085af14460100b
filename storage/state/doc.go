// Package state is Weir's key-value state over one Pebble instance: the
// catalog, table rows, view rows, operator state and source offsets, each
// under its own 4-byte table id prefix, written through atomic batches.
//
// Keys are <table id, big-endian uint32><memcomparable key>. Only this
// package imports Pebble; callers see Store, Batch, Snapshot and Iter.
package state
