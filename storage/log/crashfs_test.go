package log

import (
	"sync"

	"github.com/cockroachdb/pebble/vfs"
)

// crashFS wraps a strict MemFS and simulates a machine crash at its at'th
// mutating operation (file creations, renames, removals and syncs, counted
// from 1): from then on syncs are ignored, so that after
// mem.ResetToSyncedState the file system holds only what was durable
// before that operation. at = 0 never crashes.
type crashFS struct {
	vfs.FS
	mem *vfs.MemFS

	mu      sync.Mutex
	ops, at int
}

func newCrashFS() *crashFS {
	mem := vfs.NewStrictMem()
	return &crashFS{FS: mem, mem: mem}
}

// arm counts operations from now on and crashes at the at'th.
func (c *crashFS) arm(at int) {
	c.mu.Lock()
	c.ops, c.at = 0, at
	c.mu.Unlock()
}

// crashed reports whether the crash happened.
func (c *crashFS) crashed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.at > 0 && c.ops >= c.at
}

// restart ends the crash: what was not durable is lost.
func (c *crashFS) restart() {
	c.mu.Lock()
	c.at = 0
	c.mu.Unlock()
	c.mem.ResetToSyncedState()
	c.mem.SetIgnoreSyncs(false)
}

func (c *crashFS) step() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ops++
	if c.ops == c.at {
		c.mem.SetIgnoreSyncs(true)
	}
}

type crashFile struct {
	vfs.File
	c *crashFS
}

func (f crashFile) Sync() error {
	f.c.step()
	return f.File.Sync()
}

func (c *crashFS) wrap(f vfs.File, err error) (vfs.File, error) {
	if err != nil {
		return nil, err
	}
	return crashFile{f, c}, nil
}

func (c *crashFS) Create(name string) (vfs.File, error) {
	c.step()
	return c.wrap(c.FS.Create(name))
}

func (c *crashFS) OpenReadWrite(name string, opts ...vfs.OpenOption) (vfs.File, error) {
	return c.wrap(c.FS.OpenReadWrite(name, opts...))
}

func (c *crashFS) OpenDir(name string) (vfs.File, error) {
	return c.wrap(c.FS.OpenDir(name))
}

func (c *crashFS) Rename(oldname, newname string) error {
	c.step()
	return c.FS.Rename(oldname, newname)
}

func (c *crashFS) Remove(name string) error {
	c.step()
	return c.FS.Remove(name)
}

func (c *crashFS) RemoveAll(name string) error {
	c.step()
	return c.FS.RemoveAll(name)
}
