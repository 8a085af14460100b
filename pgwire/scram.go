package pgwire

import (
	"bytes"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/weir-db/weir/types"
)

// SCRAM-SHA-256 (RFC 5802, RFC 7677) as PostgreSQL runs it: the server
// stores a verifier derived from the password, never the password, and the
// client proves it knows the password without sending it. With TLS, the
// -PLUS variant also binds the exchange to the server's certificate
// (tls-server-end-point, RFC 5929), so that a man in the middle holding
// another certificate cannot relay it.
//
//	client-first  gs2-header n=,r=<client nonce>
//	server-first  r=<client nonce><server nonce>,s=<salt>,i=<iterations>
//	client-final  c=<base64 gs2-header [+ certificate hash]>,r=<nonce>,p=<proof>
//	server-final  v=<server signature>
//
//	SaltedPassword  = PBKDF2-HMAC-SHA-256(password, salt, iterations)
//	ClientKey       = HMAC(SaltedPassword, "Client Key")
//	StoredKey       = SHA-256(ClientKey)
//	ServerKey       = HMAC(SaltedPassword, "Server Key")
//	AuthMessage     = client-first-bare "," server-first "," client-final-without-proof
//	ClientProof     = ClientKey XOR HMAC(StoredKey, AuthMessage)
//	ServerSignature = HMAC(ServerKey, AuthMessage)
//
// The server checks SHA-256(ClientProof XOR HMAC(StoredKey, AuthMessage))
// against StoredKey.

// SASL mechanism names.
const (
	scramSHA256     = "SCRAM-SHA-256"
	scramSHA256Plus = "SCRAM-SHA-256-PLUS"
)

const (
	// DefaultSCRAMIterations is PostgreSQL's scram_iterations default.
	DefaultSCRAMIterations = 4096
	scramSaltBytes         = 16
	scramNonceBytes        = 18
	scramKeyBytes          = sha256.Size
	// maxSCRAMIterations bounds the iterations of a parsed secret, so that
	// a corrupt one cannot make each login burn minutes of CPU.
	maxSCRAMIterations = 1 << 24
)

// SCRAMSecret is a SCRAM-SHA-256 verifier: what the server stores of a
// password. String and ParseSCRAMSecret convert it to and from
// PostgreSQL's pg_authid.rolpassword form.
type SCRAMSecret struct {
	Iterations int
	Salt       []byte
	StoredKey  [scramKeyBytes]byte
	ServerKey  [scramKeyBytes]byte
}

// NewSCRAMSecret derives a verifier from password, with a random salt and
// DefaultSCRAMIterations iterations, as PostgreSQL's CREATE ROLE ...
// PASSWORD does. The password is normalized with SASLprep first, as clients
// do before hashing.
func NewSCRAMSecret(password string) SCRAMSecret {
	salt := make([]byte, scramSaltBytes)
	_, _ = rand.Read(salt) // crypto/rand.Read never fails
	return newSCRAMSecret(password, salt, DefaultSCRAMIterations)
}

func newSCRAMSecret(password string, salt []byte, iterations int) SCRAMSecret {
	salted, err := pbkdf2.Key(sha256.New, saslPrep(password), salt, iterations, scramKeyBytes)
	if err != nil {
		// pbkdf2.Key fails only in FIPS mode for short keys; 32 bytes is not.
		panic(fmt.Sprintf("pgwire: deriving SCRAM key: %v", err))
	}
	s := SCRAMSecret{Iterations: iterations, Salt: salt}
	clientKey := hmacSHA256(salted, "Client Key")
	s.StoredKey = sha256.Sum256(clientKey)
	copy(s.ServerKey[:], hmacSHA256(salted, "Server Key"))
	return s
}

func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// valid reports whether s can verify a password.
func (s SCRAMSecret) valid() bool {
	return s.Iterations >= 1 && s.Iterations <= maxSCRAMIterations && len(s.Salt) > 0
}

// String is the verifier in PostgreSQL's stored form,
// SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>, base64.
func (s SCRAMSecret) String() string {
	b64 := base64.StdEncoding.EncodeToString
	return fmt.Sprintf("%s$%d:%s$%s:%s", scramSHA256, s.Iterations, b64(s.Salt), b64(s.StoredKey[:]), b64(s.ServerKey[:]))
}

