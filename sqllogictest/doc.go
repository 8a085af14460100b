// Package sqllogictest runs sqllogictest files against a database reached
// through the DB interface (db.go), independent of any engine. It owns the
// file format (parser.go, record.go), the comparison of results (compare.go,
// hash.go, diff.go), the run and its report (runner.go, file_runner.go,
// check.go, session.go) and a DB over the PostgreSQL wire protocol
// (pgdb.go), so the same files can run against Weir in-process or against
// any PostgreSQL-wire server.
//
// # Format
//
// The dialect is sqllogictest-rs's, which extends SQLite's original. A file
// is a sequence of records separated by blank lines; lines starting with '#'
// are comments, and a directive line may end in a "# comment" too.
//
//	statement ok                  the SQL must succeed
//	statement count N             ... and affect N rows
//	statement error [regex]       the SQL must fail; the regex, if any, is
//	                              searched for in the error text. A message
//	                              under ---- (ended by two blank lines) must
//	                              equal the error text instead.
//	query <types> [sort] [label]  the SQL's results must equal the lines under
//	                              ----; types has one letter per column
//	                              (I, R, T, B, ...), sort is nosort, rowsort
//	                              or valuesort
//	query error [regex]           the query must fail, as statement error
//	hash-threshold N              compare results of more than N values by
//	                              hash (0, the default, never)
//	skipif <engine>               skip the next record on that engine
//	onlyif <engine>               run the next record only on that engine
//	connection <name>             run the next statement or query on a named
//	                              connection, opened on first use
//	halt                          ignore the rest of the file
//	include <glob>                splice in files, relative to this one
//	sleep <duration>              wait, e.g. 500ms
//	subtest <name>                name the records that follow in reports
//	control sortmode <mode>       default sort for later queries
//	control resultmode <mode>     rowwise (default) or valuewise expected layout
//
// Statement and query headers may end in "retry N backoff D": a failing
// record is rerun up to N more times, D apart.
//
// # Results
//
// Values are rendered as the server's text, NULL as "NULL" and the empty
// string as "(empty)"; numbers are not reformatted. Lines are compared after
// collapsing runs of whitespace. In rowwise mode each expected line is a row,
// values joined by spaces, so a single text column may contain spaces; one
// value per line, as SQLite's corpus writes, is accepted too. Under rowsort
// or valuesort both sides are sorted before comparing. Expected output of
// the form "N values hashing to <md5>" is compared with the MD5 of the values
// in sorted order, each followed by a newline, as SQLite's runner computes
// it.
//
// # Running
//
// RunFiles runs files in order, each on a fresh connection from an Opener,
// and reports per file "path: N passed, N failed, N skipped" after at most
// ten detailed failures (position, SQL, and a diff of expected against
// actual); its last line is the total in the same form. Passed, failed and
// skipped count statement and query records. A failing record does not stop
// its file; a malformed file is reported with its position and not run.
package sqllogictest
