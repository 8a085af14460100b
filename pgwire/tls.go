package pgwire

import (
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"hash"
)

// startTLS answers an SSLRequest with 'S' and runs the TLS handshake; from
// then on the connection speaks through TLS. (Without Config.TLS the
// request is declined with 'N' by the caller.)
func (c *conn) startTLS() error {
	if err := c.out.sendByte('S'); err != nil {
		return err
	}
	if err := c.out.flush(); err != nil {
		return err
	}
	// Bytes sent after SSLRequest but before the handshake were sent in
	// the clear, where anyone could have put them (CVE-2021-23222):
	// PostgreSQL refuses them.
	if c.frames.buffered() > 0 {
		return protocolViolation("received unencrypted data after SSL request")
	}
	tc := tls.Server(c.nc, c.tlsConfig())
	if err := tc.Handshake(); err != nil {
		return fmt.Errorf("TLS handshake: %w", err)
	}
	c.tls = tc
	c.setStream(tc)
	return nil
}

// tlsConfig is Config.TLS for this connection, noting which certificate the
// handshake presents: SCRAM channel binding needs its hash, and Go's TLS
// server does not report it. The certificate is chosen as crypto/tls
// chooses it.
func (c *conn) tlsConfig() *tls.Config {
	base := c.srv.cfg.TLS
	if base.GetConfigForClient != nil {
		return base // the choice is out of sight: no channel binding
	}
	cfg := base.Clone()
	certs, get := base.Certificates, base.GetCertificate
	cfg.Certificates = nil
	cfg.GetCertificate = func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
		cert, err := chooseCertificate(hello, certs, get)
		if err != nil {
			return nil, err
		}
		c.tlsCert = cert
		return cert, nil
	}
	return cfg
}

// chooseCertificate is crypto/tls's choice: GetCertificate first when set
// and either there are no certificates or the client named a server; then
// the only certificate, or the first one the client supports, or the
// first.
func chooseCertificate(hello *tls.ClientHelloInfo, certs []tls.Certificate,
	get func(*tls.ClientHelloInfo) (*tls.Certificate, error)) (*tls.Certificate, error) {
	if get != nil && (len(certs) == 0 || hello.ServerName != "") {
		cert, err := get(hello)
		if cert != nil || err != nil {
			return cert, err
		}
	}
	switch len(certs) {
	case 0:
		return nil, errors.New("no TLS certificate configured")
	case 1:
		return &certs[0], nil
	}
	for i := range certs {
		if hello.SupportsCertificate(&certs[i]) == nil {
			return &certs[i], nil
		}
	}
	return &certs[0], nil
}

// channelBinding is the tls-server-end-point channel binding data of the
// connection (RFC 5929: the hash of the server's certificate, with the hash
// of its signature algorithm, SHA-256 for MD5 and SHA-1), or nil without
// TLS or when it cannot be had.
func (c *conn) channelBinding() []byte {
	if c.tls == nil || c.tlsCert == nil || len(c.tlsCert.Certificate) == 0 {
		return nil
	}
	leaf := c.tlsCert.Leaf
	if leaf == nil {
		var err error
		if leaf, err = x509.ParseCertificate(c.tlsCert.Certificate[0]); err != nil {
			return nil
		}
	}
	var h hash.Hash
	switch leaf.SignatureAlgorithm {
	case x509.MD5WithRSA, x509.SHA1WithRSA, x509.ECDSAWithSHA1, x509.DSAWithSHA1,
		x509.SHA256WithRSA, x509.SHA256WithRSAPSS, x509.ECDSAWithSHA256, x509.DSAWithSHA256:
		h = sha256.New()
	case x509.SHA384WithRSA, x509.SHA384WithRSAPSS, x509.ECDSAWithSHA384:
		h = sha512.New384()
	case x509.SHA512WithRSA, x509.SHA512WithRSAPSS, x509.ECDSAWithSHA512:
		h = sha512.New()
	default:
		return nil // Ed25519 and others: RFC 5929 defines no binding
	}
	h.Write(leaf.Raw)
	return h.Sum(nil)
}
