package main

import (
	"context"
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
	if err := fs.Parse(args); err != nil {
		return err
	}
	logger := log.New(os.Stderr, "", log.LstdFlags)
	eng, err := engine.Open(engine.Config{DataDir: *dataDir, Logf: logger.Printf})
	if err != nil {
		return err
	}
	srv, err := pgwire.Listen(pgwire.Config{Addr: *listen, Logf: logger.Printf}, eng)
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
