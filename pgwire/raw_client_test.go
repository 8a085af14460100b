package pgwire

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgproto3/v2"
)

// rawTimeout bounds every read and write of a raw test client, so that a
// server that fails to answer fails the test instead of hanging it.
const rawTimeout = 10 * time.Second

// rawClient speaks the protocol byte by byte, to check exactly what the
// server sends and to send what well-behaved drivers never would.
type rawClient struct {
	t           testing.TB
	nc          net.Conn
	r           *bufio.Reader
	pid, secret uint32
}

func dialRaw(t testing.TB, addr net.Addr) *rawClient {
	t.Helper()
	nc, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatalf("dialing %s: %v", addr, err)
	}
	t.Cleanup(func() { nc.Close() })
	if err := nc.SetDeadline(time.Now().Add(rawTimeout)); err != nil {
		t.Fatal(err)
	}
	return &rawClient{t: t, nc: nc, r: bufio.NewReader(nc)}
}

func (c *rawClient) write(b []byte) {
	c.t.Helper()
	if _, err := c.nc.Write(b); err != nil {
		c.t.Fatalf("writing: %v", err)
	}
}

func (c *rawClient) send(msgs ...pgproto3.FrontendMessage) {
	c.t.Helper()
	var buf []byte
	for _, m := range msgs {
		var err error
		if buf, err = m.Encode(buf); err != nil {
			c.t.Fatal(err)
		}
	}
	c.write(buf)
}

// startupPacket encodes a StartupMessage with parameters in the given order
// (pgproto3 encodes a map, in random order).
func startupPacket(version uint32, kv ...string) []byte {
	b := []byte{0, 0, 0, 0}
	b = binary.BigEndian.AppendUint32(b, version)
	for _, s := range kv {
		b = append(b, s...)
		b = append(b, 0)
	}
	b = append(b, 0)
	binary.BigEndian.PutUint32(b, uint32(len(b)))
	return b
}

// readByte reads the one-byte answer to SSLRequest or GSSENCRequest.
func (c *rawClient) readByte() string {
	b, err := c.r.ReadByte()
	if err != nil {
		return errString(err)
	}
	return string(b)
}

// next reads one backend message and formats it on one line; "EOF" when the
// server has closed the connection.
func (c *rawClient) next() string {
	c.t.Helper()
	var hdr [5]byte
	if _, err := io.ReadFull(c.r, hdr[:]); err != nil {
		return errString(err)
	}
	n := int(binary.BigEndian.Uint32(hdr[1:])) - 4
	if n < 0 || n > 1<<30 {
		c.t.Fatalf("bad length %d in message %q", n, hdr[0])
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(c.r, body); err != nil {
		return errString(err)
	}
	return c.format(hdr[0], body)
}

func errString(err error) string {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "EOF"
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "TIMEOUT"
	}
	// A reset after the server closed with unread input is an orderly
	// close as far as these tests are concerned.
	if strings.Contains(err.Error(), "connection reset") {
		return "EOF"
	}
	return "error: " + err.Error()
}

