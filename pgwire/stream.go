package pgwire

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"time"
)

// ErrClientGone is the cause of a WatchClient context cancelled because
// the client closed the connection or sent Terminate.
var ErrClientGone = errors.New("client closed the connection")

// Flush implements Streamer.
func (w *resultWriter) Flush() error { return w.out.flush() }

// WatchClient implements Streamer. While the session call runs, the
// connection's goroutine does not read, so a watcher goroutine may: it
// peeks at the client's bytes through the frame reader's buffer, leaving
// them there, until the client goes away (the context is cancelled), the
// buffer fills with messages that are not Terminate (it gives up), or stop
// interrupts its read with a deadline, as Shutdown does.
func (w *resultWriter) WatchClient(ctx context.Context) (context.Context, func()) {
	c := w.copyIn.c
	ctx, cancel := context.WithCancelCause(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := c.frames.watch(); err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			cancel(ErrClientGone)
		}
	}()
	stopped := false
	return ctx, func() {
		if stopped {
			return
		}
		stopped = true
		_ = c.nc.SetReadDeadline(time.Now())
		<-done
		// Shutdown may have set a deadline meanwhile; the main loop checks
		// draining before it reads again, so clearing it loses nothing.
		_ = c.nc.SetReadDeadline(time.Time{})
		cancel(nil)
	}
}

// watch blocks until the client's bytes show it gone: an error reading
// (io.EOF when it closed the connection), or errTerminated for a
// Terminate message among those it sent. It returns nil, having consumed
// nothing, when the buffer fills or the bytes are not messages (the main
// loop will complain of them).
func (f *frameReader) watch() error {
	off := 0
	for {
		b, err := f.r.Peek(off + 5)
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			return nil
		case err != nil:
			return err
		}
		if b[off] == msgTerminate {
			return errTerminated
		}
		n := int(int32(binary.BigEndian.Uint32(b[off+1:])))
		if n < 4 {
			return nil
		}
		off += 1 + n
	}
}
