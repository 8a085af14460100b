// Command weir is the Weir server and its tools.
//
//	weir                          serve with defaults (./weir-data, 127.0.0.1:5433)
//	weir serve [--data-dir DIR] [--pg-listen HOST:PORT]
//	weir slt [--addr HOST:PORT] FILE...
//	weir bench log [flags]
package main

import (
	"fmt"
	"os"
)

func main() {
	args := os.Args[1:]
	cmd := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "serve":
		err = serve(args)
	case "slt":
		err = slt(args)
	case "bench":
		err = bench(args)
	case "help":
		fmt.Println("usage: weir [serve [--data-dir DIR] [--pg-listen HOST:PORT]] | slt [--addr HOST:PORT] FILE... | bench log [flags]")
		return
	default:
		err = fmt.Errorf("unknown command %q (try: serve, slt)", cmd)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "weir: %v\n", err)
		os.Exit(1)
	}
}
