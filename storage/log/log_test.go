package log

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"
	"github.com/cockroachdb/pebble/vfs"
)

// logHarness drives a Log on an in-memory file system for data-driven tests.
type logHarness struct {
	t    testing.TB
	fs   *vfs.MemFS
	opts Options
	l    *Log
	logs []string
}

func newLogHarness(t testing.TB, fs *vfs.MemFS) *logHarness {
	h := &logHarness{t: t, fs: fs}
	h.opts = Options{
		FS:                 fs,
		Dir:                "/data",
		SegmentBytes:       DefaultSegmentBytes,
		IndexIntervalBytes: DefaultIndexIntervalBytes,
		CleanupInterval:    -1, // passes run only when a script asks
		Logf: func(format string, args ...any) {
			h.logs = append(h.logs, fmt.Sprintf(format, args...))
		},
	}
	return h
}

// scanTopicConfig reads the TopicConfig arguments other than partitions.
func scanTopicConfig(t *testing.T, td *datadriven.TestData, cfg *TopicConfig) {
	td.MaybeScanArgs(t, "segment-bytes", &cfg.SegmentBytes)
	td.MaybeScanArgs(t, "retention-ms", &cfg.RetentionMs)
	td.MaybeScanArgs(t, "retention-bytes", &cfg.RetentionBytes)
	td.MaybeScanArgs(t, "tombstone-ms", &cfg.TombstoneRetentionMs)
	td.MaybeScanArgs(t, "compact", &cfg.Compact)
}

func (h *logHarness) open() error {
	l, err := Open(h.opts)
	if err != nil {
		return err
	}
	h.l = l
	return nil
}

func (h *logHarness) close() {
	if h.l != nil {
		if err := h.l.Close(); err != nil {
			h.t.Fatal(err)
		}
		h.l = nil
	}
}

func (h *logHarness) topic(td *datadriven.TestData) (*Topic, int) {
	var name string
	var p int
	td.ScanArgs(h.t, "topic", &name)
	td.MaybeScanArgs(h.t, "p", &p)
	tp, ok := h.l.Topic(name)
	if !ok {
		h.t.Fatalf("%s: no topic %s", td.Pos, name)
	}
	return tp, p
}

func (h *logHarness) partitionDir(td *datadriven.TestData) string {
	var name string
	var p int
	td.ScanArgs(h.t, "topic", &name)
	td.MaybeScanArgs(h.t, "p", &p)
	return h.fs.PathJoin(h.opts.Dir, name, strconv.Itoa(p))
}

// segmentPath names a segment file: segment=N picks the Nth segment (from 0,
// -1 for the last), ext defaults to .log.
func (h *logHarness) segmentPath(td *datadriven.TestData) string {
	dir := h.partitionDir(td)
	seg := -1
	td.MaybeScanArgs(h.t, "segment", &seg)
	ext := logExt
	td.MaybeScanArgs(h.t, "ext", &ext)
	names, err := h.fs.List(dir)
	if err != nil {
		h.t.Fatal(err)
	}
	var logs []string
	for _, n := range names {
		if strings.HasSuffix(n, logExt) {
			logs = append(logs, n)
		}
	}
	sort.Strings(logs)
	if seg < 0 {
		seg += len(logs)
	}
	return h.fs.PathJoin(dir, strings.TrimSuffix(logs[seg], logExt)+ext)
}

