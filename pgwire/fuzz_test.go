package pgwire

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weir-db/weir/types"
)

// memConn is a net.Conn over a fixed input: reads drain it and then return
// io.EOF; writes are kept for inspection.
type memConn struct {
	in  *bytes.Reader
	mu  sync.Mutex
	out bytes.Buffer
}

func (c *memConn) Read(b []byte) (int, error) { return c.in.Read(b) }
func (c *memConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.out.Write(b)
}
func (c *memConn) Close() error                     { return nil }
func (c *memConn) LocalAddr() net.Addr              { return memAddr{} }
func (c *memConn) RemoteAddr() net.Addr             { return memAddr{} }
func (c *memConn) SetDeadline(time.Time) error      { return nil }
func (c *memConn) SetReadDeadline(time.Time) error  { return nil }
func (c *memConn) SetWriteDeadline(time.Time) error { return nil }

type memAddr struct{}

func (memAddr) Network() string { return "mem" }
func (memAddr) String() string  { return "mem" }

// echoEngine answers every query with its own text as a one-row result.
type echoEngine struct{}

func (echoEngine) Connect(context.Context, string, string) (Session, error) { return echoEngine{}, nil }
func (echoEngine) Execute(_ context.Context, sql string, w ResultWriter) error {
	if sql == "" {
		return w.EmptyQuery()
	}
	if strings.HasPrefix(sql, "err") {
		return types.Errorf(types.CodeSyntaxError, "no").WithPosition(len(sql))
	}
	if err := w.Columns([]Column{{Name: "q", Type: types.TText}}); err != nil {
		return err
	}
	if err := w.Row([]types.Datum{sql}); err != nil {
		return err
	}
	return w.Complete("SELECT 1")
}
func (echoEngine) Close() {}

// serveBytes runs one connection over input to its end and checks that it
// neither panics nor hangs and that everything it wrote is well-framed.
func serveBytes(t *testing.T, input []byte) {
	var (
		mu     sync.Mutex
		panics []string
	)
	logf := func(format string, args ...any) {
		if line := fmt.Sprintf(format, args...); strings.Contains(line, "panic") {
			mu.Lock()
			panics = append(panics, line)
			mu.Unlock()
		}
	}
	s := newServer(Config{Logf: logf, MaxMessageBytes: 1 << 20}, echoEngine{})
	nc := &memConn{in: bytes.NewReader(input)}
	s.serveConn(nc)
	finished := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(finished)
	}()
	select {
	case <-finished:
	case <-time.After(10 * time.Second):
		t.Fatalf("connection still running after its input ended")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(panics) > 0 {
		t.Fatalf("panicked: %s", panics[0])
	}
	checkBackendStream(t, nc.out.Bytes())
}

// checkBackendStream checks that out is a sequence of complete backend
// messages of known types, possibly after 'N' answers to encryption
// requests.
func checkBackendStream(t *testing.T, out []byte) {
	for len(out) > 0 && out[0] == 'N' {
		out = out[1:]
	}
	for len(out) > 0 {
		if len(out) < 5 {
			t.Fatalf("partial message header %q", out)
		}
		typ, n := out[0], int(binary.BigEndian.Uint32(out[1:5]))
		if !strings.ContainsRune("RSKZTDCIEv", rune(typ)) {
			t.Fatalf("unknown backend message type %q", typ)
		}
		if n < 4 || 1+n > len(out) {
			t.Fatalf("message %q declares %d bytes, %d left", typ, n, len(out)-1)
		}
		out = out[1+n:]
	}
}

func frontendSeeds() [][]byte {
	q := func(s string) []byte {
		b := []byte{'Q', 0, 0, 0, 0}
		b = append(b, s...)
		b = append(b, 0)
		binary.BigEndian.PutUint32(b[1:], uint32(len(b)-1))
		return b
	}
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	sync := []byte{'S', 0, 0, 0, 4}
	parse := []byte{'P', 0, 0, 0, 8, 0, 'x', 0, 0}
	return [][]byte{
		nil,
		q("select 1"),
		q(""),
		q("err here"),
		cat(q("a"), q("b"), []byte{'X', 0, 0, 0, 4}),
		cat(parse, []byte{'B', 0, 0, 0, 4}, sync, q("after")),
		cat(sync, []byte{'H', 0, 0, 0, 4}, []byte{'F', 0, 0, 0, 4}),
		{'Q', 0x7f, 0xff, 0xff, 0xff},
		{'Q', 0, 0, 0, 100, 's'},
		{'Q', 0, 0, 0, 5},
		{'Q', 0, 0},
		{'Z', 0, 0, 0, 4},
		{'d', 0, 0, 0, 6, 1, 2, 'c', 0, 0, 0, 4},
	}
}

// FuzzFrames feeds arbitrary bytes to a connection after a valid startup.
func FuzzFrames(f *testing.F) {
	for _, s := range frontendSeeds() {
		f.Add(s)
	}
	startup := startupPacket(3<<16, "user", "fuzz", "database", "weir")
	f.Fuzz(func(t *testing.T, data []byte) {
		serveBytes(t, append(append([]byte(nil), startup...), data...))
	})
}

// FuzzStartup feeds arbitrary bytes to a fresh connection.
func FuzzStartup(f *testing.F) {
	ssl := []byte{0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f}
	f.Add(startupPacket(3<<16, "user", "fuzz"))
	f.Add(append(ssl, startupPacket(3<<16|2, "user", "u", "_pq_.x", "y")...))
	f.Add(append(ssl, ssl...))
	f.Add(startupPacket(2<<16, "user", "fuzz"))
	f.Add([]byte{0, 0, 0, 16, 0x04, 0xd2, 0x16, 0x2e, 0, 0, 0, 1, 0, 0, 0, 2})
	f.Add([]byte("GET / HTTP/1.1\r\n\r\n"))
	f.Add([]byte{0, 0, 0, 0x11, 0, 3, 0, 0, 'u', 's', 'e', 'r', 0, 'b', 'o', 'b', 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		serveBytes(t, data)
	})
}
