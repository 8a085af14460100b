package pgwire

import (
	"encoding/binary"
	"io"
	"math"
	"slices"

	"github.com/jackc/pgproto3/v2"

	"github.com/weir-db/weir/types"
)

// The COPY sub-protocols, as the resultWriter runs them for the session:
//
//	COPY FROM STDIN  server: CopyInResponse
//	                 client: CopyData* then CopyDone or CopyFail (Flush and
//	                         Sync in between are ignored, for clients that
//	                         pipeline them after the Execute)
//	                 server: CommandComplete, or ErrorResponse
//	COPY TO STDOUT   server: CopyOutResponse, CopyData*, CopyDone,
//	                         CommandComplete
//
// After an error, CopyData, CopyDone and CopyFail that the client still
// sends are ignored by the main loop, as PostgreSQL ignores them.

// copyDataChunkBytes bounds the payload of one CopyData message sent: a
// long Write is split.
const copyDataChunkBytes = 64 << 10

// CopyIn implements Copier.
func (w *resultWriter) CopyIn(format CopyFormat, columns int) (io.Reader, error) {
	if err := w.startCopy(format, columns); err != nil {
		return nil, err
	}
	if err := w.out.send(&pgproto3.CopyInResponse{
		OverallFormat:     byte(format),
		ColumnFormatCodes: formatsFor(format, columns),
	}); err != nil {
		return nil, err
	}
	// The client sends nothing until it has the CopyInResponse.
	if err := w.out.flush(); err != nil {
		return nil, err
	}
	w.phase = phaseCopyIn
	w.copyIn.reset()
	w.copyIn.active = true
	return &w.copyIn, nil
}

// CopyOut implements Copier.
func (w *resultWriter) CopyOut(format CopyFormat, columns int) (io.Writer, error) {
	if err := w.startCopy(format, columns); err != nil {
		return nil, err
	}
	if err := w.out.send(&pgproto3.CopyOutResponse{
		OverallFormat:     byte(format),
		ColumnFormatCodes: formatsFor(format, columns),
	}); err != nil {
		return nil, err
	}
	w.phase = phaseCopyOut
	return copyOutWriter{w}, nil
}

// formatsFor returns n copies of a COPY format code.
func formatsFor(format CopyFormat, n int) []uint16 {
	return slices.Repeat([]uint16{uint16(format)}, n)
}

func (w *resultWriter) startCopy(format CopyFormat, columns int) error {
	switch {
	case w.phase != phaseIdle:
		return w.misuse("copy started in the middle of a statement's result")
	case w.portal != nil && w.portal.stmt.Columns != nil:
		return w.misuse("copy started for a statement prepared with a result")
	case format != CopyText && format != CopyBinary:
		return w.misuse("invalid copy format %d", format)
	case columns < 0 || columns > math.MaxUint16:
		return w.misuse("invalid number of copy columns %d", columns)
	}
	return nil
}

// copyOutWriter sends each Write as CopyData.
type copyOutWriter struct{ w *resultWriter }

func (cw copyOutWriter) Write(p []byte) (int, error) {
	if cw.w.phase != phaseCopyOut {
		return 0, cw.w.misuse("copy data written after the copy ended")
	}
	for rest := p; len(rest) > 0; {
		n := min(len(rest), copyDataChunkBytes)
		if err := cw.w.out.sendCopyData(rest[:n]); err != nil {
			return len(p) - len(rest), err
		}
		rest = rest[n:]
	}
	return len(p), nil
}

// sendCopyData appends a CopyData message.
func (m *messageWriter) sendCopyData(p []byte) error {
	if m.err != nil {
		return m.err
	}
	m.buf = append(m.buf, msgCopyData)
	m.buf = binary.BigEndian.AppendUint32(m.buf, uint32(4+len(p)))
	m.buf = append(m.buf, p...)
	return m.maybeFlush()
}

// copyInReader reads the client's COPY data: the payloads of CopyData
// messages, one after the other, up to CopyDone (io.EOF) or CopyFail.
type copyInReader struct {
	c *conn
	// active is set between CopyIn and the end of the message.
	active bool
	// pending is the unread rest of the current CopyData payload, aliasing
	// the frame reader's buffer: the next message is read only once it is
	// consumed.
	pending []byte
	// err is sticky: io.EOF after CopyDone, the CopyFail error, or what
	// ended the connection.
	err error
}

func (r *copyInReader) reset() {
	r.active, r.pending, r.err = false, nil, nil
}

// Read implements io.Reader.
func (r *copyInReader) Read(p []byte) (int, error) {
	if !r.active {
		return 0, r.c.rw.misuse("copy data read after the copy ended")
	}
	for len(r.pending) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		r.err = r.nextMessage()
	}
	n := copy(p, r.pending)
	r.pending = r.pending[n:]
	return n, nil
}

// nextMessage reads one message of the copy: it sets pending for CopyData
// and returns the error that ends the copy otherwise.
func (r *copyInReader) nextMessage() error {
	c := r.c
	typ, body, err := c.frames.readMessage()
	if err != nil {
		c.fatal = err
		return err
	}
	switch typ {
	case msgCopyData:
		r.pending = body
		return nil
	case msgCopyDone:
		return io.EOF
	case msgCopyFail:
		mr := msgReader{b: body}
		msg := mr.string()
		if err := mr.end(); err != nil {
			return err
		}
		return types.Errorf(types.CodeQueryCanceled, "COPY from stdin failed: %s", msg)
	case msgFlush, msgSync:
		return nil
	}
	// The message is lost to the COPY, and so is the client's idea of
	// where the conversation stands: PostgreSQL reports the error, then
	// ends the connection.
	c.fatal = protocolViolation("terminating connection because protocol synchronization was lost")
	return protocolViolation("unexpected message type 0x%02X during COPY from stdin", typ)
}

// drain discards the rest of the data, for Complete: nil at CopyDone, the
// error that ended the copy otherwise.
func (r *copyInReader) drain() error {
	for r.err == nil {
		r.pending = nil
		r.err = r.nextMessage()
	}
	if r.err == io.EOF {
		return nil
	}
	return r.err
}
