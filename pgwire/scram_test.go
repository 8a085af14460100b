package pgwire

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/weir-db/weir/types"
)

// TestSCRAMRFC7677 replays the exchange of RFC 7677, section 3.
func TestSCRAMRFC7677(t *testing.T) {
	salt, _ := base64.StdEncoding.DecodeString("W22ZaJ0SNY7soEsUEjb6gQ==")
	x := &scramExchange{
		secret:      newSCRAMSecret("pencil", salt, 4096),
		serverNonce: func() string { return "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0" },
	}
	first, err := x.clientFirst("n,,n=user,r=rOprNGfwEbeRWgbNEkqO")
	if err != nil {
		t.Fatal(err)
	}
	if want := "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"; first != want {
		t.Fatalf("server-first %q, want %q", first, want)
	}
	final, err := x.clientFinal("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0," +
		"p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
	if err != nil {
		t.Fatal(err)
	}
	if want := "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="; final != want {
		t.Fatalf("server-final %q, want %q", final, want)
	}
}

// TestSCRAMSecretPostgres: verifiers PostgreSQL 15 stored for
// CREATE ROLE ... PASSWORD, parsed, recomputed from the password (the
// second goes through SASLprep: "ﬁ" is NFKC "fi") and printed back.
func TestSCRAMSecretPostgres(t *testing.T) {
	for _, tc := range []struct{ password, stored string }{
		{"pencil", "SCRAM-SHA-256$4096:d01jBFQuS6p33qwgdMW19Q==$hhbKH5Nl49e1r7+hnBzpzY/sFj8yvD++zP9dfIv/Rtg=:2WjdNEqE81dAgH6smxcm4iPB6LSJghrm7vSnaiuUFWA="},
		{"pässwörd ﬁ", "SCRAM-SHA-256$4096:kDRYQ8/Bjx4KrkcjOzCoDQ==$PbUcYY78PazTQ5ZdhBQIINUS1bZ42yKjZoEIfouYxUg=:xwl6+2fMdcojKsUMLpZtS+vc+YrDdWMG9CzzvPFZcWM="},
	} {
		s, err := ParseSCRAMSecret(tc.stored)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.String(); got != tc.stored {
			t.Errorf("printed back as %s", got)
		}
		if got := newSCRAMSecret(tc.password, s.Salt, s.Iterations).String(); got != tc.stored {
			t.Errorf("%q: derived %s, want %s", tc.password, got, tc.stored)
		}
	}
}

func TestNewSCRAMSecret(t *testing.T) {
	a, b := NewSCRAMSecret("pw"), NewSCRAMSecret("pw")
	if a.Iterations != DefaultSCRAMIterations || len(a.Salt) != scramSaltBytes {
		t.Errorf("secret %s", a)
	}
	if string(a.Salt) == string(b.Salt) || a.StoredKey == b.StoredKey {
		t.Error("two secrets share a salt")
	}
	back, err := ParseSCRAMSecret(a.String())
	if err != nil || back.String() != a.String() {
		t.Errorf("round trip: %s, %v", back, err)
	}
}

func TestParseSCRAMSecretErrors(t *testing.T) {
	good := NewSCRAMSecret("x").String()
	for _, s := range []string{
		"",
		"md5abcdef",
		strings.Replace(good, "SCRAM-SHA-256", "SCRAM-SHA-1", 1),
		strings.Replace(good, "$4096:", "$0:", 1),
		strings.Replace(good, "$4096:", "$-1:", 1),
		strings.Replace(good, "$4096:", "$99999999999:", 1),
		strings.Replace(good, "$4096:", "$4096", 1),
		strings.Replace(good, "$4096:", "$4096:!", 1),
		good[:strings.LastIndexByte(good, ':')],
		good + "AAAA",
		strings.Replace(good, "$", "", 2),
	} {
		if _, err := ParseSCRAMSecret(s); err == nil {
			t.Errorf("%q: accepted", s)
		}
	}
}

// TestSCRAMExchangeErrors feeds malformed client messages to the server's
// side of the exchange.
func TestSCRAMExchangeErrors(t *testing.T) {
	secret := newSCRAMSecret("pencil", []byte("salt"), 4096)
	fixed := func() string { return "SERVER" }
	for _, tc := range []struct {
		first string
		plus  bool
		cbind []byte
		want  string
	}{
		{"", false, nil, "08P01 malformed SCRAM message: The message is empty."},
		{"x,,n=,r=abc", false, nil, `08P01 malformed SCRAM message: Unexpected channel-binding flag "x".`},
		{"n,a=bob,n=,r=abc", false, nil, "0A000 client uses authorization identity, but it is not supported"},
		{"n,,m=ext,n=,r=abc", false, nil, "0A000 client requires an unsupported SCRAM extension"},
		{"n,,r=abc", false, nil, `08P01 malformed SCRAM message: Expected attribute "n".`},
		{"n,,n=,x=abc", false, nil, `08P01 malformed SCRAM message: Expected attribute "r".`},
		{"n,,n=,r=a\x01c", false, nil, "08P01 non-printable characters in SCRAM nonce"},
		{"n,n=,r=abc", false, nil, "08P01 malformed SCRAM message: Comma expected after the channel-binding flag."},
		{"p=tls-server-end-point,,n=,r=abc", false, nil,
			"08P01 malformed SCRAM message: The client selected SCRAM-SHA-256 without channel binding, but the SCRAM message includes channel binding data."},
		{"n,,n=,r=abc", true, []byte("h"),
			"08P01 malformed SCRAM message: The client selected SCRAM-SHA-256-PLUS, but the SCRAM message does not include channel binding data."},
		{"p=tls-unique,,n=,r=abc", true, []byte("h"), `08P01 unsupported SCRAM channel-binding type "tls-unique"`},
		{"y,,n=,r=abc", false, []byte("h"), "28000 SCRAM channel binding negotiation error: The client supports SCRAM channel binding but thinks the server does not.  However, this server does support channel binding."},
	} {
		x := &scramExchange{secret: secret, serverNonce: fixed, plus: tc.plus, cbind: tc.cbind}
		_, err := x.clientFirst(tc.first)
		if got := describeErr(err); got != tc.want {
			t.Errorf("%q: %s\nwant %s", tc.first, got, tc.want)
		}
	}

	for _, tc := range []struct {
		final string
		want  string
	}{
		{"r=abcSERVER,p=AAAA", `08P01 malformed SCRAM message: Expected attribute "c".`},
		{"c=eSws,r=abcSERVER,p=AAAA", "08P01 unexpected SCRAM channel-binding attribute in client-final-message"},
		{"c=biws,r=abcSERVEX,p=AAAA", "08P01 invalid SCRAM response: Nonce does not match."},
		{"c=biws,r=abcSERVER", `08P01 malformed SCRAM message: Expected attribute "p".`},
		{"c=biws,r=abcSERVER,p=AAAA", "08P01 malformed SCRAM message: Malformed proof in client-final-message."},
		{"c=biws,r=abcSERVER,p=" + base64.StdEncoding.EncodeToString(make([]byte, 32)), "SCRAM proof does not match"},
	} {
		x := &scramExchange{secret: secret, serverNonce: fixed}
		if _, err := x.clientFirst("n,,n=,r=abc"); err != nil {
			t.Fatal(err)
		}
		_, err := x.clientFinal(tc.final)
		if got := describeErr(err); got != tc.want {
			t.Errorf("%q: %s\nwant %s", tc.final, got, tc.want)
		}
	}

	// With -PLUS, the binding data must be the certificate hash.
	x := &scramExchange{secret: secret, serverNonce: fixed, plus: true, cbind: []byte("hash")}
	if _, err := x.clientFirst("p=tls-server-end-point,,n=,r=abc"); err != nil {
		t.Fatal(err)
	}
	cb := base64.StdEncoding.EncodeToString([]byte("p=tls-server-end-point,,other"))
	_, err := x.clientFinal("c=" + cb + ",r=abcSERVER,p=AAAA")
	if got, want := describeErr(err), "08P01 SCRAM channel binding check failed"; got != want {
		t.Errorf("wrong binding: %s, want %s", got, want)
	}
}

func describeErr(err error) string {
	if err == nil {
		return "<nil>"
	}
	e, ok := err.(*types.Error)
	if !ok {
		return err.Error()
	}
	s := e.Code + " " + e.Message
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// testUsers is a Users of fixed passwords.
type testUsers map[string]SCRAMSecret

func (u testUsers) SCRAMSecret(user string) (SCRAMSecret, bool) {
	s, ok := u[user]
	return s, ok
}

func scramConfig() Config {
	return Config{Auth: AuthSCRAM, Users: testUsers{"alice": NewSCRAMSecret("secret"), "nopw": {}}}
}

func TestSCRAMPgx(t *testing.T) {
	cert := newTestCert(t)
	cfg := scramConfig()
	cfg.TLS = cert.serverConfig()
	ts := startServer(t, cfg)
	dial := func(user, password, params string) (*pgx.Conn, error) {
		c, err := pgx.ParseConfig(fmt.Sprintf("postgres://%s:%s@%s/weir?%s", user, password, ts.Addr(), params))
		if err != nil {
			t.Fatal(err)
		}
		return pgx.ConnectConfig(testCtx(t), c)
	}
	for _, params := range []string{
		"sslmode=disable",
		"sslmode=require&channel_binding=disable",
		"sslmode=require&channel_binding=require", // SCRAM-SHA-256-PLUS
	} {
		conn, err := dial("alice", "secret", params)
		if err != nil {
			t.Fatalf("%s: %v", params, err)
		}
		selectOne(t, conn)
		conn.Close(context.Background())

		for _, user := range []string{"alice", "bob", "nopw"} {
			_, err := dial(user, "wrong", params)
			e := pgError(t, err)
			if e.Code != "28P01" || e.Severity != "FATAL" || e.Message != fmt.Sprintf("password authentication failed for user %q", user) {
				t.Errorf("%s: %s with a wrong password: %+v", params, user, e)
			}
		}
	}
	if !ts.log.contains("password authentication failed", "bob", "does not exist") {
		t.Error("failure not logged")
	}
	// Without TLS, -PLUS is not offered; a client that requires it stops.
	if _, err := dial("alice", "secret", "sslmode=disable&channel_binding=require"); err == nil ||
		!strings.Contains(err.Error(), "SCRAM-SHA-256-PLUS") {
		t.Errorf("channel binding without TLS: %v", err)
	}
}

// TestSCRAMProtocol checks the exchange message by message.
func TestSCRAMProtocol(t *testing.T) {
	ts := startServer(t, scramConfig())
	ts.scramNonce = func() string { return "SERVER" }
	c := dialRaw(t, ts.Addr())
	c.write(startupPacket(3<<16, "user", "alice"))
	if got, want := c.next(), "AuthenticationSASL [SCRAM-SHA-256]"; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	// No initial response: the server asks for it with an empty
	// SASLContinue.
	c.write(saslMessage("SCRAM-SHA-256", -1, ""))
	if got, want := c.next(), `AuthenticationSASLContinue ""`; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	c.write(passwordMessage("n,,n=,r=abc"))
	got := c.next()
	salt := base64.StdEncoding.EncodeToString(ts.cfg.Users.(testUsers)["alice"].Salt)
	if want := fmt.Sprintf(`AuthenticationSASLContinue "r=abcSERVER,s=%s,i=4096"`, salt); got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	c.write(passwordMessage("c=biws,r=abcSERVER,p=" + base64.StdEncoding.EncodeToString(make([]byte, 32))))
	if got, want := c.untilReady(), "ErrorResponse FATAL/FATAL 28P01 \"password authentication failed for user \\\"alice\\\"\"\nEOF"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}

	// An unknown mechanism, and a message that is not a SASL response.
	for _, tc := range []struct {
		msg  []byte
		want string
	}{
		{saslMessage("SCRAM-SHA-256-PLUS", 0, ""), `ErrorResponse FATAL/FATAL 08P01 "client selected an invalid SASL authentication mechanism"`},
		{[]byte("Q\x00\x00\x00\x05\x00"), `ErrorResponse FATAL/FATAL 08P01 "expected SASL response, got message type 81"`},
		{[]byte("p\x00\x01\x00\x05\x00"), `ErrorResponse FATAL/FATAL 08P01 "invalid message length" detail="message of type 'p' declares 65541 bytes; the limit is 65539"`},
	} {
		c := dialRaw(t, ts.Addr())
		c.write(startupPacket(3<<16, "user", "alice"))
		c.next()
		c.write(tc.msg)
		if got := c.untilReady(); got != tc.want+"\nEOF" {
			t.Errorf("got %s, want %s", got, tc.want)
		}
	}

	// A client that leaves at the password prompt (psql does, to ask for
	// one) is not an error worth logging.
	c = dialRaw(t, ts.Addr())
	c.write(startupPacket(3<<16, "user", "alice"))
	c.next()
	c.nc.Close()
	if err := ts.stop(); err != nil {
		t.Fatal(err)
	}
	if ts.log.contains("EOF") || ts.log.contains("reading from client") {
		t.Error("a client leaving during authentication was logged")
	}
}

func saslMessage(mech string, n int32, data string) []byte {
	b := []byte{'p', 0, 0, 0, 0}
	b = append(b, mech...)
	b = append(b, 0, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	b = append(b, data...)
	return fixLength(b)
}

func passwordMessage(data string) []byte {
	return fixLength(append([]byte{'p', 0, 0, 0, 0}, data...))
}

func fixLength(b []byte) []byte {
	n := len(b) - 1
	b[1], b[2], b[3], b[4] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
	return b
}

// TestPsqlSCRAM logs in with psql (libpq), which uses SCRAM-SHA-256-PLUS
// over TLS, and without TLS.
func TestPsqlSCRAM(t *testing.T) {
	const psql = "/usr/bin/psql"
	if _, err := os.Stat(psql); err != nil {
		t.Skip("no psql")
	}
	cert := newTestCert(t)
	cfg := scramConfig()
	cfg.TLS = cert.serverConfig()
	ts := startServer(t, cfg)
	root := filepath.Join(t.TempDir(), "root.crt")
	if err := os.WriteFile(root, cert.certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	host, port, _ := strings.Cut(ts.Addr().String(), ":")
	run := func(password string, env ...string) (string, error) {
		cmd := exec.CommandContext(testCtx(t), psql, "-X", "-w", "-h", host, "-p", port, "-U", "alice", "-d", "weir", "-c", "select user")
		cmd.Env = append(os.Environ(), append([]string{"PGCONNECT_TIMEOUT=10", "PGPASSWORD=" + password, "PGSSLROOTCERT=" + root}, env...)...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	for _, env := range [][]string{
		{"PGSSLMODE=disable"},
		{"PGSSLMODE=verify-full", "PGCHANNELBINDING=require"},
	} {
		out, err := run("secret", env...)
		if err != nil || !strings.Contains(out, "alice") {
			t.Errorf("%v: %v\n%s", env, err, out)
		}
		out, err = run("wrong", env...)
		if err == nil || !strings.Contains(out, `FATAL:  password authentication failed for user "alice"`) {
			t.Errorf("%v: wrong password: %v\n%s", env, err, out)
		}
	}
}
