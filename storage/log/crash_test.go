package log

import (
	"bufio"
	"encoding/binary"
	"flag"
	"fmt"
	"hash/crc32"
	"hash/fnv"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/vfs"
)

// The process crash test re-executes the test binary as a writer: with
// crashWriterEnv set to a directory, TestMain runs crashWriter instead of
// the tests.
const (
	crashWriterEnv = "WEIR_LOG_CRASH_WRITER"
	crashRunEnv    = "WEIR_LOG_CRASH_RUN"
	crashItersEnv  = "WEIR_LOG_CRASH_ITERATIONS"
)

var crashLong = flag.Bool("long", false, "run the process crash test 200 times (or $"+crashItersEnv+")")

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashWriterEnv); dir != "" {
		crashWriter(dir, os.Getenv(crashRunEnv))
		return
	}
	os.Exit(m.Run())
}

// The writer's topics: "t" is a plain topic with two partitions, "c" is
// compacted and "r" has retention by bytes, both with small segments, so
// the background cleaner (every few milliseconds) rewrites and deletes
// segments while the writer appends and when it is killed.
var crashTopics = []struct {
	name string
	cfg  TopicConfig
}{
	{"t", TopicConfig{Partitions: 2}},
	{"c", TopicConfig{Partitions: 1, Compact: true, SegmentBytes: 16 << 10}},
	{"r", TopicConfig{Partitions: 1, RetentionBytes: 64 << 10, SegmentBytes: 16 << 10}},
}

// crashValue is a record value that checks itself: a unique prefix, filler,
// and the CRC-32 of both.
func crashValue(rng *rand.Rand, run string, w, seq, i int) []byte {
	v := fmt.Appendf(nil, "%s/%d/%d/%d|", run, w, seq, i)
	for n := rng.Intn(200); n > 0; n-- {
		v = append(v, byte('a'+rng.Intn(26)))
	}
	return binary.BigEndian.AppendUint32(v, crc32.ChecksumIEEE(v))
}

func crashValueOK(v []byte) bool {
	n := len(v) - 4
	return n > 0 && binary.BigEndian.Uint32(v[n:]) == crc32.ChecksumIEEE(v[:n])
}

func valueHash(v []byte) string {
	if v == nil {
		return "-"
	}
	h := fnv.New64a()
	h.Write(v)
	return strconv.FormatUint(h.Sum64(), 16)
}

// crashWriter appends from six goroutines, acknowledging each record on
// stdout as "ack <topic> <partition> <offset> <key> <value hash>" once its
// Append has returned, until it is killed.
func crashWriter(dir, run string) {
	fail := func(err error) {
		fmt.Fprintf(os.Stderr, "crash writer: %v\n", err)
		os.Exit(2)
	}
	l, err := Open(Options{
		Dir:             dir,
		SegmentBytes:    64 << 10,
		CleanupInterval: 3 * time.Millisecond,
		Logf:            func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) },
	})
	if err != nil {
		fail(err)
	}
	topics := make([]*Topic, len(crashTopics))
	for i, ct := range crashTopics {
		t, ok := l.Topic(ct.name)
		if !ok {
			if t, err = l.CreateTopic(ct.name, ct.cfg); err != nil {
				fail(err)
			}
		}
		topics[i] = t
	}
	fmt.Println("ready")
	var out sync.Mutex
	for w := 0; w < 6; w++ {
		go func(w int) {
			rng := rand.New(rand.NewSource(time.Now().UnixNano() + int64(w)))
			var line []byte
			for seq := 0; ; seq++ {
				ti := []int{0, 0, 0, 1, 1, 2}[rng.Intn(6)]
				t := topics[ti]
				p := rng.Intn(t.NumPartitions())
				recs := make([]Record, 1+rng.Intn(8))
				for i := range recs {
					recs[i] = Record{Value: crashValue(rng, run, w, seq, i), Timestamp: time.Now().UnixMilli()}
					if ti == 1 {
						recs[i].Key = fmt.Appendf(nil, "k%d", rng.Intn(40))
						if rng.Intn(8) == 0 {
							recs[i].Value = nil
						}
					}
				}
				first, err := t.Append(p, recs)
				if err != nil {
					fail(err)
				}
				line = line[:0]
				for i, r := range recs {
					key := "-"
					if r.Key != nil {
						key = string(r.Key)
					}
					line = fmt.Appendf(line, "ack %s %d %d %s %s\n", t.Name(), p, first+int64(i), key, valueHash(r.Value))
				}
				out.Lock()
				_, err = os.Stdout.Write(line)
				out.Unlock()
				if err != nil {
					fail(err)
				}
			}
		}(w)
	}
	select {}
}

// crashAck is an acknowledged record.
type crashAck struct {
	key, hash string
}

