package nexmark

// rng is splitmix64 seeded per event: every event draws from its own
// sequence, so events can be generated independently and in parallel.
type rng struct{ state uint64 }

// newRNG starts event id's sequence at a point scrambled from the seed
// and the id. Splitmix64 walks its state in steps of one constant, so
// starting events at seed ^ id × that constant (as this did before) put
// neighbouring events on the same walk a few steps apart: their strings
// and prices repeated one another's. The finalizer spreads starts over
// the whole state space instead.
func newRNG(seed uint64, id int64) rng {
	return rng{state: mix64(seed ^ mix64(uint64(id)+0x632BE59BD9B4E019))}
}

// mix64 is MurmurHash3's 64-bit finalizer.
func mix64(z uint64) uint64 {
	z = (z ^ (z >> 33)) * 0xFF51AFD7ED558CCD
	z = (z ^ (z >> 33)) * 0xC4CEB9FE1A85EC53
	return z ^ (z >> 33)
}

func (r *rng) next() uint64 {
	r.state += 0x9E3779B97F4A7C15
	z := r.state
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// intn is uniform in [0, n); n <= 0 gives 0.
func (r *rng) intn(n int64) int64 {
	if n <= 0 {
		return 0
	}
	return int64(r.next() % uint64(n))
}

// float is uniform in [0, 1).
func (r *rng) float() float64 { return float64(r.next()>>11) / (1 << 53) }
