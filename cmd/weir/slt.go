package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/weir-db/weir/sqllogictest"
)

// slt runs sqllogictest files, each on a fresh temporary engine, or
// against a running server with --addr.
func slt(args []string) error {
	fs := flag.NewFlagSet("slt", flag.ContinueOnError)
	addr := fs.String("addr", "", "run against a PostgreSQL-wire server at HOST:PORT (or a postgres:// URL) instead of in-process")
	timeout := fs.Duration("timeout", 30*time.Second, "per-record timeout")
	verbose := fs.Bool("v", false, "report every record")
	if err := fs.Parse(args); err != nil {
		return err
	}
	files := fs.Args()
	if len(files) == 0 {
		return fmt.Errorf("slt: no files given")
	}
	ctx := context.Background()
	opts := sqllogictest.Options{EngineName: "weir", QueryTimeout: *timeout, Out: os.Stdout, Verbose: *verbose}
	var total sqllogictest.Result
	for _, f := range files {
		var res sqllogictest.Result
		var err error
		if *addr != "" {
			url := *addr
			if !strings.Contains(url, "://") {
				url = "postgres://weir@" + url + "/weir?sslmode=disable"
			}
			res, err = sqllogictest.RunFile(ctx, sqllogictest.NewPGOpener(url), f, opts)
		} else {
			te, terr := sqllogictest.NewTempEngine()
			if terr != nil {
				return terr
			}
			res, err = sqllogictest.RunFile(ctx, te.Opener(), f, opts)
			te.Close()
		}
		if err != nil && res.Failed == 0 {
			res.Failed = 1
		}
		total.Passed += res.Passed
		total.Failed += res.Failed
		total.Skipped += res.Skipped
	}
	fmt.Println(total.String())
	if total.Failed > 0 {
		return fmt.Errorf("%d failed", total.Failed)
	}
	return nil
}
