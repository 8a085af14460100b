package pgwire

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgproto3/v2"
	"github.com/jackc/pgx/v5"
)

// testCert is a self-signed certificate for localhost and 127.0.0.1.
type testCert struct {
	cert    tls.Certificate
	pool    *x509.CertPool
	certPEM []byte
}

func newTestCert(t testing.TB) testCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "weir test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return testCert{
		cert:    tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key},
		pool:    pool,
		certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
	}
}

func (c testCert) serverConfig() *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{c.cert}}
}

func TestTLSPgx(t *testing.T) {
	cert := newTestCert(t)
	ts := startServer(t, Config{TLS: cert.serverConfig()})
	for _, mode := range []string{"require", "verify-full", "disable"} {
		cfg, err := pgx.ParseConfig(fmt.Sprintf("postgres://alice@%s/weir?sslmode=%s", ts.Addr(), mode))
		if err != nil {
			t.Fatal(err)
		}
		if mode == "verify-full" {
			cfg.TLSConfig = &tls.Config{RootCAs: cert.pool, ServerName: "127.0.0.1"}
		}
		conn := connectPgx(t, ts, cfg)
		_, isTLS := conn.PgConn().Conn().(*tls.Conn)
		if isTLS != (mode != "disable") {
			t.Errorf("sslmode=%s: TLS %v", mode, isTLS)
		}
		var v int32
		if err := conn.QueryRow(testCtx(t), "select $1::int4", 42).Scan(&v); err != nil || v != 42 {
			t.Errorf("sslmode=%s: %d, %v", mode, v, err)
		}
	}
}

// TestTLSNotConfigured: without Config.TLS, a client that insists on TLS
// is turned away by its own driver.
func TestTLSNotConfigured(t *testing.T) {
	ts := startServer(t, Config{})
	cfg, err := pgx.ParseConfig(fmt.Sprintf("postgres://alice@%s/weir?sslmode=require", ts.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pgx.ConnectConfig(testCtx(t), cfg); err == nil || !strings.Contains(err.Error(), "server refused TLS") {
		t.Errorf("sslmode=require without TLS: %v", err)
	}
}

// TestTLSUnencryptedData: bytes sent in the clear after SSLRequest, before
// the handshake, are refused, as PostgreSQL refuses them.
func TestTLSUnencryptedData(t *testing.T) {
	cert := newTestCert(t)
	ts := startServer(t, Config{TLS: cert.serverConfig()})
	c := dialRaw(t, ts.Addr())
	ssl, err := (&pgproto3.SSLRequest{}).Encode(nil)
	if err != nil {
		t.Fatal(err)
	}
	c.write(append(ssl, startupPacket(3<<16, "user", "alice")...))
	if b := c.readByte(); b != "S" {
		t.Fatalf("SSLRequest answered %q", b)
	}
	want := `ErrorResponse FATAL/FATAL 08P01 "received unencrypted data after SSL request"` + "\nEOF"
	if got := c.untilReady(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// TestTLSHandshakeFailure: a client that does not speak TLS after 'S' costs
// its connection only.
func TestTLSHandshakeFailure(t *testing.T) {
	cert := newTestCert(t)
	ts := startServer(t, Config{TLS: cert.serverConfig()})
	c := dialRaw(t, ts.Addr())
	c.send(&pgproto3.SSLRequest{})
	if b := c.readByte(); b != "S" {
		t.Fatalf("SSLRequest answered %q", b)
	}
	c.write(startupPacket(3<<16, "user", "alice"))
	if got := c.untilReady(); !strings.HasSuffix(got, "EOF") {
		t.Errorf("after a failed handshake: %s", got)
	}
	conn := connectPgx(t, ts, nil)
	selectOne(t, conn)
}

func TestListenConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{Auth: "md5"}, `unknown authentication method "md5"`},
		{Config{Auth: AuthSCRAM}, "needs Config.Users"},
		{Config{TLS: &tls.Config{}}, "has no certificate"},
	} {
		tc.cfg.Addr = "127.0.0.1:0"
		s, err := Listen(tc.cfg, newFakeEngine())
		if err == nil {
			s.ln.Close()
			t.Errorf("%+v: accepted", tc.cfg)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.cfg, err, tc.want)
		}
	}
}

// TestPsqlTLS connects psql (libpq) with sslmode=require and checks that
// it reports TLS.
func TestPsqlTLS(t *testing.T) {
	const psql = "/usr/bin/psql"
	if _, err := os.Stat(psql); err != nil {
		t.Skip("no psql")
	}
	cert := newTestCert(t)
	ts := startServer(t, Config{TLS: cert.serverConfig()})
	root := filepath.Join(t.TempDir(), "root.crt")
	if err := os.WriteFile(root, cert.certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	host, port, _ := strings.Cut(ts.Addr().String(), ":")
	cmd := exec.CommandContext(testCtx(t), psql, "-X", "-h", host, "-p", port, "-U", "alice", "-d", "weir", "-c", `\conninfo`)
	cmd.Env = append(os.Environ(), "PGCONNECT_TIMEOUT=10", "PGSSLMODE=verify-full", "PGSSLROOTCERT="+root)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("psql: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "SSL connection (protocol: TLSv1.3") {
		t.Errorf("psql over TLS printed\n%s", out)
	}
}
