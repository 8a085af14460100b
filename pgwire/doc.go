// Package pgwire serves Weir over the PostgreSQL wire protocol (version 3.0),
// so that psql, JDBC, pgx and the rest of PostgreSQL's ecosystem can talk to
// it. It owns the listening socket, the per-connection goroutines, TLS,
// authentication, framing and decoding of frontend messages, the extended
// query protocol's statements and portals, encoding of results in text and
// binary, the COPY sub-protocols, cancellation and graceful shutdown. It
// knows nothing about SQL: every query string goes to a Session obtained
// from an Engine (engine.go), and results come back through a ResultWriter.
//
// A connection goes through these phases (startup.go, conn.go):
//
//	accept ──► startup ───────────────────────────► serving ──► closed
//	           SSLRequest → 'S' + TLS handshake      one message at a time:
//	                        ('N' without Config.TLS)   Query, Parse, Bind,
//	           GSSENCRequest → 'N'                     Describe, Execute,
//	           CancelRequest → cancel other conn,      Close, Sync, Flush,
//	                           close                   Terminate
//	           StartupMessage → authentication (trust, or SASL
//	                            SCRAM-SHA-256[-PLUS]: auth.go, scram.go),
//	                            AuthenticationOk, Engine.Connect,
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
// bounding every length before allocating; message_reader.go decodes
// bodies field by field.
//
// The simple query protocol is conn.go's; the extended one (statements,
// portals, row limits, skipping to Sync after an error) extended.go's and
// portal.go's; COPY copy.go's, with copy_format.go reading and writing the
// text and CSV data formats for the engine. Values go out in text
// (types.FormatText) or binary (binary_encode.go) and parameters come in
// either way (types.ParseText, binary_decode.go).
//
// Transaction blocks are the Session's (Transactional): ReadyForQuery
// reports the status it gives, and portals outlive Sync inside a block.
//
// Not supported: GSSAPI, password methods other than SCRAM-SHA-256 (md5,
// cleartext), fastpath function calls, replication, protocol 3.2.
//
// Invariants:
//
//  1. One goroutine per connection reads messages, calls its Session and
//     writes to the client; the Session is never called concurrently.
//     Other goroutines only cancel contexts (cancel requests, Shutdown),
//     mark a connection draining, and set its socket's read deadline so
//     that a blocked read fails (Shutdown); they never write to it.
//  2. Output is flushed before the connection blocks reading, so a client
//     that waits for an answer gets it; it is not flushed between
//     messages the client sent together, so that a pipelined batch is
//     answered in one write.
//  3. A misbehaving client (bad frame, unknown message, oversized message)
//     or a panicking Session affects only its own connection. A malformed
//     message body inside good framing is an ERROR, as in PostgreSQL; bad
//     framing is FATAL.
//  4. No length read from the socket is trusted before it has been checked
//     against a limit: message lengths against Config.MaxMessageBytes
//     (auth messages against 64 KiB), counts inside a body against the
//     bytes actually there, rows held for a portal against
//     Config.MaxPortalBytes.
//  5. A Session's ResultWriter checks the order of its calls; a session
//     that breaks it gets an error, never a stream the client cannot
//     parse.
package pgwire
