package exec

// TaskStore is one parallel task's view of an operator's state: every key
// is prefixed by the task's byte, so the instances of an operator in a
// dataflow's tasks keep disjoint state (rows, indexes, counters) in the
// same tables, and each can scan its own without seeing the others'.
type TaskStore struct {
	Store StateStore
	Task  byte
}

func (s TaskStore) key(k []byte) []byte {
	return append([]byte{s.Task}, k...)
}

// Get implements StateStore.
func (s TaskStore) Get(id uint32, k []byte) ([]byte, error) { return s.Store.Get(id, s.key(k)) }

// Set implements StateStore.
func (s TaskStore) Set(id uint32, k, v []byte) error { return s.Store.Set(id, s.key(k), v) }

// Delete implements StateStore.
func (s TaskStore) Delete(id uint32, k []byte) error { return s.Store.Delete(id, s.key(k)) }

// DeleteRange implements StateStore within the task's keys.
func (s TaskStore) DeleteRange(id uint32, lower, upper []byte) error {
	return s.Store.DeleteRange(id, s.key(lower), s.key(upper))
}

// Scan implements StateStore, passing keys without the task's prefix.
func (s TaskStore) Scan(id uint32, prefix []byte, fn func(k, v []byte) error) error {
	return s.Store.Scan(id, s.key(prefix), func(k, v []byte) error { return fn(k[1:], v) })
}

// ScanRange implements StateStore within the task's keys.
func (s TaskStore) ScanRange(id uint32, lower, upper []byte, fn func(k, v []byte) error) error {
	hi := []byte{s.Task + 1}
	if s.Task == 0xff {
		hi = nil
	}
	if upper != nil {
		hi = s.key(upper)
	}
	return s.Store.ScanRange(id, s.key(lower), hi, func(k, v []byte) error { return fn(k[1:], v) })
}
