package pgwire

import (
	"io"
	"testing"

	"github.com/weir-db/weir/types"
)

func newDiscardWriter() *resultWriter {
	return &resultWriter{out: &messageWriter{w: io.Discard}}
}

var benchCols = []Column{{"id", types.TInt8}, {"name", types.TText}, {"price", types.TFloat8}, {"note", types.TText}}
var benchRow = []types.Datum{int64(123456789), "some customer name", 12.75, nil}

// TestRowDoesNotAllocate: once the buffer has grown, sending a row costs no
// allocation, so result streaming is bounded by encoding, not the GC.
func TestRowDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	w := newDiscardWriter()
	if err := w.Columns(benchCols); err != nil {
		t.Fatal(err)
	}
	for range 10000 { // grow the buffer past the flush threshold once
		if err := w.Row(benchRow); err != nil {
			t.Fatal(err)
		}
	}
	if n := testing.AllocsPerRun(1000, func() {
		if err := w.Row(benchRow); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("Row allocates %v times per call", n)
	}
}

func TestResultWriterOrder(t *testing.T) {
	w := newDiscardWriter()
	if err := w.Row(benchRow); err == nil {
		t.Error("row before columns accepted")
	}
	if err := w.Columns(benchCols); err != nil {
		t.Fatal(err)
	}
	if err := w.Columns(benchCols); err == nil {
		t.Error("columns twice accepted")
	}
	if err := w.EmptyQuery(); err == nil {
		t.Error("empty query inside a result accepted")
	}
	if err := w.Row(benchRow[:2]); err == nil {
		t.Error("short row accepted")
	}
	if err := w.Complete("SELECT 0"); err != nil {
		t.Fatal(err)
	}
	if err := w.Row(benchRow); err == nil {
		t.Error("row after complete accepted")
	}
}

func BenchmarkResultWriterRow(b *testing.B) {
	w := newDiscardWriter()
	if err := w.Columns(benchCols); err != nil {
		b.Fatal(err)
	}
	before := len(w.out.buf)
	_ = w.Row(benchRow)
	b.SetBytes(int64(len(w.out.buf) - before))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := w.Row(benchRow); err != nil {
			b.Fatal(err)
		}
	}
}
