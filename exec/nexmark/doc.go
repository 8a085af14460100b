// Package nexmark is Weir's deterministic Nexmark event generator, as
// ../shared/nexmark/SPEC.md describes it: people, auctions and bids in the
// ratio 1 : 3 : 46, each event computed from (seed, event id) alone, so
// the stream is identical at any parallelism and from any starting id.
// It is pure: no clock, no global randomness; event time is derived from
// the event id and the configured rate.
package nexmark
