package state

import (
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"

	"github.com/cockroachdb/pebble"
)

// A clean stop records the MANIFEST Pebble left behind (its name, size
// and CRC-32C) in dir + ".clean", and the next start checks the MANIFEST
// against that record before Pebble reads it. Pebble takes a MANIFEST
// record that fails its checksum for the torn end of the file a crash
// leaves, and stops reading there: damage in the middle of a MANIFEST
// would otherwise roll the state back, silently, to an older version.
// After a crash there is no record and nothing to compare with; a torn
// tail then is the crash's own.

func cleanStopPath(dir string) string { return dir + ".clean" }

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// recordCleanStop writes the record, after Pebble has closed.
func recordCleanStop(po *pebble.Options, dir string) error {
	cur, err := readWholeFile(po, filepath.Join(dir, "CURRENT"))
	if err != nil {
		return fmt.Errorf("recording a clean stop: %w", err)
	}
	name := strings.TrimSpace(string(cur))
	b, err := readWholeFile(po, filepath.Join(dir, name))
	if err != nil {
		return fmt.Errorf("recording a clean stop: %w", err)
	}
	rec := fmt.Sprintf("%s %d %08x\n", name, len(b), crc32.Checksum(b, castagnoli))
	return writeWholeFile(po, cleanStopPath(dir), []byte(rec))
}

// checkCleanStop compares the MANIFEST with the last clean stop's record,
// if there is one, and then removes the record: from here on Pebble
// changes the MANIFEST.
func checkCleanStop(po *pebble.Options, dir string) error {
	rec, err := readWholeFile(po, cleanStopPath(dir))
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return err
	}
	var name string
	var size int
	var sum uint32
	if _, err := fmt.Sscanf(string(rec), "%s %d %x", &name, &size, &sum); err != nil {
		return fmt.Errorf("the clean-stop record %s is damaged: %q", cleanStopPath(dir), rec)
	}
	b, err := readWholeFile(po, filepath.Join(dir, name))
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("%s is missing: it was the current MANIFEST when the server last stopped cleanly", name)
	case err != nil:
		return err
	case len(b) != size || crc32.Checksum(b, castagnoli) != sum:
		return fmt.Errorf("%s is corrupt: it changed since the server last stopped cleanly (%d bytes then, %d now)", name, size, len(b))
	}
	return po.FS.Remove(cleanStopPath(dir))
}
