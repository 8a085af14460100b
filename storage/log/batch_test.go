package log

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"math/rand"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
)

// decodeAll decodes a batch into owned records.
func decodeAll(b []byte) (batchHeader, []int64, []Record, error) {
	var offs []int64
	var recs []Record
	h, err := decodeBatch(b, func(off int64, r Record) error {
		offs = append(offs, off)
		recs = append(recs, cloneRecord(r))
		return nil
	})
	return h, offs, recs, err
}

func cloneBytes(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte{}, b...)
}

func cloneRecord(r Record) Record {
	c := Record{Key: cloneBytes(r.Key), Value: cloneBytes(r.Value), Timestamp: r.Timestamp}
	for _, h := range r.Headers {
		c.Headers = append(c.Headers, Header{Key: h.Key, Value: cloneBytes(h.Value)})
	}
	return c
}

// equalRecords compares records, telling nil from empty.
func equalRecords(a, b Record) bool {
	eq := func(x, y []byte) bool { return (x == nil) == (y == nil) && bytes.Equal(x, y) }
	if !eq(a.Key, b.Key) || !eq(a.Value, b.Value) || a.Timestamp != b.Timestamp || len(a.Headers) != len(b.Headers) {
		return false
	}
	for i := range a.Headers {
		if a.Headers[i].Key != b.Headers[i].Key || !eq(a.Headers[i].Value, b.Headers[i].Value) {
			return false
		}
	}
	return true
}

func randBytes(rng *rand.Rand, max int) []byte {
	switch rng.Intn(4) {
	case 0:
		return nil
	case 1:
		return []byte{}
	}
	b := make([]byte, rng.Intn(max+1))
	rng.Read(b)
	return b
}

func randRecords(rng *rand.Rand, n int) []Record {
	recs := make([]Record, n)
	base := rng.Int63n(2e12) - 1e12
	for i := range recs {
		r := &recs[i]
		r.Key, r.Value = randBytes(rng, 20), randBytes(rng, 300)
		switch rng.Intn(10) {
		case 0:
			r.Timestamp = math.MinInt64 + rng.Int63n(10)
		case 1:
			r.Timestamp = math.MaxInt64 - rng.Int63n(10)
		default:
			r.Timestamp = base + rng.Int63n(1e6) - 5e5
		}
		for j := rng.Intn(3); j > 0; j-- {
			r.Headers = append(r.Headers, Header{Key: string(randBytes(rng, 8)), Value: randBytes(rng, 8)})
		}
	}
	return recs
}

func TestBatchRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for iter := 0; iter < 500; iter++ {
		recs := randRecords(rng, 1+rng.Intn(20))
		base := rng.Int63n(1 << 40)
		b, info, err := appendBatch([]byte("prefix"), base, recs)
		if err != nil {
			t.Fatal(err)
		}
		if string(b[:6]) != "prefix" {
			t.Fatalf("prefix clobbered")
		}
		h, offs, got, err := decodeAll(b[6:])
		if err != nil {
			t.Fatalf("iteration %d: %v", iter, err)
		}
		if len(got) != len(recs) || info.count != int32(len(recs)) || h.numRecords != info.count {
			t.Fatalf("iteration %d: got %d records, want %d", iter, len(got), len(recs))
		}
		wantMax := recs[0].Timestamp
		for i := range recs {
			wantMax = max(wantMax, recs[i].Timestamp)
			if offs[i] != base+int64(i) {
				t.Fatalf("record %d has offset %d, want %d", i, offs[i], base+int64(i))
			}
			if !equalRecords(got[i], recs[i]) {
				t.Fatalf("iteration %d record %d:\n got %+v\nwant %+v", iter, i, got[i], recs[i])
			}
		}
		if h.maxTimestamp != wantMax || info.maxTimestamp != wantMax || h.baseTimestamp != recs[0].Timestamp {
			t.Fatalf("timestamps: header %d/%d, info %d, want %d/%d", h.baseTimestamp, h.maxTimestamp, info.maxTimestamp, recs[0].Timestamp, wantMax)
		}
		if h.lastOffset() != base+int64(len(recs))-1 || h.producerID != -1 || h.producerEpoch != -1 || h.baseSequence != -1 {
			t.Fatalf("header %+v", h)
		}
	}
}

