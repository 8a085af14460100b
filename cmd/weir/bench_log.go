package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	wlog "github.com/weir-db/weir/storage/log"
)

// benchLog measures the durable log (`weir bench log`): append throughput
// with every append acknowledged only after fsync, against the raw
// sequential bandwidth of the same disk with fdatasync, then sequential read
// throughput from the page cache and peak memory.
func benchLog(args []string) error {
	fs := flag.NewFlagSet("bench log", flag.ContinueOnError)
	dir := fs.String("dir", ".", "directory on the disk to measure; a scratch directory is made in it and removed after")
	seconds := fs.Float64("seconds", 3, "duration of each case, in seconds")
	asJSON := fs.Bool("json", false, "print one JSON object instead of a table")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the append cases to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("bench log: unexpected arguments %q", fs.Args())
	}
	if *seconds <= 0 {
		return fmt.Errorf("bench log: --seconds must be positive")
	}
	scratch, err := os.MkdirTemp(*dir, ".weir-bench-log-")
	if err == nil {
		scratch, err = filepath.Abs(scratch)
	}
	if err != nil {
		return fmt.Errorf("bench log: %w", err)
	}
	defer os.RemoveAll(scratch)
	d := time.Duration(*seconds * float64(time.Second))

	var prof io.Writer
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return fmt.Errorf("bench log: %w", err)
		}
		defer f.Close()
		prof = f
	}
	res, err := runLogBench(scratch, d, !*asJSON, prof)
	if err != nil {
		return fmt.Errorf("bench log: %w", err)
	}
	if *asJSON {
		b, err := json.Marshal(res.json())
		if err != nil {
			return err
		}
		fmt.Println(string(b))
		return nil
	}
	res.print(os.Stdout, scratch, d)
	return nil
}

// logBenchCase is one append measurement.
type logBenchCase struct {
	recordBytes   int
	producers     int
	perAppend     int // records per Append, as a Kafka producer batches
	records       int64
	appends       int64
	elapsed       time.Duration
	p50, p99, max time.Duration // Append latency
}

func (c *logBenchCase) name() string {
	if c.recordBytes >= 1024 {
		return fmt.Sprintf("%dk_%dp", c.recordBytes/1024, c.producers)
	}
	return fmt.Sprintf("%db_%dp", c.recordBytes, c.producers)
}

func (c *logBenchCase) recordsPerSec() float64 { return float64(c.records) / c.elapsed.Seconds() }

// mbPerSec counts record payload (value) bytes, in MB of 10^6 bytes.
func (c *logBenchCase) mbPerSec() float64 {
	return float64(c.records) * float64(c.recordBytes) / 1e6 / c.elapsed.Seconds()
}

type logBenchResult struct {
	cases      []*logBenchCase
	rawDisk    float64 // MB/s, 1 MiB writes + fdatasync each
	read       float64 // MB/s of record payload, from the page cache
	readOnDisk float64 // MB/s of segment bytes
	peakRSS    float64 // MB (MiB, as the kernel counts)
}

// runLogBench runs every case in dir.
// With prof, the append cases are CPU-profiled into it.
func runLogBench(dir string, d time.Duration, progress bool, prof io.Writer) (*logBenchResult, error) {
	say := func(format string, args ...any) {
		if progress {
			fmt.Fprintf(os.Stderr, format+"\n", args...)
		}
	}
	l, err := wlog.Open(wlog.Options{
		Dir:             dir + "/log",
		SyncInterval:    0, // every append is fsynced before it is acknowledged
		CleanupInterval: -1,
		Logf:            func(format string, args ...any) { say("log: "+format, args...) },
	})
	if err != nil {
		return nil, err
	}
	defer l.Close()
	res := &logBenchResult{}
	if prof != nil {
		if err := pprof.StartCPUProfile(prof); err != nil {
			return nil, err
		}
	}
	var last *wlog.Topic
	for _, size := range []int{100, 1024} {
		for _, producers := range []int{1, 16} {
			// About 16 KiB per Append, Kafka's default producer batch.size.
			c := &logBenchCase{recordBytes: size, producers: producers, perAppend: 16 << 10 / size}
			say("appending %d-byte records from %d producers, %d per Append, for %s...", size, producers, c.perAppend, d)
			t, err := l.CreateTopic("bench_"+c.name(), wlog.TopicConfig{Partitions: 1})
			if err != nil {
				return nil, err
			}
			if err := c.run(t, d); err != nil {
				return nil, err
			}
			res.cases = append(res.cases, c)
			last = t
		}
	}
	if prof != nil {
		pprof.StopCPUProfile()
	}
	say("reading the last topic back...")
	if res.read, res.readOnDisk, err = benchRead(last, d); err != nil {
		return nil, err
	}
	say("writing 1 MiB blocks with fdatasync for %s...", d)
	if res.rawDisk, err = benchRawDisk(dir+"/raw", d); err != nil {
		return nil, err
	}
	res.peakRSS, err = peakRSS()
	return res, err
}

