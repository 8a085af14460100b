package main

import "fmt"

// benchLog measures the durable log; see storage/log.
func benchLog(args []string) error {
	return fmt.Errorf("bench log: not implemented yet")
}