func (h *logHarness) run(t *testing.T, td *datadriven.TestData) string {
	h.t = t
	switch td.Cmd {
	case "open":
		td.MaybeScanArgs(t, "segment-bytes", &h.opts.SegmentBytes)
		td.MaybeScanArgs(t, "index-interval", &h.opts.IndexIntervalBytes)
		if err := h.open(); err != nil {
			return "error: " + err.Error()
		}
		return h.flushLogs()

	case "close":
		h.close()
		return ""

	case "reopen":
		h.close()
		if err := h.open(); err != nil {
			return "error: " + err.Error()
		}
		return h.flushLogs()

	case "create-topic":
		var name string
		cfg := TopicConfig{Partitions: 1}
		td.ScanArgs(t, "name", &name)
		td.MaybeScanArgs(t, "partitions", &cfg.Partitions)
		scanTopicConfig(t, td, &cfg)
		if _, err := h.l.CreateTopic(name, cfg); err != nil {
			return "error: " + err.Error()
		}
		return ""

	case "set-config":
		// Changes the arguments given, keeping the rest.
		tp, _ := h.topic(td)
		cfg := tp.Config()
		td.MaybeScanArgs(t, "partitions", &cfg.Partitions)
		scanTopicConfig(t, td, &cfg)
		if err := tp.SetConfig(cfg); err != nil {
			return "error: " + err.Error()
		}
		return ""

	case "enforce-retention", "compact":
		var now int64
		td.ScanArgs(t, "now", &now)
		f := h.l.EnforceRetention
		if td.Cmd == "compact" {
			f = h.l.Compact
		}
		if err := f(time.UnixMilli(now)); err != nil {
			return "error: " + err.Error() + "\n" + h.flushLogs()
		}
		return h.flushLogs()

	case "roll":
		// Seals the active segment, as a roll does, so a pass can reach it.
		tp, p := h.topic(td)
		forceRoll(t, tp, p)
		return ""

	case "commit-offsets":
		// Input lines: topic partition offset.
		var group string
		td.ScanArgs(t, "group", &group)
		offsets := make(map[TopicPartition]int64)
		for _, line := range strings.Split(strings.TrimSpace(td.Input), "\n") {
			var tp TopicPartition
			var off int64
			if _, err := fmt.Sscan(line, &tp.Topic, &tp.Partition, &off); err != nil {
				t.Fatalf("%s: %q: %v", td.Pos, line, err)
			}
			offsets[tp] = off
		}
		if err := h.l.CommitOffsets(group, offsets); err != nil {
			return "error: " + err.Error()
		}
		return ""

	case "fetch-offsets":
		var group string
		td.ScanArgs(t, "group", &group)
		offsets, err := h.l.FetchOffsets(group)
		if err != nil {
			return "error: " + err.Error()
		}
		tps := make([]TopicPartition, 0, len(offsets))
		for tp := range offsets {
			tps = append(tps, tp)
		}
		sortTopicPartitions(tps)
		var sb strings.Builder
		for _, tp := range tps {
			fmt.Fprintf(&sb, "%s/%d: %d\n", tp.Topic, tp.Partition, offsets[tp])
		}
		if len(tps) == 0 {
			sb.WriteString("none\n")
		}
		return sb.String()

	case "drop-topic":
		var name string
		td.ScanArgs(t, "name", &name)
		if err := h.l.DropTopic(name); err != nil {
			return "error: " + err.Error()
		}
		return ""

	case "topics":
		var sb strings.Builder
		for _, name := range h.l.Topics() {
			tp, _ := h.l.Topic(name)
			internal := ""
			if h.l.IsInternal(name) {
				internal = " (internal)"
			}
			fmt.Fprintf(&sb, "%s%s %+v\n", name, internal, tp.Config())
		}
		return sb.String()

	case "append":
		tp, p := h.topic(td)
		recs, err := parseRecords(td.Input)
		if err != nil {
			t.Fatal(err)
		}
		// repeat=N appends the batch N times, each record's key suffixed with
		// the repetition number (unless same-keys), and its timestamp
		// increased by ts-step times it.
		repeat, tsStep := 1, int64(0)
		td.MaybeScanArgs(t, "repeat", &repeat)
		td.MaybeScanArgs(t, "ts-step", &tsStep)
		sameKeys := td.HasArg("same-keys")
		var out []string
		for i := 0; i < repeat; i++ {
			batch := recs
			if repeat > 1 {
				batch = make([]Record, len(recs))
				for j, r := range recs {
					if !sameKeys && r.Key != nil {
						r.Key = append(append([]byte{}, r.Key...), strconv.Itoa(i)...)
					}
					r.Timestamp += int64(i) * tsStep
					batch[j] = r
				}
			}
			first, err := tp.Append(p, batch)
			if err != nil {
				return "error: " + err.Error()
			}
			out = append(out, strconv.FormatInt(first, 10))
		}
		return "first: " + strings.Join(out, " ") + "\n"

	case "read":
		tp, p := h.topic(td)
		var from int64
		maxBytes := 1 << 20
		td.MaybeScanArgs(t, "from", &from)
		td.MaybeScanArgs(t, "max-bytes", &maxBytes)
		var sb strings.Builder
		next, err := tp.Read(p, from, maxBytes, func(off int64, r Record) error {
			fmt.Fprintf(&sb, "%d: %s\n", off, formatRecord(r))
			return nil
		})
		fmt.Fprintf(&sb, "next: %d\n", next)
		if err != nil {
			fmt.Fprintf(&sb, "error: %v\n", err)
			if errors.Is(err, ErrCorrupt) {
				sb.WriteString("(corrupt)\n")
			}
		}
		return sb.String()

	case "offsets":
		tp, p := h.topic(td)
		return fmt.Sprintf("start=%d end=%d size=%d\n", tp.StartOffset(p), tp.EndOffset(p), tp.SizeBytes(p))

	case "offset-for-time":
		tp, p := h.topic(td)
		var sb strings.Builder
		for _, arg := range td.CmdArgs {
			if arg.Key != "ts" {
				continue
			}
			for _, v := range arg.Vals {
				ts, err := strconv.ParseInt(v, 10, 64)
				if err != nil {
					t.Fatal(err)
				}
				off, err := tp.OffsetForTime(p, ts)
				if err != nil {
					fmt.Fprintf(&sb, "%d: error: %v\n", ts, err)
					continue
				}
				fmt.Fprintf(&sb, "%d: %d\n", ts, off)
			}
		}
		return sb.String()

	case "files":
		// Lists the files of a partition with their sizes.
		dir := h.partitionDir(td)
		names, err := h.fs.List(dir)
		if err != nil {
			return "error: " + err.Error()
		}
		sort.Strings(names)
		var sb strings.Builder
		for _, n := range names {
			st, err := h.fs.Stat(h.fs.PathJoin(dir, n))
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&sb, "%s %d\n", n, st.Size())
		}
		return sb.String()

	case "ls":
		names, err := h.fs.List(h.opts.Dir)
		if err != nil {
			return "error: " + err.Error()
		}
		sort.Strings(names)
		return strings.Join(names, "\n") + "\n"

	case "dump-index":
		// Prints a sealed segment's index entries.
		path := h.segmentPath(td)
		b := readFile(t, h.fs, path)
		var sb strings.Builder
		switch {
		case strings.HasSuffix(path, timeIndexExt):
			for i := 0; i+timeEntrySize <= len(b); i += timeEntrySize {
				ts, rel := timeEntry(b[i:])
				fmt.Fprintf(&sb, "ts=%d rel=%d\n", ts, rel)
			}
		default:
			for i := 0; i+offsetEntrySize <= len(b); i += offsetEntrySize {
				rel, pos := offsetEntry(b[i:])
				fmt.Fprintf(&sb, "rel=%d pos=%d\n", rel, pos)
			}
		}
		return sb.String()

	case "write-file":
		// Writes bytes (hex input, or text with text=) at pos of a segment
		// file, or at its end; cut=N first cuts the file to N bytes; remove
		// deletes it. The log must be closed.
		path := h.segmentPath(td)
		if td.HasArg("remove") {
			if err := h.fs.Remove(path); err != nil {
				t.Fatal(err)
			}
			return ""
		}
		b := readFile(t, h.fs, path)
		if td.HasArg("cut") {
			var n int
			td.ScanArgs(t, "cut", &n)
			b = b[:n]
		}
		var data []byte
		if td.HasArg("text") {
			var s string
			td.ScanArgs(t, "text", &s)
			data = []byte(s)
		} else {
			var err error
			if data, err = hex.DecodeString(strings.Join(strings.Fields(td.Input), "")); err != nil {
				t.Fatal(err)
			}
		}
		pos := len(b)
		td.MaybeScanArgs(t, "pos", &pos)
		if pos+len(data) > len(b) {
			b = append(b, make([]byte, pos+len(data)-len(b))...)
		}
		copy(b[pos:], data)
		writeWholeFile(t, h.fs, path, b)
		return ""

	case "flip":
		// Flips the bits of mask (default 0x01) at pos of a segment file.
		path := h.segmentPath(td)
		var pos int
		mask := 1
		td.ScanArgs(t, "pos", &pos)
		td.MaybeScanArgs(t, "mask", &mask)
		b := readFile(t, h.fs, path)
		b[pos] ^= byte(mask)
		writeWholeFile(t, h.fs, path, b)
		return ""

	case "logs":
		return h.flushLogs()
	}
	t.Fatalf("unknown command %q", td.Cmd)
	return ""
}

