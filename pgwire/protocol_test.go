package pgwire

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"
	"github.com/jackc/pgproto3/v2"
)

// TestProtocol runs the exchanges in testdata/protocol/: each file gets a fresh
// server, and commands drive named raw connections (conn=<name>, default c):
//
//	dial             connects without a startup packet
//	connect [user=] [database=] [app=] [version=3.0] [pq-option=] [ssl] [gss] [verbose]
//	query            input: SQL; prints messages up to ReadyForQuery
//	send             input: one message per line (see parseFrontendMessage)
//	raw              input: Go-quoted byte strings, one per line
//	close-write      half-closes the connection
//	read-byte        reads the one-byte answer to SSLRequest or GSSENCRequest
//	recv [n=]        prints messages up to ReadyForQuery or EOF, or n of them
//	wait-sleeping    waits until a "sleep" statement runs
//	sleeper          reports whether the last "sleep" statement's context is cancelled
//	cancel [wrong-secret]  sends a CancelRequest for the connection
//	shutdown         shuts the server down
//	sessions         prints how many sessions were opened and closed
func TestProtocol(t *testing.T) {
	datadriven.Walk(t, "testdata/protocol", func(t *testing.T, path string) {
		ts := startServer(t, Config{})
		conns := map[string]*rawClient{}
		var sleepCtx context.Context // of the last "sleep" statement
		get := func(d *datadriven.TestData) *rawClient {
			name := "c"
			d.MaybeScanArgs(t, "conn", &name)
			c, ok := conns[name]
			if !ok {
				d.Fatalf(t, "no connection %q", name)
			}
			return c
		}
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			switch d.Cmd {
			case "connect":
				name := "c"
				d.MaybeScanArgs(t, "conn", &name)
				c := dialRaw(t, ts.Addr())
				conns[name] = c
				var out []string
				if d.HasArg("ssl") {
					c.send(&pgproto3.SSLRequest{})
					out = append(out, "SSLRequest → "+c.readByte())
				}
				if d.HasArg("gss") {
					c.send(&pgproto3.GSSEncRequest{})
					out = append(out, "GSSENCRequest → "+c.readByte())
				}
				version := "3.0"
				d.MaybeScanArgs(t, "version", &version)
				major, minor, _ := strings.Cut(version, ".")
				maj, _ := strconv.Atoi(major)
				mnr, _ := strconv.Atoi(minor)
				var kv []string
				for _, arg := range []struct{ key, param string }{
					{"user", "user"}, {"database", "database"}, {"app", "application_name"}, {"pq-option", "_pq_.option"},
				} {
					v := ""
					if arg.key == "user" {
						v = "alice"
					}
					d.MaybeScanArgs(t, arg.key, &v)
					if v != "" {
						kv = append(kv, arg.param, v)
					}
				}
				c.write(startupPacket(uint32(maj<<16|mnr), kv...))
				for _, line := range strings.Split(c.untilReady(), "\n") {
					if d.HasArg("verbose") || !strings.HasPrefix(line, "ParameterStatus") &&
						line != "AuthenticationOk" && line != "BackendKeyData" {
						out = append(out, line)
					}
				}
				return strings.Join(out, "\n")
			case "dial":
				name := "c"
				d.MaybeScanArgs(t, "conn", &name)
				conns[name] = dialRaw(t, ts.Addr())
				return ""
			case "query":
				c := get(d)
				c.send(&pgproto3.Query{String: strings.TrimSuffix(d.Input, "\n")})
				return c.untilReady()
			case "send":
				c := get(d)
				for _, line := range strings.Split(d.Input, "\n") {
					c.send(parseFrontendMessage(t, d, line))
				}
				return ""
			case "raw":
				c := get(d)
				for _, line := range strings.Split(d.Input, "\n") {
					b, err := strconv.Unquote(line)
					if err != nil {
						d.Fatalf(t, "%s: %v", line, err)
					}
					c.write([]byte(b))
				}
				return ""
			case "close-write":
				c := get(d)
				if err := c.nc.(interface{ CloseWrite() error }).CloseWrite(); err != nil {
					t.Fatal(err)
				}
				return ""
			case "read-byte":
				return get(d).readByte()
			case "recv":
				if d.HasArg("n") {
					var n int
					d.ScanArgs(t, "n", &n)
					return get(d).nextN(n)
				}
				return get(d).untilReady()
			case "wait-sleeping":
				select {
				case sleepCtx = <-ts.eng.sleeping:
					return "sleeping"
				case <-time.After(rawTimeout):
					d.Fatalf(t, "no statement started sleeping")
				}
			case "sleeper":
				if sleepCtx.Err() != nil {
					return "cancelled"
				}
				return "running"
			case "cancel":
				target := get(d)
				secret := target.secret
				if d.HasArg("wrong-secret") {
					secret++
				}
				c := dialRaw(t, ts.Addr())
				c.send(&pgproto3.CancelRequest{ProcessID: target.pid, SecretKey: secret})
				return "cancel connection: " + c.next()
			case "shutdown":
				if err := ts.stop(); err != nil {
					return err.Error()
				}
				return "ok"
			case "sessions":
				opened, closed := ts.eng.sessions()
				return fmt.Sprintf("opened %d, closed %d", opened, closed)
			}
			d.Fatalf(t, "unknown command %s", d.Cmd)
			return ""
		})
	})
}
