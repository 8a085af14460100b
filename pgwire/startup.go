package pgwire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"github.com/jackc/pgproto3/v2"

	"github.com/weir-db/weir/types"
)

// startupTimeout bounds the startup phase, like PostgreSQL's
// authentication_timeout, so that a client that connects and says nothing
// does not hold a connection forever.
const startupTimeout = time.Minute

// Protocol codes of startup-phase packets.
const (
	sslRequestCode    = 80877103
	gssEncRequestCode = 80877104
	cancelRequestCode = 80877102
	// protocolMajor is the only major version spoken; of its minor versions
	// only 0.
	protocolMajor = 3
)

// errCancelRequestDone ends a connection that carried a CancelRequest:
// PostgreSQL closes it without a reply.
var errCancelRequestDone = errors.New("cancel request handled")

// startupParams is what a StartupMessage asks for.
type startupParams struct {
	user, database, applicationName string
	// unrecognized lists the protocol options ("_pq_.*") this server does
	// not know; all of them, since it knows none.
	unrecognized []string
}

// startup runs the startup phase: an SSLRequest is answered by starting TLS
// when configured, GSS encryption is declined, a cancel request is
// executed, and a StartupMessage authenticates the client, opens the
// session and is answered up to the first ReadyForQuery.
func (c *conn) startup() error {
	if err := c.nc.SetDeadline(time.Now().Add(startupTimeout)); err != nil {
		return fmt.Errorf("setting startup deadline: %w", err)
	}
	sslDone, gssDone := false, false
	for {
		pkt, err := c.frames.readStartup()
		if err != nil {
			return err
		}
		code := binary.BigEndian.Uint32(pkt)
		switch {
		case code == sslRequestCode && !sslDone && c.srv.cfg.TLS != nil:
			if err := c.startTLS(); err != nil {
				return err
			}
			// Encryption is settled: another request of either kind is
			// no startup packet PostgreSQL understands.
			sslDone, gssDone = true, true
		case code == sslRequestCode && !sslDone, code == gssEncRequestCode && !gssDone:
			// 'N' tells the client to carry on in the clear (or give up,
			// if it insists on encryption).
			sslDone = sslDone || code == sslRequestCode
			gssDone = gssDone || code == gssEncRequestCode
			if err := c.out.sendByte('N'); err != nil {
				return err
			}
			if err := c.out.flush(); err != nil {
				return err
			}
		case code == cancelRequestCode:
			c.srv.handleCancelRequest(pkt[4:])
			return errCancelRequestDone
		default:
			major, minor := code>>16, code&0xffff
			if major != protocolMajor {
				return types.Errorf(types.CodeFeatureNotSupported,
					"unsupported frontend protocol %d.%d: server supports 3.0 to 3.0", major, minor)
			}
			params, err := parseStartupParams(pkt[4:])
			if err != nil {
				return err
			}
			if minor > 0 || len(params.unrecognized) > 0 {
				if err := c.out.sendNegotiateProtocolVersion(0, params.unrecognized); err != nil {
					return err
				}
			}
			if err := c.authenticate(params.user); err != nil {
				return err
			}
			if err := c.nc.SetDeadline(time.Time{}); err != nil {
				return fmt.Errorf("clearing startup deadline: %w", err)
			}
			return c.openSession(params)
		}
	}
}

// parseStartupParams decodes a StartupMessage's name/value pairs: strings
// each ending in NUL, the list ending in an empty name.
func parseStartupParams(b []byte) (startupParams, error) {
	var p startupParams
	layoutErr := protocolViolation("invalid startup packet layout: expected terminator as last byte")
	vals := map[string]string{}
	for {
		if len(b) == 0 {
			return p, layoutErr
		}
		if b[0] == 0 {
			if len(b) != 1 {
				return p, layoutErr
			}
			break
		}
		i := bytes.IndexByte(b, 0)
		if i < 0 {
			return p, layoutErr
		}
		name := string(b[:i])
		b = b[i+1:]
		j := bytes.IndexByte(b, 0)
		if j < 0 {
			return p, layoutErr
		}
		val := string(b[:j])
		b = b[j+1:]
		if strings.HasPrefix(name, "_pq_.") {
			p.unrecognized = append(p.unrecognized, name)
			continue
		}
		vals[name] = val
	}
	// Other parameters (options, client_encoding, DateStyle, ...) would set
	// session variables; the session offers none yet, and the server speaks
	// UTF8 whatever the client asks for, so they are ignored.
	p.user = vals["user"]
	if p.user == "" {
		return p, types.Errorf("28000", "no PostgreSQL user name specified in startup packet")
	}
	p.database = vals["database"]
	if p.database == "" {
		p.database = p.user
	}
	p.applicationName = vals["application_name"]
	switch strings.ToLower(vals["replication"]) {
	case "", "false", "off", "no", "0":
	default:
		return p, types.Errorf(types.CodeFeatureNotSupported, "replication connections are not supported")
	}
	return p, nil
}

// openSession tells the authenticated client so, asks the engine for a
// session and completes the startup exchange.
func (c *conn) openSession(p startupParams) error {
	if err := c.out.send(&pgproto3.AuthenticationOk{}); err != nil {
		return err
	}
	sess, err := c.connect(p)
	if err != nil {
		return types.AsError(err)
	}
	c.sess = sess
	var msgs []pgproto3.BackendMessage
	for _, kv := range [][2]string{
		{"application_name", p.applicationName},
		{"client_encoding", "UTF8"},
		{"DateStyle", "ISO, MDY"},
		{"default_transaction_read_only", "off"},
		{"in_hot_standby", "off"},
		{"integer_datetimes", "on"},
		{"IntervalStyle", "postgres"},
		{"is_superuser", "on"},
		{"server_encoding", "UTF8"},
		{"server_version", "15.0"},
		{"session_authorization", p.user},
		{"standard_conforming_strings", "on"},
		{"TimeZone", "UTC"},
	} {
		msgs = append(msgs, &pgproto3.ParameterStatus{Name: kv[0], Value: kv[1]})
	}
	msgs = append(msgs,
		&pgproto3.BackendKeyData{ProcessID: c.pid, SecretKey: c.secret},
		&pgproto3.ReadyForQuery{TxStatus: c.txStatus()})
	for _, m := range msgs {
		if err := c.out.send(m); err != nil {
			return err
		}
	}
	return nil
}

// connect calls Engine.Connect, turning a panic into an error.
func (c *conn) connect(p startupParams) (sess Session, err error) {
	defer func() {
		if r := recover(); r != nil {
			c.logf("panic connecting user %q to database %q: %v\n%s", p.user, p.database, r, debug.Stack())
			sess, err = nil, types.Errorf(types.CodeInternalError, "internal error: %v", r)
		}
	}()
	return c.srv.eng.Connect(c.srv.ctx, p.user, p.database)
}
