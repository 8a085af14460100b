package pgwire

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgproto3/v2"

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

// echoEngine answers every query with its own text as a one-row result;
// "copy in" and "copy out" run COPY, reading everything and writing a row.
// Its prepared statements echo their text and their parameters.
type echoEngine struct{}

var _ Preparer = echoEngine{}

func (echoEngine) Connect(context.Context, string, string) (Session, error) { return echoEngine{}, nil }
func (e echoEngine) Execute(_ context.Context, sql string, w ResultWriter) error {
	return e.run(sql, nil, w, true)
}

func (e echoEngine) run(sql string, params []types.Datum, w ResultWriter, describe bool) error {
	switch {
	case sql == "":
		return w.EmptyQuery()
	case strings.HasPrefix(sql, "err"):
		return types.Errorf(types.CodeSyntaxError, "no").WithPosition(len(sql))
	case sql == "copy in":
		r, err := w.(Copier).CopyIn(CopyText, 1)
		if err != nil {
			return err
		}
		n, err := io.Copy(io.Discard, r)
		if err != nil {
			return err
		}
		return w.Complete(fmt.Sprintf("COPY %d", n))
	case sql == "copy out":
		out, err := w.(Copier).CopyOut(CopyText, 1)
		if err != nil {
			return err
		}
		if _, err := out.Write([]byte("row\n")); err != nil {
			return err
		}
		return w.Complete("COPY 1")
	}
	if describe {
		if err := w.Columns(echoColumns(len(params))); err != nil {
			return err
		}
	}
	row := append([]types.Datum{sql}, params...)
	for i := 1; i < len(row); i++ {
		if row[i] != nil {
			row[i] = types.TextString(types.TUnknown, row[i])
		}
	}
	if err := w.Row(row); err != nil {
		return err
	}
	return w.Complete("SELECT 1")
}

func echoColumns(nparams int) []Column {
	cols := []Column{{Name: "q", Type: types.TText}}
	for range nparams {
		cols = append(cols, Column{Name: "p", Type: types.TText})
	}
	return cols
}

func (echoEngine) Prepare(_ context.Context, sql string, paramTypes []types.Type) (*Statement, error) {
	if strings.HasPrefix(sql, "err") {
		return nil, types.Errorf(types.CodeSyntaxError, "no")
	}
	st := &Statement{ParamTypes: paramTypes, Handle: sql}
	if sql != "" && !strings.HasPrefix(sql, "copy") {
		st.Columns = echoColumns(len(paramTypes))
	}
	return st, nil
}

func (e echoEngine) ExecutePrepared(_ context.Context, st *Statement, params []types.Datum, w ResultWriter) error {
	return e.run(st.Handle.(string), params, w, false)
}

func (echoEngine) Close() {}

// serveBytes runs one connection over input to its end and checks that it
// neither panics nor hangs and that everything it wrote is well-framed.
func serveBytes(t *testing.T, input []byte) {
	serveBytesWith(t, Config{}, input)
}

func serveBytesWith(t *testing.T, cfg Config, input []byte) {
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
	cfg.Logf, cfg.MaxMessageBytes = logf, 1<<20
	s := newServer(cfg, echoEngine{})
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
		if !strings.ContainsRune("RSKZTDCIEv123nstGHdc", rune(typ)) {
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
	msg := func(m pgproto3.FrontendMessage) []byte {
		b, err := m.Encode(nil)
		if err != nil {
			panic(err)
		}
		return b
	}
	return [][]byte{
		cat(msg(&pgproto3.Parse{Name: "s", Query: "x", ParameterOIDs: []uint32{23, 0}}),
			msg(&pgproto3.Describe{ObjectType: 'S', Name: "s"}),
			msg(&pgproto3.Bind{PreparedStatement: "s", ParameterFormatCodes: []int16{1, 0},
				Parameters: [][]byte{{0, 0, 0, 7}, []byte("x")}, ResultFormatCodes: []int16{1}}),
			msg(&pgproto3.Describe{ObjectType: 'P'}),
			msg(&pgproto3.Execute{MaxRows: 1}), msg(&pgproto3.Execute{}), sync),
		cat(q("copy in"), msg(&pgproto3.CopyData{Data: []byte("a\n")}), msg(&pgproto3.CopyDone{}), q("copy out")),
		cat(q("copy in"), msg(&pgproto3.CopyFail{Message: "no"}), q("x")),
		cat(msg(&pgproto3.Parse{Query: "copy in"}), msg(&pgproto3.Bind{}), msg(&pgproto3.Execute{}), sync,
			msg(&pgproto3.CopyData{Data: []byte("a\n")}), q("x")),
		cat(msg(&pgproto3.Parse{Query: "err"}), msg(&pgproto3.Bind{}), sync, msg(&pgproto3.Close{ObjectType: 'S'}), sync),
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

// FuzzSCRAM feeds arbitrary bytes to the SASL exchange, after a startup
// packet for a user with a password.
func FuzzSCRAM(f *testing.F) {
	f.Add(append(saslMessage("SCRAM-SHA-256", 11, "n,,n=,r=abc"), passwordMessage("c=biws,r=abcXYZ,p=AAAA")...))
	f.Add(saslMessage("SCRAM-SHA-256", -1, ""))
	f.Add(saslMessage("SCRAM-SHA-256-PLUS", 30, "p=tls-server-end-point,,n=,r=ab"))
	f.Add(passwordMessage("y,,n=,r=abc"))
	secret := newSCRAMSecret("pw", []byte("salt"), 1) // one iteration: fast
	cfg := Config{Auth: AuthSCRAM, Users: testUsers{"fuzz": secret}}
	startup := startupPacket(3<<16, "user", "fuzz")
	f.Fuzz(func(t *testing.T, data []byte) {
		serveBytesWith(t, cfg, append(append([]byte(nil), startup...), data...))
	})
}
