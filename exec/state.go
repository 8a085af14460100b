package exec

import "github.com/weir-db/weir/storage/state"

// StateStore is the read-write view of state an operator works through:
// the engine hands operators the current epoch's batch (committed
// atomically with source offsets) or, for ad hoc queries, a batch that is
// never committed.
type StateStore interface {
	Get(id uint32, k []byte) ([]byte, error) // state.ErrNotFound when absent
	Set(id uint32, k, v []byte) error        // copies k and v: callers may reuse them
	Delete(id uint32, k []byte) error
	Scan(id uint32, prefix []byte, fn func(k, v []byte) error) error
	// ScanRange iterates the keys in [lower, upper); upper nil: to the
	// table's end.
	ScanRange(id uint32, lower, upper []byte, fn func(k, v []byte) error) error
	// DeleteRange removes the keys in [lower, upper) with one range
	// tombstone.
	DeleteRange(id uint32, lower, upper []byte) error
}

// StateHandle is shared by a dataflow's operators; the runtime points it at
// the current epoch's store before pushing messages.
type StateHandle struct {
	Store StateStore
}

var _ StateStore = (*state.Batch)(nil)

// ErrNotFound is the state layer's missing-key error.
var ErrNotFound = state.ErrNotFound
