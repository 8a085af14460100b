// Package sql is Weir's PostgreSQL-dialect front end: it splits and
// tokenizes statement text, normalizes the PostgreSQL forms the TiDB parser
// cannot read, parses the streaming statements with a small grammar of its
// own (handing embedded queries and expressions to the TiDB parser), and
// binds everything against the catalog into Weir's own typed tree.
//
// No TiDB AST node leaves this package: callers see Statement values and the
// bound relational and scalar trees defined in bound_*.go.
package sql
