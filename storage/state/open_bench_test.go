package state

import (
	"encoding/binary"
	"math/rand"
	"testing"
	"time"
)

// BenchmarkOpenVerified times opening a store of about 256 MiB, with
// every table's block checksums verified, and reports MB/s.
func BenchmarkOpenVerified(b *testing.B) {
	dir := b.TempDir()
	st, err := Open(Options{Dir: dir})
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewSource(1))
	val := make([]byte, 1000)
	const total = 256 << 20
	for written := 0; written < total; {
		batch := st.NewBatch()
		for i := 0; i < 1000; i++ {
			rng.Read(val[:100]) // partly compressible
			k := binary.BigEndian.AppendUint64(nil, rng.Uint64())
			if err := batch.Set(1, k, val); err != nil {
				b.Fatal(err)
			}
			written += len(k) + len(val)
		}
		if err := batch.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		st, err := Open(Options{Dir: dir})
		if err != nil {
			b.Fatal(err)
		}
		st.Close()
	}
	b.ReportMetric(float64(total)/1e6*float64(b.N)/time.Since(start).Seconds(), "MB/s")
}
