package exec

import (
	"hash/maphash"
	"math/bits"
)

// absentFilter is a Bloom filter over the keys an operator has in a state
// table (an aggregate's value multisets, a top-N's partitions, a view's
// rows): a key it has never seen is certainly absent from state, so the
// usual case of a new value, partition or row needs no Pebble read. It is
// built by one scan of the keys on first use after a start or Reset, and
// built again at twice the size when the keys added since outgrow it (the
// scan also forgets deleted keys). Keys are never taken out: a deleted
// key only costs a read, never a wrong answer. Past maxAbsentKeys it is
// dropped and every miss reads state, as before.
type absentFilter struct {
	state absentState
	bits  []uint64
	keys  int // the keys it is sized for
	added int // keys added, the scan's included
	seed  maphash.Seed
}

type absentState int8

const (
	absentUnbuilt absentState = iota
	absentBuilt
	absentOff
)

const (
	absentBitsPerKey = 10 // about 1% false positives with 7 probes
	absentProbes     = 7
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

// note records a key new to state, and builds the filter again, twice
// the size, once it is full. Call it after the write, so the scan sees it.
func (f *absentFilter) note(key []byte, scan keyScan) error {
	f.add(key)
	if f.full() {
		return f.build(2*f.keys, scan)
	}
	return nil
}

// mayHold reports whether key may be in state (always true unless the
// filter is built).
func (f *absentFilter) mayHold(key []byte) bool {
	if f.state != absentBuilt {
		return true
	}
	h := maphash.Bytes(f.seed, key)
	h1, h2 := h, probeStep(h)
	m := uint64(len(f.bits) * 64)
	for i := uint64(0); i < absentProbes; i++ {
		b := (h1 + i*h2) % m
		if f.bits[b/64]&(1<<(b%64)) == 0 {
			return false
		}
	}
	return true
}

// add records a key written to state.
func (f *absentFilter) add(key []byte) {
	if f.state != absentBuilt {
		return
	}
	f.set(maphash.Bytes(f.seed, key))
	f.added++
}

func (f *absentFilter) set(h uint64) {
	h1, h2 := h, probeStep(h)
	m := uint64(len(f.bits) * 64)
	for i := uint64(0); i < absentProbes; i++ {
		b := (h1 + i*h2) % m
		f.bits[b/64] |= 1 << (b % 64)
	}
}

// full reports whether the filter has taken as many keys as it is sized
// for, so it should be built again.
func (f *absentFilter) full() bool { return f.state == absentBuilt && f.added > f.keys }

// probeStep is the step between a key's probes (double hashing).
func probeStep(h uint64) uint64 { return bits.RotateLeft64(h, 32) | 1 }

// build sizes the filter for at least want keys and adds the keys scan
// yields; past maxAbsentKeys the filter is turned off.
func (f *absentFilter) build(want int, scan keyScan) error {
	f.state, f.bits = absentUnbuilt, nil
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
	f.keys, f.added = keys, len(hs)
	f.bits = make([]uint64, (keys*absentBitsPerKey+63)/64)
	f.state = absentBuilt
	for _, h := range hs {
		f.set(h)
	}
	return nil
}
