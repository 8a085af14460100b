package pgwire

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"net"
	"sync"
	"time"
)

// DefaultMaxMessageBytes is Config.MaxMessageBytes when left zero.
const DefaultMaxMessageBytes = 64 << 20

// Config configures a Server.
type Config struct {
	// Addr is the TCP address to listen on, e.g. "127.0.0.1:6875"; port 0
	// picks a free one (see Server.Addr).
	Addr string
	// Logf receives connection-level events: protocol violations, panics
	// with their stacks, internal errors. Defaults to log.Printf. It is
	// called from many goroutines.
	Logf func(format string, args ...any)
	// MaxMessageBytes bounds a frontend message, counting its length word
	// but not its type byte; a longer message ends the connection with
	// 08P01. Default DefaultMaxMessageBytes.
	MaxMessageBytes int
	// MaxPortalBytes bounds the rows a portal holds, encoded, for a client
	// that fetches a result in parts (Execute with a row limit; see
	// Preparer.ExecutePrepared); past it, the Execute fails with 54000.
	// Default DefaultMaxPortalBytes.
	MaxPortalBytes int
	// TLS, when set, is offered to clients that ask for it (SSLRequest);
	// nil declines. Clients that do not ask are served in the clear.
	TLS *tls.Config
	// Auth is how clients authenticate; AuthTrust when empty.
	Auth AuthMethod
	// Users holds the password verifiers; required by AuthSCRAM.
	Users Users
}

// DefaultMaxPortalBytes is Config.MaxPortalBytes when left zero.
const DefaultMaxPortalBytes = 256 << 20

// check rejects a configuration the server cannot run with.
func (cfg *Config) check() error {
	switch cfg.Auth {
	case "", AuthTrust:
	case AuthSCRAM:
		if cfg.Users == nil {
			return fmt.Errorf("pgwire: authentication %q needs Config.Users", cfg.Auth)
		}
	default:
		return fmt.Errorf("pgwire: unknown authentication method %q (want %q or %q)", cfg.Auth, AuthTrust, AuthSCRAM)
	}
	if cfg.TLS != nil && len(cfg.TLS.Certificates) == 0 && cfg.TLS.GetCertificate == nil && cfg.TLS.GetConfigForClient == nil {
		return errors.New("pgwire: Config.TLS has no certificate")
	}
	return nil
}

// Server accepts PostgreSQL connections and serves each with a Session from
// an Engine, one goroutine per connection.
type Server struct {
	cfg Config
	eng Engine
	ln  net.Listener
	// ctx is the parent of every Connect and Execute context; Shutdown
	// cancels it.
	ctx    context.Context
	cancel context.CancelFunc
	// done is closed by Shutdown, waking Serve from an accept backoff.
	done chan struct{}
	// mockKey derives the made-up SCRAM salts of unknown users.
	mockKey []byte
	// scramNonce makes the server's part of SCRAM nonces; tests fix it.
	scramNonce func() string
	// wg counts connection goroutines.
	wg sync.WaitGroup

	mu struct {
		sync.Mutex
		shuttingDown bool
		// conns holds every open connection by pid, for cancel requests and
		// Shutdown.
		conns   map[uint32]*conn
		lastPID uint32
	}
}

// Listen binds cfg.Addr and returns a Server ready to Serve.
func Listen(cfg Config, eng Engine) (*Server, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("pgwire: listening on %s: %w", cfg.Addr, err)
	}
	s := newServer(cfg, eng)
	s.ln = ln
	return s, nil
}

// newServer makes a Server without a listener; tests feed it connections
// directly.
func newServer(cfg Config, eng Engine) *Server {
	if cfg.Logf == nil {
		cfg.Logf = log.Printf
	}
	if cfg.MaxMessageBytes <= 0 {
		cfg.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if cfg.MaxPortalBytes <= 0 {
		cfg.MaxPortalBytes = DefaultMaxPortalBytes
	}
	if cfg.Auth == "" {
		cfg.Auth = AuthTrust
	}
	s := &Server{cfg: cfg, eng: eng, done: make(chan struct{}), scramNonce: randomNonce}
	s.mockKey = make([]byte, 32)
	_, _ = rand.Read(s.mockKey) // crypto/rand.Read never fails
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.mu.conns = map[uint32]*conn{}
	return s
}

func (s *Server) logf(format string, args ...any) { s.cfg.Logf(format, args...) }

// Addr is the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Serve accepts connections until Shutdown, then returns nil. It returns an
// error only if the listener fails for another reason. Call it once.
func (s *Server) Serve() error {
	const maxBackoff = time.Second
	var backoff time.Duration
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			if s.shuttingDown() {
				return nil
			}
			if errors.Is(err, net.ErrClosed) {
				return fmt.Errorf("pgwire: accepting connections on %s: %w", s.ln.Addr(), err)
			}
			// Running out of file descriptors and the like pass; back off
			// rather than spin, as net/http does.
			backoff = min(max(2*backoff, 5*time.Millisecond), maxBackoff)
			s.logf("pgwire: accepting connections on %s: %v; retrying in %v", s.ln.Addr(), err, backoff)
			t := time.NewTimer(backoff)
			select {
			case <-t.C:
			case <-s.done:
				t.Stop()
			}
			continue
		}
		backoff = 0
		s.serveConn(nc)
	}
}

// serveConn registers nc and starts its goroutine.
func (s *Server) serveConn(nc net.Conn) {
	s.mu.Lock()
	if s.mu.shuttingDown {
		s.mu.Unlock()
		nc.Close()
		return
	}
	// Pids are sequential and unique among open connections; the random
	// secret is what protects cancellation.
	const maxPID = 1<<31 - 1 // clients read it as an int32
	pid := s.mu.lastPID
	for {
		pid = pid%maxPID + 1
		if s.mu.conns[pid] == nil {
			break
		}
	}
	s.mu.lastPID = pid
	c := newConn(s, nc, pid, newSecret())
	s.mu.conns[pid] = c
	s.wg.Add(1)
	s.mu.Unlock()

	go func() {
		defer s.wg.Done()
		defer s.forget(c)
		c.serve()
	}()
}

func (s *Server) forget(c *conn) {
	s.mu.Lock()
	delete(s.mu.conns, c.pid)
	s.mu.Unlock()
}

func (s *Server) shuttingDown() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mu.shuttingDown
}

// Shutdown stops accepting connections, cancels running queries, tells every
// client FATAL 57P01 ("terminating connection due to administrator
// command"), idle ones at once and busy ones once their query returns,
// closes every session and waits for the connection goroutines.
// If ctx ends first, the remaining sockets are closed and ctx's error is
// returned; a Session that ignores its context may still be running.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	first := !s.mu.shuttingDown
	s.mu.shuttingDown = true
	conns := make([]*conn, 0, len(s.mu.conns))
	for _, c := range s.mu.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()

	if first {
		close(s.done)
		if s.ln != nil {
			_ = s.ln.Close()
		}
	}
	// Mark every connection draining before cancelling queries, so that a
	// cancelled query is reported as the shutdown, not as 57014; then
	// interrupt their reads. Each connection's goroutine tells its client
	// itself, so that nothing else ever writes to a connection.
	for _, c := range conns {
		c.markDraining()
	}
	s.cancel()
	for _, c := range conns {
		c.interrupt()
	}

	finished := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(finished)
	}()
	select {
	case <-finished:
		return nil
	case <-ctx.Done():
		s.mu.Lock()
		for _, c := range s.mu.conns {
			c.nc.Close()
		}
		s.mu.Unlock()
		return fmt.Errorf("pgwire: waiting for connections to close: %w", ctx.Err())
	}
}
