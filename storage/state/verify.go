package state

import (
	"encoding/json"
	"fmt"
	"sync"

	"github.com/cockroachdb/errors/oserror"
	"github.com/cockroachdb/pebble"
	"github.com/cockroachdb/pebble/sstable"
)

// Table files are immutable once written, so a start verifies only the
// tables it has not verified before in the same form: their block
// checksums are read in full, and each table that passes is recorded (its
// number, size and modification time) in dir + ".verified". A table whose
// size or time changed since — damaged or replaced on disk — is verified
// again. Damage that leaves both unchanged (bit rot) shows at read time
// instead: Pebble checks a block's checksum whenever it reads it, so a
// read fails (XX001) rather than return wrong data.

// verifiedTable identifies one verified table file.
type verifiedTable struct {
	Num   uint64 `json:"num"`
	Size  int64  `json:"size"`
	MTime int64  `json:"mtime_ns"`
}

func verifiedPath(dir string) string { return dir + ".verified" }

// verifyTables checks the block checksums of the live table files not
// verified before, two at a time, and records them.
func verifyTables(db *pebble.DB, dir string, po *pebble.Options) error {
	levels, err := db.SSTables()
	if err != nil {
		return err
	}
	known := map[verifiedTable]bool{}
	if b, err := readWholeFile(po, verifiedPath(dir)); err == nil {
		var list []verifiedTable
		if json.Unmarshal(b, &list) == nil {
			for _, v := range list {
				known[v] = true
			}
		}
	}
	var all, todo []verifiedTable
	for _, level := range levels {
		for _, t := range level {
			st, err := po.FS.Stat(po.FS.PathJoin(dir, tableName(uint64(t.FileNum))))
			if err != nil {
				if !live(db, uint64(t.FileNum)) {
					continue // a compaction replaced it meanwhile
				}
				return fmt.Errorf("table %06d: %w", t.FileNum, err)
			}
			v := verifiedTable{Num: uint64(t.FileNum), Size: st.Size(), MTime: st.ModTime().UnixNano()}
			all = append(all, v)
			if !known[v] {
				todo = append(todo, v)
			}
		}
	}
	type result struct {
		num uint64
		err error
	}
	errs := make(chan result, len(todo))
	work := make(chan uint64)
	var wg sync.WaitGroup
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for num := range work {
				errs <- result{num, verifyTable(po, dir, num)}
			}
		}()
	}
	for _, v := range todo {
		work <- v.Num
	}
	close(work)
	wg.Wait()
	close(errs)
	for r := range errs {
		// A table a compaction removed while it was being verified is
		// not damage; a checksum that fails is, even if the table is gone
		// by now.
		if r.err != nil && (!oserror.IsNotExist(r.err) || live(db, r.num)) {
			return r.err
		}
	}
	if len(todo) == 0 && len(all) == len(known) {
		return nil
	}
	// Losing this record only costs a longer start.
	b, _ := json.Marshal(all)
	_ = writeWholeFile(po, verifiedPath(dir), b)
	return nil
}

// live reports whether table num is still part of the store: the store
// is open while it is verified, and a compaction may replace a table
// between listing and reading it.
func live(db *pebble.DB, num uint64) bool {
	levels, err := db.SSTables()
	if err != nil {
		return true
	}
	for _, level := range levels {
		for _, t := range level {
			if uint64(t.FileNum) == num {
				return true
			}
		}
	}
	return false
}

func tableName(num uint64) string { return fmt.Sprintf("%06d.sst", num) }

func verifyTable(po *pebble.Options, dir string, num uint64) error {
	name := fmt.Sprintf("%06d", num)
	f, err := po.FS.Open(po.FS.PathJoin(dir, tableName(num)))
	if err != nil {
		return fmt.Errorf("table %s: %w", name, err)
	}
	readable, err := sstable.NewSimpleReadable(f)
	if err != nil {
		f.Close()
		return fmt.Errorf("table %s: %w", name, err)
	}
	r, err := sstable.NewReader(readable, po.MakeReaderOptions())
	if err != nil {
		readable.Close()
		return fmt.Errorf("table %s: %w", name, err)
	}
	defer r.Close()
	if err := r.ValidateBlockChecksums(); err != nil {
		return fmt.Errorf("table %s: %w", name, err)
	}
	return nil
}

func readWholeFile(po *pebble.Options, path string) ([]byte, error) {
	f, err := po.FS.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	b := make([]byte, st.Size())
	_, err = f.ReadAt(b, 0)
	return b, err
}

// writeWholeFile replaces path's contents atomically.
func writeWholeFile(po *pebble.Options, path string, b []byte) error {
	tmp := path + ".tmp"
	f, err := po.FS.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return po.FS.Rename(tmp, path)
}
