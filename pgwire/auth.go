package pgwire

import (
	"slices"

	"github.com/jackc/pgproto3/v2"

	"github.com/weir-db/weir/types"
)

// AuthMethod is how clients authenticate, named as in pg_hba.conf.
type AuthMethod string

const (
	// AuthTrust lets every client in as the user it names.
	AuthTrust AuthMethod = "trust"
	// AuthSCRAM requires a password, checked with SCRAM-SHA-256 against
	// the verifiers of Config.Users; with TLS, SCRAM-SHA-256-PLUS is
	// offered too.
	AuthSCRAM AuthMethod = "scram-sha-256"
)

// maxAuthMessageBytes bounds an authentication message, as PostgreSQL's
// PG_MAX_AUTH_TOKEN_LENGTH does, plus the length word.
const maxAuthMessageBytes = 65535 + 4

// authenticate runs the configured authentication exchange for user, up to
// but not including AuthenticationOk.
func (c *conn) authenticate(user string) error {
	if c.srv.cfg.Auth != AuthSCRAM {
		return nil
	}
	secret, ok := c.srv.cfg.Users.SCRAMSecret(user)
	x := &scramExchange{secret: secret, serverNonce: c.srv.scramNonce}
	// A verifier without salt or iterations (a zero one, say) is no
	// password either.
	if !ok || !secret.valid() {
		x.secret, x.doomed = mockSCRAMSecret(c.srv.mockKey, user), true
	}
	mechanisms := []string{scramSHA256}
	if x.cbind = c.channelBinding(); x.cbind != nil {
		mechanisms = []string{scramSHA256Plus, scramSHA256}
	}
	if err := c.sendAuth(&pgproto3.AuthenticationSASL{AuthMechanisms: mechanisms}); err != nil {
		return err
	}

	// SASLInitialResponse: the mechanism, then client-first-message (or
	// -1 and nothing, in which case it comes in a SASLResponse).
	body, err := c.frames.readAuthMessage(maxAuthMessageBytes)
	if err != nil {
		return err
	}
	r := msgReader{b: body}
	mech := r.string()
	n := r.int32()
	var first []byte
	if n != -1 {
		first = r.bytes(int(n))
	}
	if err := r.end(); err != nil {
		return err
	}
	if !slices.Contains(mechanisms, mech) {
		return protocolViolation("client selected an invalid SASL authentication mechanism")
	}
	x.plus = mech == scramSHA256Plus
	if n == -1 {
		if err := c.sendAuth(&pgproto3.AuthenticationSASLContinue{}); err != nil {
			return err
		}
		if first, err = c.frames.readAuthMessage(maxAuthMessageBytes); err != nil {
			return err
		}
	}
	serverFirst, err := x.clientFirst(string(first))
	if err != nil {
		return err
	}
	if err := c.sendAuth(&pgproto3.AuthenticationSASLContinue{Data: []byte(serverFirst)}); err != nil {
		return err
	}

	// SASLResponse: client-final-message.
	final, err := c.frames.readAuthMessage(maxAuthMessageBytes)
	if err != nil {
		return err
	}
	serverFinal, err := x.clientFinal(string(final))
	if err == errSCRAMFailed {
		reason := "wrong password"
		if x.doomed {
			reason = "the user does not exist or has no password"
		}
		c.logf("password authentication failed for user %q: %s", user, reason)
		return types.Errorf("28P01", "password authentication failed for user %q", user)
	}
	if err != nil {
		return err
	}
	return c.sendAuth(&pgproto3.AuthenticationSASLFinal{Data: []byte(serverFinal)})
}

// sendAuth sends an authentication request and flushes: the client answers
// it before sending anything else.
func (c *conn) sendAuth(m pgproto3.BackendMessage) error {
	if err := c.out.send(m); err != nil {
		return err
	}
	return c.out.flush()
}