// flushLogs returns and forgets what the log reported through Logf.
func (h *logHarness) flushLogs() string {
	var sb strings.Builder
	for _, l := range h.logs {
		sb.WriteString(l + "\n")
	}
	h.logs = nil
	return sb.String()
}

func readFile(t testing.TB, fs vfs.FS, path string) []byte {
	f, err := fs.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeWholeFile(t testing.TB, fs vfs.FS, path string, b []byte) {
	f, err := fs.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestLogDataDriven(t *testing.T) {
	datadriven.Walk(t, "testdata/log", func(t *testing.T, path string) {
		h := newLogHarness(t, vfs.NewMem())
		defer h.close()
		datadriven.RunTest(t, path, h.run)
	})
}

// TestDefaultFS runs the log on the operating system's file system: rolls,
// the lock, reopen, and torn-tail truncation through the rename.
func TestDefaultFS(t *testing.T) {
	var logs []string
	opts := Options{
		FS:           vfs.Default,
		Dir:          t.TempDir() + "/log",
		SegmentBytes: 1024,
		Logf:         func(f string, args ...any) { logs = append(logs, fmt.Sprintf(f, args...)) },
	}
	l, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(opts); err == nil {
		t.Fatal("opened a log directory twice")
	}
	tp, err := l.CreateTopic("events", TopicConfig{Partitions: 2})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 50; i++ {
		if _, err := tp.Append(1, []Record{{Key: []byte("k"), Value: []byte(strings.Repeat("x", 50)), Timestamp: int64(i)}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	dir := opts.Dir + "/events/1"
	segs := segmentsOf(t, vfs.Default, dir)
	if len(segs) < 3 {
		t.Fatalf("segments %v, want several", segs)
	}
	last := dir + "/" + segs[len(segs)-1]
	f, err := vfs.Default.OpenReadWrite(last)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := f.Stat()
	if _, err := f.WriteAt([]byte("torn"), st.Size()); err != nil {
		t.Fatal(err)
	}
	_ = f.Close()

	l, err = Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if len(logs) != 1 || !strings.Contains(logs[0], "truncating") {
		t.Fatalf("recovery logged %q", logs)
	}
	if st2, err := vfs.Default.Stat(last); err != nil || st2.Size() != st.Size() {
		t.Fatalf("segment not truncated back to %d bytes: %v, %v", st.Size(), st2, err)
	}
	tp, _ = l.Topic("events")
	if first, err := tp.Append(1, []Record{{Value: []byte("more")}}); err != nil || first != 50 {
		t.Fatalf("append after recovery: %d, %v", first, err)
	}
	offs, recs := readAll(t, tp, 1, 100)
	if len(recs) != 51 || offs[50] != 50 || recs[3].Timestamp != 3 {
		t.Fatalf("read %d records back", len(recs))
	}
}