// TestBatchKafkaVector decodes a batch from Sarama's tests (record_test.go,
// "uncompressed record"), so the layout, varints and CRC-32C agree with an
// independent Kafka client and not only with this encoder.
func TestBatchKafkaVector(t *testing.T) {
	b := []byte{
		0, 0, 0, 0, 0, 0, 0, 0, // first offset
		0, 0, 0, 70, // length
		0, 0, 0, 0, // partition leader epoch
		2,                // magic
		84, 121, 97, 253, // crc
		0, 0, // attributes
		0, 0, 0, 0, // last offset delta
		0, 0, 1, 88, 141, 205, 89, 56, // first timestamp
		0, 0, 0, 0, 0, 0, 0, 0, // max timestamp
		0, 0, 0, 0, 0, 0, 0, 0, // producer id
		0, 0, // producer epoch
		0, 0, 0, 0, // first sequence
		0, 0, 0, 1, // number of records
		40,         // record length
		0,          // attributes
		10,         // timestamp delta
		0,          // offset delta
		8,          // key length
		1, 2, 3, 4, // key
		6,       // value length
		5, 6, 7, // value
		2,        // number of headers
		6,        // header key length
		8, 9, 10, // header key
		4,      // header value length
		11, 12, // header value
	}
	_, offs, recs, err := decodeAll(b)
	if err != nil {
		t.Fatal(err)
	}
	want := Record{
		Key:       []byte{1, 2, 3, 4},
		Value:     []byte{5, 6, 7},
		Headers:   []Header{{Key: "\x08\x09\x0a", Value: []byte{11, 12}}},
		Timestamp: 1479847795000 + 5,
	}
	if len(recs) != 1 || offs[0] != 0 || !equalRecords(recs[0], want) {
		t.Fatalf("got %v %+v, want %+v", offs, recs, want)
	}
	// The records section must encode identically (our encoder uses the
	// first record's timestamp as base, so patch the delta to match).
	enc, _, err := appendBatch(nil, 0, []Record{want})
	if err != nil {
		t.Fatal(err)
	}
	encRecs := append([]byte{}, enc[batchHeaderSize:]...)
	encRecs[2] = 10
	if !bytes.Equal(encRecs, b[batchHeaderSize:]) {
		t.Fatalf("records encode as\n%x\nwant\n%x", encRecs, b[batchHeaderSize:])
	}
}

// TestBatchDetectsDamage flips every bit of the length, magic, CRC and
// CRC-covered bytes, and cuts the batch at every length: each must be
// rejected as corrupt. (baseOffset and partitionLeaderEpoch are outside the
// CRC by Kafka's design: brokers rewrite them.)
func TestBatchDetectsDamage(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	b, _, err := appendBatch(nil, 7, randRecords(rng, 5))
	if err != nil {
		t.Fatal(err)
	}
	for i := batchLengthOffset; i < len(b); i++ {
		if i == batchLeaderEpochOffset {
			i = batchMagicOffset
		}
		for bit := 0; bit < 8; bit++ {
			d := append([]byte{}, b...)
			d[i] ^= 1 << bit
			if _, _, _, err := decodeAll(d); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("flipping bit %d of byte %d: err %v", bit, i, err)
			}
		}
	}
	for n := 0; n < len(b); n++ {
		if _, _, _, err := decodeAll(b[:n]); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("cut at %d: err %v", n, err)
		}
	}
}

func TestBatchRejectsEmpty(t *testing.T) {
	if _, _, err := appendBatch(nil, 0, nil); err == nil {
		t.Fatal("encoded an empty batch")
	}
}

// withCRC returns b with its CRC recomputed, so that fuzzing reaches the
// record decoder.
func withCRC(b []byte) []byte {
	if len(b) < batchHeaderSize {
		return b
	}
	c := append([]byte{}, b...)
	binary.BigEndian.PutUint32(c[batchCRCOffset:], crc32.Checksum(c[batchAttributesOffset:], castagnoli))
	return c
}

func FuzzDecodeBatch(f *testing.F) {
	rng := rand.New(rand.NewSource(3))
	for i := 0; i < 8; i++ {
		b, _, _ := appendBatch(nil, int64(i), randRecords(rng, 1+i))
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add(make([]byte, batchHeaderSize))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _, _, _ = decodeAll(data)
		fixed := withCRC(data)
		h, _, recs, err := decodeAll(fixed)
		if err != nil {
			return
		}
		// Whatever decodes must re-encode to a batch that decodes the same.
		if len(recs) == 0 {
			return
		}
		b, _, err := appendBatch(nil, h.baseOffset, recs)
		if err != nil {
			t.Fatal(err)
		}
		_, _, again, err := decodeAll(b)
		if err != nil {
			t.Fatalf("re-encoded batch does not decode: %v", err)
		}
		for i := range recs {
			if !equalRecords(recs[i], again[i]) {
				t.Fatalf("record %d: %+v then %+v", i, recs[i], again[i])
			}
		}
	})
}