// run appends to partition 0 of t from c.producers goroutines for d.
func (c *logBenchCase) run(t *wlog.Topic, d time.Duration) error {
	var wg sync.WaitGroup
	errs := make([]error, c.producers)
	lat := make([][]time.Duration, c.producers)
	counts := make([]int64, c.producers)
	start := time.Now()
	deadline := start.Add(d)
	for w := 0; w < c.producers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			recs := make([]wlog.Record, c.perAppend)
			value := make([]byte, c.recordBytes)
			for i := range value {
				value[i] = byte('a' + (w+i)%26)
			}
			for i := range recs {
				recs[i] = wlog.Record{Value: value}
			}
			for {
				t0 := time.Now()
				if !t0.Before(deadline) {
					return
				}
				for i := range recs {
					recs[i].Timestamp = t0.UnixMilli()
				}
				if _, err := t.Append(0, recs); err != nil {
					errs[w] = err
					return
				}
				lat[w] = append(lat[w], time.Since(t0))
				counts[w]++
			}
		}(w)
	}
	wg.Wait()
	c.elapsed = time.Since(start)
	var all []time.Duration
	for w := range lat {
		if errs[w] != nil {
			return errs[w]
		}
		c.appends += counts[w]
		all = append(all, lat[w]...)
	}
	c.records = c.appends * int64(c.perAppend)
	if len(all) > 0 {
		sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
		c.p50, c.p99, c.max = all[len(all)/2], all[len(all)*99/100], all[len(all)-1]
	}
	return nil
}

// benchRead reads partition 0 of t from its start to its end, over and
// over until d has passed (at least once), and returns the record payload
// and the segment bytes read per second, in MB/s.
func benchRead(t *wlog.Topic, d time.Duration) (payload, onDisk float64, err error) {
	start, end := t.StartOffset(0), t.EndOffset(0)
	var bytes, passes int64
	t0 := time.Now()
	for passes == 0 || time.Since(t0) < d {
		for next := start; next < end; {
			if next, err = t.Read(0, next, 1<<20, func(_ int64, r wlog.Record) error {
				bytes += int64(len(r.Key) + len(r.Value))
				return nil
			}); err != nil {
				return 0, 0, err
			}
		}
		passes++
	}
	secs := time.Since(t0).Seconds()
	return float64(bytes) / 1e6 / secs, float64(passes*t.SizeBytes(0)) / 1e6 / secs, nil
}

// benchRawDisk writes 1 MiB blocks to a new file, each followed by
// fdatasync, for d, and returns MB/s.
func benchRawDisk(path string, d time.Duration) (float64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	defer os.Remove(path)
	defer f.Close()
	block := make([]byte, 1<<20)
	for i := range block {
		block[i] = byte(i * 7)
	}
	var n int64
	t0 := time.Now()
	for time.Since(t0) < d {
		if _, err := f.Write(block); err != nil {
			return 0, err
		}
		if err := syscall.Fdatasync(int(f.Fd())); err != nil {
			return 0, err
		}
		n += int64(len(block))
	}
	return float64(n) / 1e6 / time.Since(t0).Seconds(), nil
}

// peakRSS returns the process's peak resident set (VmHWM) in MiB.
func peakRSS() (float64, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "VmHWM:" && f[2] == "kB" {
			kb, err := strconv.ParseFloat(f[1], 64)
			return kb / 1024, err
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/self/status")
}

func (r *logBenchResult) ratio() float64 {
	for _, c := range r.cases {
		if c.recordBytes == 1024 && c.producers == 16 && r.rawDisk > 0 {
			return c.mbPerSec() / r.rawDisk
		}
	}
	return 0
}

func (r *logBenchResult) json() map[string]any {
	m := map[string]any{
		"raw_disk_mb_per_sec":     round2(r.rawDisk),
		"ratio_1k_to_raw":         round2(r.ratio()),
		"read_mb_per_sec":         round2(r.read),
		"read_segment_mb_per_sec": round2(r.readOnDisk),
		"peak_rss_mb":             round2(r.peakRSS),
		"fsync_per_append":        true,
	}
	for _, c := range r.cases {
		m["records_per_sec_"+c.name()] = round2(c.recordsPerSec())
		m["mb_per_sec_"+c.name()] = round2(c.mbPerSec())
		m["records_per_append_"+c.name()] = c.perAppend
		m["p99_append_ms_"+c.name()] = round2(float64(c.p99) / 1e6)
	}
	return m
}

func round2(x float64) float64 { return float64(int64(x*100+0.5)) / 100 }

func (r *logBenchResult) print(w io.Writer, dir string, d time.Duration) {
	fmt.Fprintf(w, "weir bench log: %s per case in %s; one partition; every Append acknowledged after fsync (SyncInterval 0), concurrent Appends share fsyncs\n\n", d, dir)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "record\tproducers\trecords/Append\trecords/s\tMB/s\tAppends/s\tp50 ms\tp99 ms\tmax ms\t")
	for _, c := range r.cases {
		fmt.Fprintf(tw, "%d B\t%d\t%d\t%.0f\t%.1f\t%.0f\t%.2f\t%.2f\t%.2f\t\n",
			c.recordBytes, c.producers, c.perAppend, c.recordsPerSec(), c.mbPerSec(),
			float64(c.appends)/c.elapsed.Seconds(), ms(c.p50), ms(c.p99), ms(c.max))
	}
	tw.Flush()
	fmt.Fprintf(w, "\nMB/s counts record values (10^6 bytes); latencies are per Append.\n")
	fmt.Fprintf(w, "raw disk, 1 MiB writes + fdatasync each:  %.1f MB/s\n", r.rawDisk)
	fmt.Fprintf(w, "1 KiB x 16 producers / raw disk:          %.2f\n", r.ratio())
	fmt.Fprintf(w, "sequential read from the page cache:      %.1f MB/s of values (%.1f MB/s of segments)\n", r.read, r.readOnDisk)
	fmt.Fprintf(w, "peak RSS (VmHWM):                         %.1f MiB\n", r.peakRSS)
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }
