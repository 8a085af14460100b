// Package pgwire serves Weir over the PostgreSQL wire protocol (version 3.0),
// so that psql, JDBC, pgx and the rest of PostgreSQL's ecosystem can talk to
// it. It owns the listening socket, the per-connection goroutines, framing and
// decoding of frontend messages, encoding of results, cancellation and
// graceful shutdown. It knows nothing about SQL: every query string goes to a
// Session obtained from an Engine (engine.go), and results come back through
// a ResultWriter.
//
// A connection goes through these states (conn.go):
//
//	accept ──► startup ──────────► idle ◄──────► busy ──► closed
//	           SSLRequest → 'N'     reading        handling one
//	           GSSENCRequest → 'N'  next message   message
//	           CancelRequest → cancel other conn, close
//	           StartupMessage → Engine.Connect, AuthenticationOk,
//	                            ParameterStatus*, BackendKeyData,
//	                            ReadyForQuery
//
// Frontend messages after startup are framed as
//
//	+------+----------------------+---------------------+
//	| type | length (int32, BE)   | body                |
//	| 1 B  | 4 B, counts itself   | length - 4 bytes    |
//	+------+----------------------+---------------------+
//
// and the startup packet has no type byte. frame_reader.go reads both,
// bounding every length before allocating.
//
// Supported: the simple query protocol ('Q'), Terminate, Sync and Flush.
// The extended query protocol is answered with 0A000 and skipped until Sync,
// as PostgreSQL skips after an error; TLS, authentication other than trust,
// binary format and COPY are not implemented yet.
//
// Invariants:
//
//  1. One goroutine per connection reads messages and calls its Session; the
//     Session is never called concurrently. Other goroutines only cancel
//     contexts (cancel requests, Shutdown), or, for Shutdown, write one
//     FATAL message to a connection that was idle when marked draining,
//     whose goroutine then writes nothing more (conn.go).
//  2. A connection is idle only when its output is fully flushed, so a
//     message written by Shutdown never interleaves with a half-sent one.
//  3. A misbehaving client (bad frame, unknown message, oversized message)
//     or a panicking Session affects only its own connection.
//  4. No length read from the socket is trusted before it has been checked
//     against a limit.
package pgwire
