package exec

import (
	"sync"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

// Columns a query does not read travel as NULLs, in every chunk of every
// scan. An all-NULL array never changes, so one per type is kept and
// chunks get slices of it: a placeholder costs no buffers of its own, no
// zeroing and nothing for the collector to trace.
var nullColumns struct {
	sync.Mutex
	byType map[string]arrow.Array
}

// nullColumn is an all-NULL array of type t and length n. The caller
// releases it like any array.
func nullColumn(t arrow.DataType, n int) arrow.Array {
	key := t.Fingerprint()
	nullColumns.Lock()
	defer nullColumns.Unlock()
	a := nullColumns.byType[key]
	if a == nil || a.Len() < n {
		if nullColumns.byType == nil {
			nullColumns.byType = map[string]arrow.Array{}
		}
		size := max(n, 4096)
		if a != nil {
			size = max(n, 2*a.Len())
			a.Release()
		}
		a = array.MakeArrayOfNull(memory.DefaultAllocator, t, size)
		nullColumns.byType[key] = a
	}
	return array.NewSlice(a, 0, int64(n))
}
