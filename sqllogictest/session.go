package sqllogictest

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// errTimedOut reports a call cut by Options.QueryTimeout.
var errTimedOut = errors.New("timed out")

// sessions holds the connections of one file run by name ("" is the default
// connection). A nil DB means the connection was abandoned after a timeout
// and is reopened on next use.
type sessions struct {
	open    Opener
	timeout time.Duration
	dbs     map[string]DB
}

func newSessions(open Opener, timeout time.Duration) *sessions {
	return &sessions{open: open, timeout: timeout, dbs: map[string]DB{}}
}

func (s *sessions) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if s.timeout > 0 {
		return context.WithTimeout(ctx, s.timeout)
	}
	return context.WithCancel(ctx)
}

// get returns the named connection, opening it if needed.
func (s *sessions) get(ctx context.Context, name string) (DB, error) {
	if db := s.dbs[name]; db != nil {
		return db, nil
	}
	octx, cancel := s.withTimeout(ctx)
	defer cancel()
	db, err := s.open(octx)
	if err != nil {
		if name == "" {
			return nil, fmt.Errorf("opening connection: %w", err)
		}
		return nil, fmt.Errorf("opening connection %q: %w", name, err)
	}
	s.dbs[name] = db
	return db, nil
}

// call runs f on the named connection under the per-call timeout, in its own
// goroutine so that a DB ignoring its context cannot hang the run. When the
// timeout passes, the connection is dropped: whether or not f has returned,
// a connection whose call was cancelled mid-flight is in an unknown state.
// It is closed once f returns, and the next call opens a new one. call
// returns errTimedOut then, or ctx's error if ctx itself ended.
func (s *sessions) call(ctx context.Context, name string, f func(context.Context, DB)) error {
	db, err := s.get(ctx, name)
	if err != nil {
		return err
	}
	cctx, cancel := s.withTimeout(ctx)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(cctx, db)
	}()
	select {
	case <-done:
		if cctx.Err() == nil {
			return nil
		}
	case <-cctx.Done():
	}
	delete(s.dbs, name)
	go func() {
		<-done
		_ = db.Close() // the connection is being discarded; its close error says nothing about the test
	}()
	if err := ctx.Err(); err != nil {
		return err
	}
	return errTimedOut
}

// closeAll closes every open connection, returning the first error.
func (s *sessions) closeAll() error {
	var first error
	for name, db := range s.dbs {
		if err := db.Close(); err != nil && first == nil {
			first = fmt.Errorf("closing connection %q: %w", name, err)
		}
		delete(s.dbs, name)
	}
	return first
}
