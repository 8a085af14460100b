// Package types is the vocabulary every layer of Weir shares: SQL types and
// their mapping to Arrow, runtime values (datums), PostgreSQL's text forms
// and errors carrying a SQLSTATE.
//
// It sits below everything but storage: sql, planner, exec, windowing,
// pgwire and the engine all speak in these types, and it imports no other
// Weir package.
package types
