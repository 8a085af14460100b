package exec

import "hash/maphash"

// absentFilter is a Bloom filter over the keys an operator has in a state
// table (an aggregate's value multisets, a top-N's partitions, a view's
// rows): a key it has never seen is certainly absent from state, so the
// usual case of a new value, partition or row needs no Pebble read. It is
// built by one scan of the keys on first use after a start or Reset. When
// the keys added outgrow it, a layer as large as all the others together
// takes the new keys (a key may be in any layer), up to absentLayers;
// after that the filter is built again from a scan, which also forgets
// deleted keys. Keys are never taken out: a deleted key only costs a
// read, never a wrong answer. Past maxAbsentKeys it is dropped and every
// miss reads state, as before.
type absentFilter struct {
	state  absentState
	layers []absentLayer // the newest, which takes new keys, last
	seed   maphash.Seed
}

// absentLayer is one Bloom filter sized for keys keys. It is blocked
// (as RocksDB's and Impala's are): a key's probes all fall in one
// 512-bit block, one cache line, chosen by the hash's high half, so a
// lookup or an insertion costs one cache miss instead of one per probe,
// at a slightly higher false-positive rate.
type absentLayer struct {
	bits  []uint64
	keys  int
	added int
}

type absentState int8

const (
	absentUnbuilt absentState = iota
	absentBuilt
	absentOff
)

const (
	absentBitsPerKey = 10 // about 1% false positives with 7 probes, per layer
	absentProbes     = 7
	absentLayers     = 3
	minAbsentKeys    = 1 << 18
	maxAbsentKeys    = 1 << 23 // 10 MiB of bits
)

// keyScan calls fn with each key of a state table (the value is passed
// too, for scans that derive the key from it).
type keyScan func(fn func(k, v []byte) error) error

// ready builds the filter on first use.
func (f *absentFilter) ready(scan keyScan) error {
	if f.state == absentUnbuilt {
		return f.build(0, scan)
	}
	return nil
}

// note records a key new to state, and grows the filter once it is full.
// Call it after the write, so a scan sees it.
func (f *absentFilter) note(key []byte, scan keyScan) error {
	f.add(key)
	if !f.full() {
		return nil
	}
	total := f.capacity()
	if len(f.layers) < absentLayers && 2*total <= maxAbsentKeys {
		f.layers = append(f.layers, newAbsentLayer(total))
		return nil
	}
	return f.build(2*total, scan)
}

func newAbsentLayer(keys int) absentLayer {
	blocks := (keys*absentBitsPerKey + absentBlockBits - 1) / absentBlockBits
	return absentLayer{bits: make([]uint64, max(blocks, 1)*absentBlockWords), keys: keys}
}

const (
	absentBlockBits  = 512
	absentBlockWords = absentBlockBits / 64
)

// block is the block of key hash h: the high half of h scaled to the
// number of blocks (no division).
func (l *absentLayer) block(h uint64) []uint64 {
	n := uint64(len(l.bits) / absentBlockWords)
	i := ((h >> 32) * n >> 32) * absentBlockWords
	return l.bits[i : i+absentBlockWords : i+absentBlockWords]
}

// probe is the bit of h's i-th probe within its block, from h's low
// half (double hashing).
func probe(h uint64, i uint64) uint64 {
	return (h + i*(h>>9|1)) % absentBlockBits
}

// capacity is the keys all layers are sized for.
func (f *absentFilter) capacity() int {
	n := 0
	for _, l := range f.layers {
		n += l.keys
	}
	return n
}

// mayHold reports whether key may be in state (always true unless the
// filter is built).
func (f *absentFilter) mayHold(key []byte) bool {
	if f.state != absentBuilt {
		return true
	}
	h := maphash.Bytes(f.seed, key)
	for i := range f.layers {
		if f.layers[i].has(h) {
			return true
		}
	}
	return false
}

func (l *absentLayer) has(h uint64) bool {
	blk := l.block(h)
	for i := uint64(0); i < absentProbes; i++ {
		b := probe(h, i)
		if blk[b/64]&(1<<(b%64)) == 0 {
			return false
		}
	}
	return true
}

// add records a key written to state, in the newest layer.
func (f *absentFilter) add(key []byte) {
	if f.state != absentBuilt {
		return
	}
	l := &f.layers[len(f.layers)-1]
	l.set(maphash.Bytes(f.seed, key))
	l.added++
}

func (l *absentLayer) set(h uint64) {
	blk := l.block(h)
	for i := uint64(0); i < absentProbes; i++ {
		b := probe(h, i)
		blk[b/64] |= 1 << (b % 64)
	}
}

// full reports whether the newest layer has taken as many keys as it is
// sized for.
func (f *absentFilter) full() bool {
	if f.state != absentBuilt {
		return false
	}
	l := f.layers[len(f.layers)-1]
	return l.added > l.keys
}

// build makes the filter one layer sized for at least want keys, holding
// the keys scan yields; past maxAbsentKeys the filter is turned off.
func (f *absentFilter) build(want int, scan keyScan) error {
	f.state, f.layers = absentUnbuilt, nil
	f.seed = maphash.MakeSeed()
	var hs []uint64
	err := scan(func(k, _ []byte) error {
		if len(hs) >= maxAbsentKeys {
			return errStop
		}
		hs = append(hs, maphash.Bytes(f.seed, k))
		return nil
	})
	switch {
	case err == errStop:
		f.state = absentOff
		return nil
	case err != nil:
		return err
	}
	keys := max(want, 2*len(hs), minAbsentKeys)
	if keys > maxAbsentKeys {
		f.state = absentOff
		return nil
	}
	l := newAbsentLayer(keys)
	for _, h := range hs {
		l.set(h)
	}
	l.added = len(hs)
	f.layers = []absentLayer{l}
	f.state = absentBuilt
	return nil
}