// ParseSCRAMSecret reads a verifier in PostgreSQL's stored form (see
// String).
func ParseSCRAMSecret(text string) (SCRAMSecret, error) {
	var s SCRAMSecret
	bad := func(why string) (SCRAMSecret, error) {
		return SCRAMSecret{}, fmt.Errorf("parsing SCRAM secret: %s", why)
	}
	mech, rest, ok := strings.Cut(text, "$")
	if !ok || mech != scramSHA256 {
		return bad("not a SCRAM-SHA-256 secret")
	}
	params, keys, ok := strings.Cut(rest, "$")
	if !ok {
		return bad("missing keys")
	}
	iter, salt, ok := strings.Cut(params, ":")
	if !ok {
		return bad("missing salt")
	}
	n, err := strconv.Atoi(iter)
	if err != nil || n < 1 || n > maxSCRAMIterations {
		return bad(fmt.Sprintf("invalid iteration count %q", iter))
	}
	s.Iterations = n
	if s.Salt, err = base64.StdEncoding.DecodeString(salt); err != nil || len(s.Salt) == 0 {
		return bad("invalid salt")
	}
	stored, server, ok := strings.Cut(keys, ":")
	if !ok {
		return bad("missing server key")
	}
	for _, k := range []struct {
		text string
		dst  *[scramKeyBytes]byte
	}{{stored, &s.StoredKey}, {server, &s.ServerKey}} {
		b, err := base64.StdEncoding.DecodeString(k.text)
		if err != nil || len(b) != scramKeyBytes {
			return bad("invalid key")
		}
		copy(k.dst[:], b)
	}
	return s, nil
}

// scramExchange is the server's side of one SCRAM authentication: it reads
// client-first and returns server-first, then reads client-final and
// returns server-final or fails.
type scramExchange struct {
	secret SCRAMSecret
	// doomed is set when the user has no verifier: the exchange goes on,
	// on a made-up salt, so that the client cannot tell, and fails.
	doomed bool
	// cbind is the channel binding data (the server certificate's hash)
	// when -PLUS is offered; nil when only SCRAM-SHA-256 is.
	cbind []byte
	// plus is set when the client chose SCRAM-SHA-256-PLUS.
	plus bool
	// serverNonce makes the server's part of the nonce; tests fix it.
	serverNonce func() string

	gs2Header       string
	clientFirstBare string
	serverFirst     string
	nonce           string
}

