//go:build invariants

package exec

// invariants turns on expensive consistency checks; `make test` builds
// with the invariants tag.
const invariants = true
