package state

import (
	"fmt"
	"syscall"
)

// A state store that runs out of disk cannot recover in place: Pebble
// treats a failed write-ahead-log write as fatal. So commits check the
// free space first and, below a reserve, fail with ErrDiskFull before
// touching the store: the batch is dropped, the last commit stands, and
// the caller retries once space returns.

// DefaultReserveBytes is the free space commits leave on the disk when
// Options leave it unset: room for Pebble's flushes and compactions.
const DefaultReserveBytes = 256 << 20

// ErrDiskFull is a commit refused because the disk is (nearly) full.
var ErrDiskFull = fmt.Errorf("not enough free disk space for the state store")

// spaceGuard checks free space before each commit: a statfs costs far
// less than the commit's fsync.
type spaceGuard struct {
	dir     string
	reserve int64
	free    func(dir string) (int64, error)
}

// allow reports an error when a commit of n bytes would leave less than
// the reserve free.
func (g *spaceGuard) allow(n int64) error {
	if g.reserve < 0 {
		return nil
	}
	free, err := g.free(g.dir)
	if err != nil {
		return nil // cannot tell: let the write itself find out
	}
	if free < g.reserve+n {
		return fmt.Errorf("%w: %d bytes free in %s, %d reserved", ErrDiskFull, free, g.dir, g.reserve)
	}
	return nil
}

// freeBytes is the space an unprivileged writer may use on dir's disk.
func freeBytes(dir string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return int64(st.Bavail) * int64(st.Bsize), nil
}
