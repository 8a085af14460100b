package engine

import (
	"context"
	"fmt"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"
	"github.com/jackc/pgproto3/v2"

	"github.com/weir-db/weir/pgwire"
)

// TestSubscribeWire runs testdata/subscribe: SUBSCRIBE's message sequence
// on the wire, from the real engine through pgwire. Commands:
//
//	exec <sql>      runs statements on an in-process session (setup,
//	                writes; end with FLUSH so the changes are committed)
//	send <sql>      sends a Query on the wire client
//	recv [n=<k>]    prints the next k messages (default: up to
//	                ReadyForQuery); commit timestamps print as T
//	cancel          sends a CancelRequest for the wire client
//	close           closes the wire client's socket
//	subscribers v   how many subscriptions view v has (polled until it
//	                equals want=<n>)
//	extended <sql>  sends <sql> over the extended protocol: Parse, Bind,
//	                Describe (portal), Execute, Sync
func TestSubscribeWire(t *testing.T) { runWireScript(t, "testdata/subscribe") }

// runWireScript runs a script of the commands above against a new engine
// served by pgwire.
func runWireScript(t *testing.T, path string) {
	e, err := Open(Config{DataDir: t.TempDir(), Parallelism: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	srv, err := pgwire.Listen(pgwire.Config{Addr: "127.0.0.1:0", Logf: t.Logf}, e)
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve() }()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}()
	s := e.NewSession()
	var c *wireClient
	datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
		switch d.Cmd {
		case "connect":
			c = dialWire(t, srv.Addr())
			return c.untilReady()
		case "exec":
			if err := runErr(s, d.Input); err != nil {
				return "error: " + err.Error() + "\n"
			}
			return "ok\n"
		case "send":
			c.send(&pgproto3.Query{String: d.Input})
			return ""
		case "extended":
			for _, m := range []pgproto3.FrontendMessage{&pgproto3.Parse{Query: d.Input}, &pgproto3.Bind{}, &pgproto3.Describe{ObjectType: 'P'}, &pgproto3.Execute{}, &pgproto3.Sync{}} {
				c.send(m)
			}
			return ""
		case "recv":
			if d.HasArg("n") {
				var n int
				d.ScanArgs(t, "n", &n)
				var out []string
				for range n {
					out = append(out, c.next())
				}
				return strings.Join(out, "\n") + "\n"
			}
			return c.untilReady()
		case "cancel":
			cc, err := net.Dial("tcp", srv.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer cc.Close()
			buf, _ := (&pgproto3.CancelRequest{ProcessID: c.pid, SecretKey: c.secret}).Encode(nil)
			if _, err := cc.Write(buf); err != nil {
				t.Fatal(err)
			}
			_ = cc.SetReadDeadline(time.Now().Add(10 * time.Second))
			_, err = cc.Read(make([]byte, 1))
			return fmt.Sprintf("cancel connection: %v\n", err)
		case "close":
			c.nc.Close()
			return "closed\n"
		case "subscribers":
			var want int
			d.ScanArgs(t, "want", &want)
			name := d.CmdArgs[0].Key
			deadline := time.Now().Add(10 * time.Second)
			for {
				n := subscriberCount(e, name)
				if n == want || time.Now().After(deadline) {
					return fmt.Sprintf("%d\n", n)
				}
				time.Sleep(5 * time.Millisecond) // polling, with a deadline
			}
		}
		t.Fatalf("unknown command %s", d.Cmd)
		return ""
	})
}

func subscriberCount(e *Engine, view string) int {
	e.mu.Lock()
	f := e.flows[view]
	e.mu.Unlock()
	if f == nil {
		return -1
	}
	f.commitMu.Lock()
	defer f.commitMu.Unlock()
	return len(f.subs)
}

// wireClient is a minimal protocol client that prints what it receives.
type wireClient struct {
	t           *testing.T
	nc          net.Conn
	fe          *pgproto3.Frontend
	pid, secret uint32
}

func dialWire(t *testing.T, addr net.Addr) *wireClient {
	nc, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	c := &wireClient{t: t, nc: nc, fe: pgproto3.NewFrontend(pgproto3.NewChunkReader(nc), nc)}
	c.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersionNumber, Parameters: map[string]string{"user": "weir", "database": "weir"}})
	return c
}

func (c *wireClient) send(m pgproto3.FrontendMessage) {
	buf, err := m.Encode(nil)
	if err != nil {
		c.t.Fatal(err)
	}
	if _, err := c.nc.Write(buf); err != nil {
		c.t.Fatal(err)
	}
}

// timestamps are commit times in µs: they vary from run to run.
var timestamps = regexp.MustCompile(`1[0-9]{15}`)

func (c *wireClient) next() string {
	c.t.Helper()
	_ = c.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	m, err := c.fe.Receive()
	if err != nil {
		return fmt.Sprintf("receiving: %v", err)
	}
	var s string
	switch m := m.(type) {
	case *pgproto3.RowDescription:
		var fs []string
		for _, f := range m.Fields {
			fs = append(fs, fmt.Sprintf("%s:%d", f.Name, f.DataTypeOID))
		}
		s = "RowDescription " + strings.Join(fs, " ")
	case *pgproto3.DataRow:
		var vs []string
		for _, v := range m.Values {
			if v == nil {
				vs = append(vs, "NULL")
			} else {
				vs = append(vs, string(v))
			}
		}
		s = "DataRow " + strings.Join(vs, " ")
	case *pgproto3.CopyOutResponse:
		s = fmt.Sprintf("CopyOutResponse format=%d columns=%d", m.OverallFormat, len(m.ColumnFormatCodes))
	case *pgproto3.CopyData:
		s = fmt.Sprintf("CopyData %q", m.Data)
	case *pgproto3.CommandComplete:
		s = "CommandComplete " + string(m.CommandTag)
	case *pgproto3.ErrorResponse:
		s = fmt.Sprintf("ErrorResponse %s %s", m.Code, m.Message)
	case *pgproto3.ReadyForQuery:
		s = "ReadyForQuery " + string(m.TxStatus)
	case *pgproto3.BackendKeyData:
		c.pid, c.secret = m.ProcessID, m.SecretKey
		s = "BackendKeyData"
	default:
		s = fmt.Sprintf("%T", m)
	}
	return timestamps.ReplaceAllString(s, "T")
}

func (c *wireClient) untilReady() string {
	var out []string
	for {
		s := c.next()
		if s == "*pgproto3.ParameterStatus" || s == "BackendKeyData" || s == "*pgproto3.AuthenticationOk" {
			continue
		}
		out = append(out, s)
		if strings.HasPrefix(s, "ReadyForQuery") || strings.HasPrefix(s, "receiving") {
			return strings.Join(out, "\n") + "\n"
		}
	}
}