// TestProcessCrash runs the writer in a child process and SIGKILLs it at a
// random moment (after a random number of acknowledgements), again and
// again, reopening the log after each crash: every acknowledged record is
// there, at its offset; plain partitions have no gaps and no duplicates; no
// record is damaged; and appending goes on.
func TestProcessCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	iters := 20
	if *crashLong {
		iters = 200
	}
	if s := os.Getenv(crashItersEnv); s != "" {
		var err error
		if iters, err = strconv.Atoi(s); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	acks := make(map[string]map[int64]crashAck) // by "topic/partition", then offset
	start := time.Now()
	total := 0
	// On a slow disk the default run must still end within about 20s:
	// past the budget, writers are killed as soon as they are ready.
	budget := 12 * time.Second
	for run := 0; run < iters; run++ {
		// Short runs keep the default test quick; now and then a longer one.
		kill := rng.Intn(150)
		if rng.Intn(4) == 0 {
			kill = rng.Intn(1500)
		}
		if !*crashLong && time.Since(start) > budget {
			kill = 0
		}
		n, err := crashRun(dir, strconv.Itoa(run), kill, acks)
		if err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		total += n
		checkCrashLog(t, dir, acks)
	}
	var stats []string
	for _, ct := range crashTopics {
		segs := len(segmentsOf(t, vfs.Default, filepath.Join(dir, ct.name, "0")))
		stats = append(stats, fmt.Sprintf("%s/0: %d segments", ct.name, segs))
	}
	t.Logf("%d crashes, %d acknowledged records, %s; %s", iters, total, time.Since(start).Round(time.Millisecond), strings.Join(stats, ", "))
}

// crashRun starts a writer, kills it after kill acknowledgements, and adds
// the acknowledgements it printed to acks.
func crashRun(dir, run string, kill int, acks map[string]map[int64]crashAck) (int, error) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashWriterEnv+"="+dir, crashRunEnv+"="+run)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return 0, err
	}
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	sc := bufio.NewScanner(stdout)
	n, killed, ready := 0, false, false
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 1 && f[0] == "ready":
			ready = true
		case len(f) == 6 && f[0] == "ack":
			off, err := strconv.ParseInt(f[3], 10, 64)
			if err != nil {
				return n, fmt.Errorf("writer printed %q", sc.Text())
			}
			tp := f[1] + "/" + f[2]
			if acks[tp] == nil {
				acks[tp] = make(map[int64]crashAck)
			}
			if _, dup := acks[tp][off]; dup {
				return n, fmt.Errorf("offset %s/%d acknowledged twice", tp, off)
			}
			acks[tp][off] = crashAck{key: f[4], hash: f[5]}
			n++
		default:
			return n, fmt.Errorf("writer printed %q", sc.Text())
		}
		if ready && n >= kill && !killed {
			// Lines already in the pipe were acknowledged before the kill
			// and are read on.
			if err := cmd.Process.Kill(); err != nil {
				return n, err
			}
			killed = true
		}
	}
	if err := sc.Err(); err != nil {
		return n, err
	}
	_ = cmd.Wait()
	if !killed {
		return n, fmt.Errorf("writer exited by itself: %s", stderr.String())
	}
	return n, nil
}

// checkCrashLog reopens the log after a crash and checks it against the
// acknowledgements, then appends to every partition.
func checkCrashLog(t *testing.T, dir string, acks map[string]map[int64]crashAck) {
	t.Helper()
	opts := Options{Dir: dir, CleanupInterval: -1, Logf: func(string, ...any) {}}
	l := mustOpen(t, opts)
	defer func() {
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}()
	for _, ct := range crashTopics {
		tp, ok := l.Topic(ct.name)
		if !ok {
			continue // created by a writer killed before it was durable
		}
		for p := 0; p < tp.NumPartitions(); p++ {
			name := fmt.Sprintf("%s/%d", ct.name, p)
			start, end := tp.StartOffset(p), tp.EndOffset(p)
			if start != 0 && ct.cfg.RetentionBytes == 0 {
				t.Fatalf("%s: start offset %d without retention", name, start)
			}
			offs, recs := readAll(t, tp, p, 64<<10)
			seen := make(map[string]bool)
			latest := make(map[string]int64) // by key, what the log holds
			for i, off := range offs {
				r := recs[i]
				switch {
				case i > 0 && off <= offs[i-1]:
					t.Fatalf("%s: offset %d after %d", name, off, offs[i-1])
				case !ct.cfg.Compact && off != start+int64(i):
					t.Fatalf("%s: offset %d at position %d from start %d: a gap", name, off, i, start)
				case r.Value == nil && !ct.cfg.Compact || r.Value != nil && !crashValueOK(r.Value):
					t.Fatalf("%s: offset %d: damaged value %q", name, off, r.Value)
				case r.Value != nil && seen[string(r.Value)]:
					t.Fatalf("%s: offset %d: duplicate record %q", name, off, r.Value)
				}
				if r.Value != nil {
					seen[string(r.Value)] = true
				}
				if a, ok := acks[name][off]; ok && a.hash != valueHash(r.Value) {
					t.Fatalf("%s: offset %d holds %s, acknowledged %s", name, off, valueHash(r.Value), a.hash)
				}
				if r.Key != nil {
					latest[string(r.Key)] = off
				}
			}
			for off, a := range acks[name] {
				switch {
				case off >= end:
					t.Fatalf("%s: acknowledged offset %d lost: end offset %d", name, off, end)
				case ct.cfg.Compact:
					// Compaction may drop it only for a later record of its key.
					if latest[a.key] < off {
						t.Fatalf("%s: acknowledged offset %d of key %s lost; latest is %d", name, off, a.key, latest[a.key])
					}
				case off >= start && acks[name][off].hash != valueHash(recs[off-start].Value):
					t.Fatalf("%s: acknowledged offset %d not found", name, off)
				}
			}
			first, err := tp.Append(p, []Record{{Key: []byte("k0"), Value: crashValue(rand.New(rand.NewSource(1)), "check-"+name, 0, int(end), 0)}})
			if err != nil || first != end {
				t.Fatalf("%s: append after crash at %d, %v; want %d", name, first, err, end)
			}
		}
	}
}
