package pgwire

import (
	"bytes"
	"encoding/binary"
)

// msgReader decodes the body of a frontend message field by field, like
// PostgreSQL's pq_getmsg* functions, and with their complaints: a body that
// ends early or has bytes left over is a 08P01 error. Errors are sticky:
// after the first, every read returns a zero value and err keeps the first
// error, so a decoder can read all its fields and check once.
type msgReader struct {
	b   []byte
	err error
}

func (r *msgReader) fail(msg string) {
	if r.err == nil {
		r.err = protocolViolation("%s", msg)
	}
	r.b = nil
}

// string reads a NUL-terminated string.
func (r *msgReader) string() string {
	i := bytes.IndexByte(r.b, 0)
	if i < 0 {
		r.fail("invalid string in message")
		return ""
	}
	s := string(r.b[:i])
	r.b = r.b[i+1:]
	return s
}

func (r *msgReader) byte() byte {
	if len(r.b) < 1 {
		r.fail("insufficient data left in message")
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

// uint16 reads a 16-bit count; the protocol's Int16 counts are unsigned in
// PostgreSQL's reading.
func (r *msgReader) uint16() int {
	if len(r.b) < 2 {
		r.fail("insufficient data left in message")
		return 0
	}
	v := binary.BigEndian.Uint16(r.b)
	r.b = r.b[2:]
	return int(v)
}

func (r *msgReader) int16() int16 { return int16(r.uint16()) }

func (r *msgReader) int32() int32 {
	if len(r.b) < 4 {
		r.fail("insufficient data left in message")
		return 0
	}
	v := binary.BigEndian.Uint32(r.b)
	r.b = r.b[4:]
	return int32(v)
}

// bytes reads n bytes, aliasing the body.
func (r *msgReader) bytes(n int) []byte {
	if n < 0 || n > len(r.b) {
		r.fail("insufficient data left in message")
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

// end checks that the whole body was read and returns the first error.
func (r *msgReader) end() error {
	if r.err == nil && len(r.b) > 0 {
		r.fail("invalid message format")
	}
	return r.err
}