// TestBatchDataDriven pins the exact bytes of encoded batches
// (testdata/batch).
func TestBatchDataDriven(t *testing.T) {
	datadriven.RunTest(t, "testdata/batch", func(t *testing.T, td *datadriven.TestData) string {
		switch td.Cmd {
		case "encode":
			var base int64
			td.MaybeScanArgs(t, "base", &base)
			recs, err := parseRecords(td.Input)
			if err != nil {
				return err.Error()
			}
			b, _, err := appendBatch(nil, base, recs)
			if err != nil {
				return err.Error()
			}
			return dumpBatch(b)
		case "decode":
			b, err := hex.DecodeString(strings.Join(strings.Fields(td.Input), ""))
			if err != nil {
				t.Fatal(err)
			}
			var sb strings.Builder
			_, err = decodeBatch(b, func(off int64, r Record) error {
				fmt.Fprintf(&sb, "%d %s\n", off, formatRecord(r))
				return nil
			})
			if err != nil {
				fmt.Fprintf(&sb, "error: %v\n", err)
			}
			return sb.String()
		}
		t.Fatalf("unknown command %q", td.Cmd)
		return ""
	})
}

// dumpBatch prints a batch field by field, records in hex.
func dumpBatch(b []byte) string {
	h, err := checkBatch(b)
	if err != nil {
		return err.Error()
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "baseOffset=%d batchLength=%d leaderEpoch=%d magic=%d crc=%#08x\n", h.baseOffset, h.length, h.leaderEpoch, h.magic, h.crc)
	fmt.Fprintf(&sb, "attributes=%d lastOffsetDelta=%d baseTimestamp=%d maxTimestamp=%d\n", h.attributes, h.lastOffsetDelta, h.baseTimestamp, h.maxTimestamp)
	fmt.Fprintf(&sb, "producerId=%d producerEpoch=%d baseSequence=%d records=%d\n", h.producerID, h.producerEpoch, h.baseSequence, h.numRecords)
	fmt.Fprintf(&sb, "header: % x\n", b[:batchHeaderSize])
	for pos, i := batchHeaderSize, 0; pos < len(b); i++ {
		d := decoder{b: b, pos: pos}
		n := d.varint()
		end := d.pos + int(n)
		fmt.Fprintf(&sb, "record %d: % x\n", i, b[pos:end])
		pos = end
	}
	return sb.String()
}

// parseRecords reads one record per line: key value [ts=N] [h=k:v ...],
// where nil is a null key or value and two single quotes an empty one.
func parseRecords(input string) ([]Record, error) {
	var recs []Record
	for _, line := range strings.Split(strings.TrimSpace(input), "\n") {
		fields := strings.Fields(line)
		if len(fields) < 2 {
			return nil, fmt.Errorf("record %q: want key value", line)
		}
		r := Record{Key: parseNullable(fields[0]), Value: parseNullable(fields[1])}
		for _, f := range fields[2:] {
			k, v, _ := strings.Cut(f, "=")
			switch k {
			case "ts":
				ts, err := strconv.ParseInt(v, 10, 64)
				if err != nil {
					return nil, err
				}
				r.Timestamp = ts
			case "h":
				hk, hv, _ := strings.Cut(v, ":")
				r.Headers = append(r.Headers, Header{Key: hk, Value: parseNullable(hv)})
			default:
				return nil, fmt.Errorf("unknown record field %q", f)
			}
		}
		recs = append(recs, r)
	}
	return recs, nil
}

func parseNullable(s string) []byte {
	switch s {
	case "nil":
		return nil
	case "''":
		return []byte{}
	}
	return []byte(s)
}

func formatNullable(b []byte) string {
	switch {
	case b == nil:
		return "nil"
	case len(b) == 0:
		return "''"
	}
	for _, c := range b {
		if c <= ' ' || c > '~' {
			return fmt.Sprintf("0x%x", b)
		}
	}
	return string(b)
}

func formatRecord(r Record) string {
	s := fmt.Sprintf("%s %s ts=%d", formatNullable(r.Key), formatNullable(r.Value), r.Timestamp)
	for _, h := range r.Headers {
		s += fmt.Sprintf(" h=%s:%s", formatNullable([]byte(h.Key)), formatNullable(h.Value))
	}
	return s
}