func (c *rawClient) format(typ byte, body []byte) string {
	c.t.Helper()
	decode := func(m pgproto3.BackendMessage) {
		c.t.Helper()
		if err := m.Decode(body); err != nil {
			c.t.Fatalf("decoding %T: %v", m, err)
		}
	}
	switch typ {
	case 'R':
		return formatAuthentication(c.t, body)
	case 'S':
		var m pgproto3.ParameterStatus
		decode(&m)
		return fmt.Sprintf("ParameterStatus %s=%s", m.Name, m.Value)
	case 'K':
		var m pgproto3.BackendKeyData
		decode(&m)
		c.pid, c.secret = m.ProcessID, m.SecretKey
		return "BackendKeyData"
	case 'Z':
		var m pgproto3.ReadyForQuery
		decode(&m)
		return "ReadyForQuery " + string(m.TxStatus)
	case 'T':
		var m pgproto3.RowDescription
		decode(&m)
		var b strings.Builder
		b.WriteString("RowDescription")
		for _, f := range m.Fields {
			fmt.Fprintf(&b, " %s:%d:%d:%d:%d", f.Name, f.DataTypeOID, f.DataTypeSize, f.TypeModifier, f.Format)
		}
		return b.String()
	case 'D':
		var m pgproto3.DataRow
		decode(&m)
		var b strings.Builder
		b.WriteString("DataRow")
		for _, v := range m.Values {
			if v == nil {
				b.WriteString(" NULL")
			} else {
				b.WriteString(" " + strconv.Quote(string(v)))
			}
		}
		return b.String()
	case 'C':
		var m pgproto3.CommandComplete
		decode(&m)
		return fmt.Sprintf("CommandComplete %q", m.CommandTag)
	case 'I':
		return "EmptyQueryResponse"
	case 'E':
		var m pgproto3.ErrorResponse
		decode(&m)
		s := fmt.Sprintf("ErrorResponse %s/%s %s %q", m.Severity, m.SeverityUnlocalized, m.Code, m.Message)
		if m.Detail != "" {
			s += fmt.Sprintf(" detail=%q", m.Detail)
		}
		if m.Position != 0 {
			s += fmt.Sprintf(" position=%d", m.Position)
		}
		return s
	case '1':
		return "ParseComplete"
	case '2':
		return "BindComplete"
	case '3':
		return "CloseComplete"
	case 'n':
		return "NoData"
	case 's':
		return "PortalSuspended"
	case 't':
		var m pgproto3.ParameterDescription
		decode(&m)
		return fmt.Sprintf("ParameterDescription %v", m.ParameterOIDs)
	case 'G':
		var m pgproto3.CopyInResponse
		decode(&m)
		return fmt.Sprintf("CopyInResponse %d %v", m.OverallFormat, m.ColumnFormatCodes)
	case 'H':
		var m pgproto3.CopyOutResponse
		decode(&m)
		return fmt.Sprintf("CopyOutResponse %d %v", m.OverallFormat, m.ColumnFormatCodes)
	case 'd':
		return fmt.Sprintf("CopyData %q", body)
	case 'c':
		return "CopyDone"
	case 'N':
		var m pgproto3.NoticeResponse
		decode(&m)
		return fmt.Sprintf("NoticeResponse %s %s %q", m.Severity, m.Code, m.Message)
	case 'v':
		if len(body) < 8 {
			c.t.Fatalf("short NegotiateProtocolVersion")
		}
		minor := binary.BigEndian.Uint32(body)
		opts := strings.Split(strings.TrimSuffix(string(body[8:]), "\x00"), "\x00")
		return fmt.Sprintf("NegotiateProtocolVersion 3.%d %v", minor, opts)
	}
	return fmt.Sprintf("unexpected message %q %q", typ, body)
}

// untilReady reads messages up to ReadyForQuery or the end of the
// connection, one per line.
func (c *rawClient) untilReady() string {
	c.t.Helper()
	return c.until("ReadyForQuery")
}

// formatAuthentication formats an Authentication* message ('R').
func formatAuthentication(t testing.TB, body []byte) string {
	t.Helper()
	if len(body) < 4 {
		t.Fatalf("short authentication message %q", body)
	}
	data := body[4:]
	switch code := binary.BigEndian.Uint32(body); code {
	case 0:
		return "AuthenticationOk"
	case 10:
		mechs := strings.Split(strings.TrimRight(string(data), "\x00"), "\x00")
		return fmt.Sprintf("AuthenticationSASL %v", mechs)
	case 11:
		return fmt.Sprintf("AuthenticationSASLContinue %q", data)
	case 12:
		return fmt.Sprintf("AuthenticationSASLFinal %q", data)
	default:
		return fmt.Sprintf("Authentication %d %q", code, data)
	}
}

// until reads messages up to and including the first whose formatted form
// starts with prefix, or the end of the connection, one per line.
func (c *rawClient) until(prefix string) string {
	c.t.Helper()
	var lines []string
	for {
		m := c.next()
		lines = append(lines, m)
		if strings.HasPrefix(m, prefix) || m == "EOF" || m == "TIMEOUT" || strings.HasPrefix(m, "error:") {
			return strings.Join(lines, "\n")
		}
	}
}

// nextN reads n messages, one per line; fewer at the end of the connection.
func (c *rawClient) nextN(n int) string {
	c.t.Helper()
	var lines []string
	for range n {
		m := c.next()
		lines = append(lines, m)
		if m == "EOF" || m == "TIMEOUT" || strings.HasPrefix(m, "error:") {
			break
		}
	}
	return strings.Join(lines, "\n")
}
