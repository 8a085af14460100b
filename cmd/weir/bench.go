package main

import "fmt"

// bench dispatches `weir bench <what>`.
func bench(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("bench: say what to measure (log, nexmark)")
	}
	switch args[0] {
	case "log":
		return benchLog(args[1:])
	case "nexmark":
		return benchNexmark(args[1:])
	}
	return fmt.Errorf("bench: unknown benchmark %q (try: log, nexmark)", args[0])
}
