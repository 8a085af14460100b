package pgwire

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"slices"
)

const (
	// maxStartupPacketBytes is PostgreSQL's MAX_STARTUP_PACKET_LENGTH.
	maxStartupPacketBytes = 10000
	// minStartupPacketBytes is a length word plus a protocol code.
	minStartupPacketBytes = 8
	// readChunkBytes is how much body buffer is allocated ahead of the bytes
	// actually arriving. The buffer then doubles as data comes in, so a
	// client that declares a 64 MiB message and sends nothing costs 64 KiB,
	// not 64 MiB.
	readChunkBytes = 64 << 10
	// retainBufferBytes is the largest body buffer kept between messages; a
	// larger one, grown for one big message, is dropped.
	retainBufferBytes = 1 << 20
	// readBufferBytes sizes the buffered reader in front of the socket.
	readBufferBytes = 8 << 10
)

// frameReader splits a client's byte stream into messages. It checks every
// length it reads against a limit before allocating for it, and reports
// broken framing as 08P01 *types.Error values. io.EOF means the client went
// away cleanly at a message boundary.
type frameReader struct {
	r *bufio.Reader
	// max bounds a message's length word (which counts itself, not the type
	// byte).
	max int
	buf []byte
}

func newFrameReader(r io.Reader, max int) *frameReader {
	return &frameReader{r: bufio.NewReaderSize(r, readBufferBytes), max: max}
}

// buffered reports how many bytes have been read from the socket but not yet
// consumed. (When TLS is added, a non-zero value right after SSLRequest is
// an attack: bytes sent in the clear ahead of the handshake.)
func (f *frameReader) buffered() int { return f.r.Buffered() }

// hasMessage reports whether a whole message is buffered, so that reading
// it will not block.
func (f *frameReader) hasMessage() bool {
	n := f.r.Buffered()
	if n < 5 {
		return false
	}
	hdr, err := f.r.Peek(5)
	if err != nil {
		return false
	}
	length := int(int32(binary.BigEndian.Uint32(hdr[1:])))
	return length >= 4 && n >= 1+length
}

// readStartup reads one startup-phase packet (length word, then a protocol
// code and payload, no type byte) and returns it without the length word. The
// result is valid until the next read.
func (f *frameReader) readStartup() ([]byte, error) {
	var hdr [4]byte
	if n, err := io.ReadFull(f.r, hdr[:]); err != nil {
		if n == 0 && errors.Is(err, io.EOF) {
			return nil, io.EOF
		}
		return nil, readError(err, "incomplete startup packet")
	}
	n := int64(binary.BigEndian.Uint32(hdr[:]))
	if n < minStartupPacketBytes || n > maxStartupPacketBytes {
		return nil, withDetail(protocolViolation("invalid length of startup packet"),
			"declared length %d is outside [%d, %d]", n, minStartupPacketBytes, maxStartupPacketBytes)
	}
	return f.readBody(int(n)-4, "incomplete startup packet")
}

// readMessage reads one regular message and returns its type and body. The
// type is validated before the length, as PostgreSQL does, so that a stream
// that is not the protocol at all is reported as such. The body is valid
// until the next read.
func (f *frameReader) readMessage() (typ byte, body []byte, err error) {
	typ, err = f.r.ReadByte()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return 0, nil, io.EOF
		}
		return 0, nil, readError(err, "")
	}
	if !isFrontendMessageType(typ) {
		return typ, nil, protocolViolation("invalid frontend message type %d", typ)
	}
	var hdr [4]byte
	if _, err := io.ReadFull(f.r, hdr[:]); err != nil {
		return typ, nil, readError(err, "unexpected EOF within message length word")
	}
	n := int64(int32(binary.BigEndian.Uint32(hdr[:])))
	if n < 4 || n > int64(f.max) {
		return typ, nil, withDetail(protocolViolation("invalid message length"),
			"message of type %q declares %d bytes; the limit is %d", typ, n, f.max)
	}
	body, err = f.readBody(int(n)-4, "incomplete message from client")
	return typ, body, err
}

// readAuthMessage reads a message of the authentication exchange, which
// must be a password or SASL message ('p') of at most max bytes (counting
// its length word), with PostgreSQL's complaints.
func (f *frameReader) readAuthMessage(max int) ([]byte, error) {
	typ, err := f.r.ReadByte()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, io.EOF
		}
		return nil, readError(err, "")
	}
	if typ != msgPassword {
		return nil, protocolViolation("expected SASL response, got message type %d", typ)
	}
	var hdr [4]byte
	if _, err := io.ReadFull(f.r, hdr[:]); err != nil {
		return nil, readError(err, "unexpected EOF within message length word")
	}
	n := int64(int32(binary.BigEndian.Uint32(hdr[:])))
	if n < 4 || n > int64(max) {
		return nil, withDetail(protocolViolation("invalid message length"),
			"message of type 'p' declares %d bytes; the limit is %d", n, max)
	}
	return f.readBody(int(n)-4, "incomplete message from client")
}

// readBody reads exactly n bytes, growing the buffer as they arrive.
func (f *frameReader) readBody(n int, truncated string) ([]byte, error) {
	buf := f.buf[:0]
	for len(buf) < n {
		chunk := min(n-len(buf), max(len(buf), readChunkBytes))
		buf = slices.Grow(buf, chunk)
		got, err := io.ReadFull(f.r, buf[len(buf):len(buf)+chunk])
		buf = buf[:len(buf)+got]
		if err != nil {
			return nil, readError(err, truncated)
		}
	}
	if cap(buf) <= retainBufferBytes {
		f.buf = buf
	} else {
		f.buf = nil
	}
	return buf, nil
}

// readError turns an EOF in the middle of a frame into a protocol violation
// with PostgreSQL's wording, and wraps any other read error.
func readError(err error, truncated string) error {
	if truncated != "" && (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)) {
		return protocolViolation("%s", truncated)
	}
	return &readErr{err: err}
}

// readErr is a failure to read from the socket (reset, closed, timed out);
// nothing can be sent back.
type readErr struct{ err error }

func (e *readErr) Error() string { return "reading from client: " + e.err.Error() }
func (e *readErr) Unwrap() error { return e.err }

// isFrontendMessageType reports whether typ is a message type a client may
// send after startup (PostgreSQL's SocketBackend accepts the same set).
func isFrontendMessageType(typ byte) bool {
	switch typ {
	case msgQuery, msgFunctionCall, msgTerminate, msgBind, msgClose, msgDescribe,
		msgExecute, msgFlush, msgParse, msgSync, msgCopyData, msgCopyDone, msgCopyFail:
		return true
	}
	return false
}

// Frontend message types.
const (
	msgQuery        = 'Q'
	msgFunctionCall = 'F'
	msgTerminate    = 'X'
	msgBind         = 'B'
	msgClose        = 'C'
	msgDescribe     = 'D'
	msgExecute      = 'E'
	msgFlush        = 'H'
	msgParse        = 'P'
	msgSync         = 'S'
	msgCopyData     = 'd'
	msgCopyDone     = 'c'
	msgCopyFail     = 'f'
	// msgPassword is the password, SASLInitialResponse and SASLResponse
	// message, valid only during authentication.
	msgPassword = 'p'
)