func randomNonce() string {
	b := make([]byte, scramNonceBytes)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

func malformedSCRAM(detail string) error {
	return withDetail(protocolViolation("malformed SCRAM message"), "%s", detail)
}

// errSCRAMFailed is a wrong password (or an unknown user).
var errSCRAMFailed = errors.New("SCRAM proof does not match")

// clientFirst reads client-first-message and returns server-first-message.
func (x *scramExchange) clientFirst(msg string) (string, error) {
	in := msg
	switch {
	case strings.HasPrefix(in, "n,"), strings.HasPrefix(in, "y,"):
		if x.plus {
			return "", malformedSCRAM("The client selected SCRAM-SHA-256-PLUS, but the SCRAM message does not include channel binding data.")
		}
		if in[0] == 'y' && x.cbind != nil {
			return "", withDetail(types.Errorf("28000", "SCRAM channel binding negotiation error"), "%s",
				"The client supports SCRAM channel binding but thinks the server does not.  However, this server does support channel binding.")
		}
		x.gs2Header, in = in[:2], in[2:]
	case strings.HasPrefix(in, "p="):
		if !x.plus {
			return "", malformedSCRAM("The client selected SCRAM-SHA-256 without channel binding, but the SCRAM message includes channel binding data.")
		}
		typ, _, ok := strings.Cut(in[2:], ",")
		if !ok {
			return "", malformedSCRAM("Attribute expected, but found end of string.")
		}
		if typ != "tls-server-end-point" {
			return "", protocolViolation("unsupported SCRAM channel-binding type %q", typ)
		}
		x.gs2Header, in = in[:len("p=")+len(typ)+1], in[len("p=")+len(typ)+1:]
	case in == "":
		return "", malformedSCRAM("The message is empty.")
	default:
		return "", malformedSCRAM(fmt.Sprintf("Unexpected channel-binding flag %q.", in[:1]))
	}
	// The authorization identity, which PostgreSQL does not support.
	if strings.HasPrefix(in, "a=") {
		return "", types.Errorf(types.CodeFeatureNotSupported, "client uses authorization identity, but it is not supported")
	}
	if !strings.HasPrefix(in, ",") {
		return "", malformedSCRAM("Comma expected after the channel-binding flag.")
	}
	x.gs2Header += ","
	in = in[1:]
	x.clientFirstBare = in
	if strings.HasPrefix(in, "m=") {
		return "", types.Errorf(types.CodeFeatureNotSupported, "client requires an unsupported SCRAM extension")
	}
	// The user name is ignored: the startup packet's is the one that
	// counts, as in PostgreSQL.
	if _, in = attribute(in, 'n'); in == "\x00" {
		return "", malformedSCRAM(`Expected attribute "n".`)
	}
	clientNonce, rest := attribute(in, 'r')
	if rest == "\x00" || clientNonce == "" {
		return "", malformedSCRAM(`Expected attribute "r".`)
	}
	for _, c := range []byte(clientNonce) {
		if c < 0x21 || c > 0x7e || c == ',' {
			return "", protocolViolation("non-printable characters in SCRAM nonce")
		}
	}
	// Extensions after the nonce are allowed and ignored.
	x.nonce = clientNonce + x.serverNonce()
	x.serverFirst = fmt.Sprintf("r=%s,s=%s,i=%d", x.nonce, base64.StdEncoding.EncodeToString(x.secret.Salt), x.secret.Iterations)
	return x.serverFirst, nil
}

// attribute reads "<name>=<value>" up to the next comma, returning the
// value and what follows the comma; rest is "\x00" when the attribute is
// not there.
func attribute(in string, name byte) (value, rest string) {
	if len(in) < 2 || in[0] != name || in[1] != '=' {
		return "", "\x00"
	}
	value, rest, _ = strings.Cut(in[2:], ",")
	return value, rest
}

// clientFinal reads client-final-message and returns server-final-message,
// or errSCRAMFailed for a wrong password.
func (x *scramExchange) clientFinal(msg string) (string, error) {
	cb, rest := attribute(msg, 'c')
	if rest == "\x00" {
		return "", malformedSCRAM(`Expected attribute "c".`)
	}
	want := []byte(x.gs2Header)
	if x.plus {
		want = append(want, x.cbind...)
	}
	got, err := base64.StdEncoding.DecodeString(cb)
	if err != nil || !bytes.Equal(got, want) {
		if x.plus {
			return "", protocolViolation("SCRAM channel binding check failed")
		}
		return "", protocolViolation("unexpected SCRAM channel-binding attribute in client-final-message")
	}
	nonce, rest := attribute(rest, 'r')
	if rest == "\x00" {
		return "", malformedSCRAM(`Expected attribute "r".`)
	}
	if nonce != x.nonce {
		return "", withDetail(protocolViolation("invalid SCRAM response"), "Nonce does not match.")
	}
	// Skip extensions up to the proof, which comes last.
	i := strings.LastIndex(msg, ",p=")
	if i < 0 || i < len(msg)-len(rest)-1 {
		return "", malformedSCRAM(`Expected attribute "p".`)
	}
	withoutProof, proofText := msg[:i], msg[i+len(",p="):]
	proof, err := base64.StdEncoding.DecodeString(proofText)
	if err != nil || len(proof) != scramKeyBytes {
		return "", malformedSCRAM("Malformed proof in client-final-message.")
	}
	authMessage := x.clientFirstBare + "," + x.serverFirst + "," + withoutProof
	clientSig := hmacSHA256(x.secret.StoredKey[:], authMessage)
	clientKey := make([]byte, scramKeyBytes)
	for i := range clientKey {
		clientKey[i] = proof[i] ^ clientSig[i]
	}
	stored := sha256.Sum256(clientKey)
	if subtle.ConstantTimeCompare(stored[:], x.secret.StoredKey[:]) != 1 || x.doomed {
		return "", errSCRAMFailed
	}
	serverSig := hmacSHA256(x.secret.ServerKey[:], authMessage)
	return "v=" + base64.StdEncoding.EncodeToString(serverSig), nil
}

// mockSCRAMSecret is the verifier of a user without one: a salt derived
// from the user name and a per-server key, so that it is the same on every
// attempt (as a real one would be) yet reveals nothing.
func mockSCRAMSecret(key []byte, user string) SCRAMSecret {
	salt := hmacSHA256(key, user)[:scramSaltBytes]
	return SCRAMSecret{Iterations: DefaultSCRAMIterations, Salt: salt}
}
