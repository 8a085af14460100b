package nexmark

// rng is splitmix64 seeded per event: every event draws from its own
// sequence, so events can be generated independently and in parallel.
type rng struct{ state uint64 }

func newRNG(seed uint64, id int64) *rng {
	r := &rng{state: seed ^ (uint64(id) * 0x9E3779B97F4A7C15)}
	r.next() // mix the seed in
	return r
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
