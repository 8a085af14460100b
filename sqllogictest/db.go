package sqllogictest

import "context"

// DB is one connection to the database under test.
//
// The runner calls a DB from one goroutine at a time and never concurrently.
// Each call gets a context bounded by Options.QueryTimeout; a call that does
// not return when its context ends is abandoned: the runner stops waiting,
// closes the DB once the call finally returns, and opens a new connection for
// the records that follow.
type DB interface {
	// Exec runs a statement and returns the rows affected (-1 when not
	// applicable).
	Exec(ctx context.Context, sql string) (int64, error)
	// Query runs a query; each value is its PostgreSQL text form, nil for
	// NULL. columns names the result columns; every row has len(columns)
	// values.
	Query(ctx context.Context, sql string) (columns []string, rows [][]*string, err error)
	Close() error
}

// Opener opens a fresh connection. The runner opens one per file, plus one
// for each name used by `connection` records, and closes them all when the
// file is done.
type Opener func(ctx context.Context) (DB, error)
