package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/weir-db/weir/engine"
	"github.com/weir-db/weir/pgwire"
)

func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	dataDir := fs.String("data-dir", "./weir-data", "directory for the log and state")
	listen := fs.String("pg-listen", "127.0.0.1:5433", "address for PostgreSQL clients")
	auth := fs.String("auth", "trust", "client authentication: trust, or scram (SCRAM-SHA-256 with roles from CREATE USER ... PASSWORD)")
	certFile := fs.String("tls-cert", "", "PEM certificate: serve TLS to clients that ask for it")
	keyFile := fs.String("tls-key", "", "PEM private key of --tls-cert")
	parallelism := fs.Int("parallelism", 0, "parallel tasks per new materialized view (0: one per two cores, at most 16)")
	epochInterval := fs.Duration("epoch-interval", 10*time.Millisecond, "least time between a view's epochs (0: start one as soon as input arrives)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	logger := log.New(os.Stderr, "", log.LstdFlags)
	eng, err := engine.Open(engine.Config{DataDir: *dataDir, Logf: logger.Printf, Parallelism: *parallelism, EpochInterval: *epochInterval})
	if err != nil {
		return err
	}
	cfg := pgwire.Config{Addr: *listen, Logf: logger.Printf}
	switch *auth {
	case "trust":
	case "scram", "scram-sha-256":
		cfg.Auth, cfg.Users = pgwire.AuthSCRAM, eng
	default:
		eng.Close()
		return fmt.Errorf("--auth %q: use trust or scram", *auth)
	}
	if (*certFile == "") != (*keyFile == "") {
		eng.Close()
		return fmt.Errorf("--tls-cert and --tls-key go together")
	}
	if *certFile != "" {
		cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
		if err != nil {
			eng.Close()
			return fmt.Errorf("loading TLS certificate: %w", err)
		}
		cfg.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	srv, err := pgwire.Listen(cfg, eng)
	if err != nil {
		eng.Close()
		return err
	}
	logger.Printf("weir listening for PostgreSQL clients on %s (data in %s)", srv.Addr(), *dataDir)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve() }()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	select {
	case s := <-sigs:
		logger.Printf("received %s, shutting down", s)
	case err := <-errc:
		if err != nil {
			eng.Close()
			return fmt.Errorf("serving: %w", err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		logger.Printf("shutdown: %v", err)
	}
	if err := eng.Close(); err != nil {
		return fmt.Errorf("closing: %w", err)
	}
	logger.Printf("stopped")
	return nil
}
