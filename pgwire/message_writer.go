package pgwire

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"

	"github.com/jackc/pgproto3/v2"

	"github.com/weir-db/weir/types"
)

// Format codes of values on the wire.
const (
	formatText   = 0
	formatBinary = 1
)

const (
	// flushThresholdBytes is how much output is buffered before it is
	// written mid-statement: large enough that rows cost no syscall each,
	// small enough that a client sees a long result stream in.
	flushThresholdBytes = 64 << 10
	// maxBackendMessageBytes is the largest message PostgreSQL sends (1 GB,
	// MaxAllocSize); a bigger row cannot be framed.
	maxBackendMessageBytes = 1<<30 - 1
)

// messageWriter buffers backend messages for one connection and writes them
// in batches. A write error is sticky: every later call returns it, since
// the connection is unusable once a message has been half sent.
type messageWriter struct {
	w   io.Writer
	buf []byte
	err error
}

// send appends msg, flushing if the buffer has passed the threshold.
func (m *messageWriter) send(msg pgproto3.BackendMessage) error {
	if m.err != nil {
		return m.err
	}
	buf, err := msg.Encode(m.buf)
	if err != nil {
		// Encode appended past len(m.buf) only; the buffer is intact.
		return fmt.Errorf("encoding %T: %w", msg, err)
	}
	m.buf = buf
	return m.maybeFlush()
}

// sendByte appends a single unframed byte, the answer to SSLRequest and
// GSSENCRequest.
func (m *messageWriter) sendByte(b byte) error {
	if m.err != nil {
		return m.err
	}
	m.buf = append(m.buf, b)
	return nil
}

// sendNegotiateProtocolVersion appends NegotiateProtocolVersion ('v'), which
// pgproto3/v2 cannot encode: the newest minor version of protocol 3 the
// server speaks and the protocol options ("_pq_.*") it did not recognize.
func (m *messageWriter) sendNegotiateProtocolVersion(newestMinor uint32, unrecognized []string) error {
	if m.err != nil {
		return m.err
	}
	start := len(m.buf)
	m.buf = append(m.buf, 'v', 0, 0, 0, 0)
	m.buf = binary.BigEndian.AppendUint32(m.buf, newestMinor)
	m.buf = binary.BigEndian.AppendUint32(m.buf, uint32(len(unrecognized)))
	for _, opt := range unrecognized {
		m.buf = append(m.buf, opt...)
		m.buf = append(m.buf, 0)
	}
	binary.BigEndian.PutUint32(m.buf[start+1:], uint32(len(m.buf)-start-1))
	return nil
}

// sendDataRow appends a DataRow, each value in its column's format (nil
// formats: all text).
func (m *messageWriter) sendDataRow(ts []types.Type, formats []int16, row []types.Datum) error {
	if m.err != nil {
		return m.err
	}
	buf, err := appendDataRow(m.buf, ts, formats, row)
	if err != nil {
		return err
	}
	m.buf = buf
	return m.maybeFlush()
}

// appendDataRow appends a DataRow message, each value in its column's
// format, text or binary (nil formats: all text). It encodes straight into
// buf rather than through pgproto3.DataRow, whose [][]byte of values would
// cost allocations per row. On error, buf is returned as it was.
func appendDataRow(buf []byte, ts []types.Type, formats []int16, row []types.Datum) ([]byte, error) {
	start := len(buf)
	buf = append(buf, 'D', 0, 0, 0, 0)
	buf = binary.BigEndian.AppendUint16(buf, uint16(len(row)))
	for i, d := range row {
		if d == nil {
			buf = binary.BigEndian.AppendUint32(buf, math.MaxUint32) // -1: NULL
			continue
		}
		lenAt := len(buf)
		buf = append(buf, 0, 0, 0, 0)
		if formats != nil && formats[i] == formatBinary {
			var err error
			if buf, err = AppendBinary(buf, ts[i], d); err != nil {
				return buf[:start], fmt.Errorf("encoding column %d: %w", i+1, err)
			}
		} else {
			buf = types.FormatText(buf, ts[i], d)
		}
		binary.BigEndian.PutUint32(buf[lenAt:], uint32(len(buf)-lenAt-4))
	}
	if n := len(buf) - start - 1; n > maxBackendMessageBytes {
		return buf[:start], fmt.Errorf("encoding row: %d bytes exceeds the message limit of %d", n, maxBackendMessageBytes)
	}
	binary.BigEndian.PutUint32(buf[start+1:], uint32(len(buf)-start-1))
	return buf, nil
}

// sendRaw appends already encoded messages.
func (m *messageWriter) sendRaw(msgs []byte) error {
	if m.err != nil {
		return m.err
	}
	m.buf = append(m.buf, msgs...)
	return m.maybeFlush()
}

func (m *messageWriter) maybeFlush() error {
	if len(m.buf) >= flushThresholdBytes {
		return m.flush()
	}
	return nil
}

// flush writes everything buffered.
func (m *messageWriter) flush() error {
	if m.err != nil {
		return m.err
	}
	if len(m.buf) == 0 {
		return nil
	}
	_, err := m.w.Write(m.buf)
	if cap(m.buf) > retainBufferBytes {
		m.buf = nil
	} else {
		m.buf = m.buf[:0]
	}
	if err != nil {
		m.err = fmt.Errorf("writing to client: %w", err)
	}
	return m.err
}
