package log

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
)

// Offsets of the fixed fields of a v2 record batch; doc.go draws the layout.
const (
	batchLengthOffset      = 8  // batchLength int32
	batchLeaderEpochOffset = 12 // partitionLeaderEpoch int32
	batchMagicOffset       = 16 // magic int8
	batchCRCOffset         = 17 // crc uint32
	batchAttributesOffset  = 21 // attributes int16; the CRC covers from here to the end
	batchLastDeltaOffset   = 23 // lastOffsetDelta int32
	batchBaseTimeOffset    = 27 // baseTimestamp int64
	batchMaxTimeOffset     = 35 // maxTimestamp int64
	batchProducerIDOffset  = 43 // producerId int64
	batchProducerEpOffset  = 51 // producerEpoch int16
	batchBaseSeqOffset     = 53 // baseSequence int32
	batchCountOffset       = 57 // records count int32

	// batchHeaderSize is the size of the fixed part of a batch.
	batchHeaderSize = 61
	// batchLogOverhead is the part of a batch its batchLength does not
	// count: baseOffset and batchLength themselves.
	batchLogOverhead = 12
	// minBatchLength is the smallest valid batchLength: a batch of no records.
	minBatchLength = batchHeaderSize - batchLogOverhead

	magicV2 = 2

	// compressionMask selects the compression codec in the attributes; Weir
	// writes and reads only codec 0 (none).
	compressionMask = 0x07

	// minRecordSize is the smallest encoding of a record: one byte each for
	// length, attributes, timestampDelta, offsetDelta, keyLength, valueLength
	// and header count.
	minRecordSize = 7
)

// MaxBatchBytes bounds the encoded size of one Append.
const MaxBatchBytes = 32 << 20

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// batchHeader is the fixed-size prefix of a v2 record batch.
type batchHeader struct {
	baseOffset      int64
	length          int32 // bytes after the length field
	leaderEpoch     int32
	magic           int8
	crc             uint32
	attributes      int16
	lastOffsetDelta int32
	baseTimestamp   int64
	maxTimestamp    int64
	producerID      int64
	producerEpoch   int16
	baseSequence    int32
	numRecords      int32
}

// size is the number of bytes the batch occupies in a segment.
func (h *batchHeader) size() int64 { return batchLogOverhead + int64(h.length) }

// lastOffset is the offset of the batch's last record (or of its last
// offset slot, if compaction removed records).
func (h *batchHeader) lastOffset() int64 { return h.baseOffset + int64(h.lastOffsetDelta) }

// parseBatchHeader decodes and sanity-checks the fixed part of a batch from b,
// which must hold at least batchHeaderSize bytes. It does not verify the CRC.
func parseBatchHeader(b []byte) (batchHeader, error) {
	if len(b) < batchHeaderSize {
		return batchHeader{}, corruptf("batch header of %d bytes, want %d", len(b), batchHeaderSize)
	}
	be := binary.BigEndian
	h := batchHeader{
		baseOffset:      int64(be.Uint64(b[0:])),
		length:          int32(be.Uint32(b[batchLengthOffset:])),
		leaderEpoch:     int32(be.Uint32(b[batchLeaderEpochOffset:])),
		magic:           int8(b[batchMagicOffset]),
		crc:             be.Uint32(b[batchCRCOffset:]),
		attributes:      int16(be.Uint16(b[batchAttributesOffset:])),
		lastOffsetDelta: int32(be.Uint32(b[batchLastDeltaOffset:])),
		baseTimestamp:   int64(be.Uint64(b[batchBaseTimeOffset:])),
		maxTimestamp:    int64(be.Uint64(b[batchMaxTimeOffset:])),
		producerID:      int64(be.Uint64(b[batchProducerIDOffset:])),
		producerEpoch:   int16(be.Uint16(b[batchProducerEpOffset:])),
		baseSequence:    int32(be.Uint32(b[batchBaseSeqOffset:])),
		numRecords:      int32(be.Uint32(b[batchCountOffset:])),
	}
	switch {
	case h.magic != magicV2:
		return h, corruptf("batch magic %d, want %d", h.magic, magicV2)
	case h.length < minBatchLength:
		return h, corruptf("batch length %d below minimum %d", h.length, minBatchLength)
	case h.baseOffset < 0:
		return h, corruptf("negative base offset %d", h.baseOffset)
	case h.lastOffsetDelta < 0:
		return h, corruptf("negative last offset delta %d", h.lastOffsetDelta)
	case h.baseOffset > math.MaxInt64-int64(h.lastOffsetDelta):
		return h, corruptf("base offset %d + last offset delta %d overflows", h.baseOffset, h.lastOffsetDelta)
	case h.numRecords < 0:
		return h, corruptf("negative record count %d", h.numRecords)
	case int64(h.numRecords) > int64(h.lastOffsetDelta)+1:
		return h, corruptf("%d records in %d offsets", h.numRecords, int64(h.lastOffsetDelta)+1)
	case int64(h.numRecords)*minRecordSize > int64(h.length-minBatchLength):
		return h, corruptf("%d records cannot fit in %d bytes", h.numRecords, h.length-minBatchLength)
	}
	return h, nil
}

// checkBatch verifies that b is exactly one whole batch with a valid header
// and CRC, in a form Weir can read (uncompressed). It does not parse records;
// recordIter does that.
func checkBatch(b []byte) (batchHeader, error) {
	h, err := parseBatchHeader(b)
	if err != nil {
		return h, err
	}
	if h.size() != int64(len(b)) {
		return h, corruptf("batch length %d does not match %d bytes", h.length, len(b)-batchLogOverhead)
	}
	if c := crc32.Checksum(b[batchAttributesOffset:], castagnoli); c != h.crc {
		return h, corruptf("batch crc mismatch: stored %#08x, computed %#08x", h.crc, c)
	}
	if codec := h.attributes & compressionMask; codec != 0 {
		return h, corruptf("batch compression codec %d is not supported", codec)
	}
	return h, nil
}

// setBatchBaseOffset stamps the base offset into an encoded batch. The
// baseOffset field is outside the CRC, as Kafka designed it, so appenders
// encode batches before they know their offset.
func setBatchBaseOffset(b []byte, base int64) {
	binary.BigEndian.PutUint64(b, uint64(base))
}

// batchInfo is what the writer needs to know about an encoded batch.
type batchInfo struct {
	count        int32
	maxTimestamp int64
}

// appendBatch appends recs to dst as one v2 record batch with the given base
// offset and returns the extended slice. Producer id, epoch and sequence are
// -1 (no idempotent producer); the leader epoch is 0; timestamps are
// CreateTime; nil keys, values and header values are encoded as null (-1).
func appendBatch(dst []byte, baseOffset int64, recs []Record) ([]byte, batchInfo, error) {
	if len(recs) == 0 {
		return dst, batchInfo{}, fmt.Errorf("encoding batch: no records")
	}
	if int64(len(recs)) > math.MaxInt32 {
		return dst, batchInfo{}, fmt.Errorf("encoding batch: %d records exceed the int32 count", len(recs))
	}
	baseTs, maxTs := recs[0].Timestamp, recs[0].Timestamp
	total := int64(batchHeaderSize)
	for i := range recs {
		r := &recs[i]
		maxTs = max(maxTs, r.Timestamp)
		n := recordBodySize(r, int64(i), r.Timestamp-baseTs)
		total += int64(varintSize(n)) + n
		if total-batchLogOverhead > math.MaxInt32 {
			return dst, batchInfo{}, fmt.Errorf("encoding batch: larger than %d bytes", math.MaxInt32)
		}
	}

	start := len(dst)
	dst = grow(dst, int(total))
	b := dst[start:]
	be := binary.BigEndian
	be.PutUint64(b[0:], uint64(baseOffset))
	be.PutUint32(b[batchLengthOffset:], uint32(total-batchLogOverhead))
	be.PutUint32(b[batchLeaderEpochOffset:], 0)
	b[batchMagicOffset] = magicV2
	be.PutUint16(b[batchAttributesOffset:], 0)
	be.PutUint32(b[batchLastDeltaOffset:], uint32(len(recs)-1))
	be.PutUint64(b[batchBaseTimeOffset:], uint64(baseTs))
	be.PutUint64(b[batchMaxTimeOffset:], uint64(maxTs))
	be.PutUint64(b[batchProducerIDOffset:], math.MaxUint64) // -1
	be.PutUint16(b[batchProducerEpOffset:], math.MaxUint16) // -1
	be.PutUint32(b[batchBaseSeqOffset:], math.MaxUint32)    // -1
	be.PutUint32(b[batchCountOffset:], uint32(len(recs)))

	out := dst[:start+batchHeaderSize]
	for i := range recs {
		r := &recs[i]
		tsDelta := r.Timestamp - baseTs
		out = binary.AppendVarint(out, recordBodySize(r, int64(i), tsDelta))
		out = append(out, 0) // record attributes, unused
		out = binary.AppendVarint(out, tsDelta)
		out = binary.AppendVarint(out, int64(i))
		out = appendNullableBytes(out, r.Key)
		out = appendNullableBytes(out, r.Value)
		out = binary.AppendVarint(out, int64(len(r.Headers)))
		for _, h := range r.Headers {
			out = binary.AppendVarint(out, int64(len(h.Key)))
			out = append(out, h.Key...)
			out = appendNullableBytes(out, h.Value)
		}
	}
	if int64(len(out)-start) != total {
		panic(fmt.Sprintf("log: encoded batch of %d bytes, sized %d", len(out)-start, total))
	}
	be.PutUint32(b[batchCRCOffset:], crc32.Checksum(b[batchAttributesOffset:], castagnoli))
	return out, batchInfo{count: int32(len(recs)), maxTimestamp: maxTs}, nil
}

// recordBodySize is the encoded size of a record after its length varint.
func recordBodySize(r *Record, offsetDelta, tsDelta int64) int64 {
	n := 1 + int64(varintSize(tsDelta)) + int64(varintSize(offsetDelta)) +
		nullableBytesSize(r.Key) + nullableBytesSize(r.Value) +
		int64(varintSize(int64(len(r.Headers))))
	for _, h := range r.Headers {
		n += int64(varintSize(int64(len(h.Key)))) + int64(len(h.Key)) + nullableBytesSize(h.Value)
	}
	return n
}

func nullableBytesSize(b []byte) int64 {
	if b == nil {
		return 1
	}
	return int64(varintSize(int64(len(b)))) + int64(len(b))
}

func appendNullableBytes(dst, b []byte) []byte {
	if b == nil {
		return binary.AppendVarint(dst, -1)
	}
	dst = binary.AppendVarint(dst, int64(len(b)))
	return append(dst, b...)
}

// varintSize is the length of x as a zigzag varint.
func varintSize(x int64) int {
	ux := uint64(x) << 1
	if x < 0 {
		ux = ^ux
	}
	n := 1
	for ux >= 0x80 {
		ux >>= 7
		n++
	}
	return n
}

// grow extends b by n bytes, reallocating at most once.
func grow(b []byte, n int) []byte {
	if cap(b)-len(b) < n {
		nb := make([]byte, len(b), len(b)+n)
		copy(nb, b)
		b = nb
	}
	return b[:len(b)+n]
}

// recordIter decodes the records of a batch that passed checkBatch, one at a
// time, validating each as it goes. A Record it returns aliases the batch
// bytes, and its Headers slice is reused by the next call.
type recordIter struct {
	b         []byte // the whole batch
	h         batchHeader
	pos       int
	i         int32
	lastDelta int64
	headers   []Header
}

func (it *recordIter) reset(b []byte, h batchHeader) {
	*it = recordIter{b: b, h: h, pos: batchHeaderSize, lastDelta: -1, headers: it.headers[:0]}
}

// next returns the next record and its offset, or ok=false after the last
// record. Any malformation is an error marked as corruption.
func (it *recordIter) next() (offset int64, r Record, ok bool, err error) {
	if it.i == it.h.numRecords {
		if it.pos != len(it.b) {
			return 0, Record{}, false, corruptf("%d bytes after the last record", len(it.b)-it.pos)
		}
		return 0, Record{}, false, nil
	}
	d := decoder{b: it.b, pos: it.pos}
	length := d.varint32()
	if d.err == nil && (length < 0 || int(length) > len(it.b)-d.pos) {
		return 0, Record{}, false, corruptf("record %d: length %d with %d bytes left", it.i, length, len(it.b)-d.pos)
	}
	if d.err != nil {
		return 0, Record{}, false, corruptf("record %d: length: %v", it.i, d.err)
	}
	end := d.pos + int(length)
	d.b = it.b[:end]
	d.byte() // attributes: no record-level attributes are defined
	tsDelta := d.varint()
	offsetDelta := int64(d.varint32())
	r.Key = d.nullableBytes()
	r.Value = d.nullableBytes()
	nh := d.varint32()
	if d.err == nil && (nh < 0 || int(nh) > (end-d.pos)/2) {
		d.err = fmt.Errorf("header count %d", nh)
	}
	it.headers = it.headers[:0]
	for j := int32(0); d.err == nil && j < nh; j++ {
		kl := d.varint32()
		if d.err == nil && kl < 0 {
			d.err = fmt.Errorf("header key length %d", kl)
			break
		}
		k := d.bytes(int(kl))
		v := d.nullableBytes()
		if d.err == nil {
			it.headers = append(it.headers, Header{Key: string(k), Value: v})
		}
	}
	if d.err == nil && d.pos != end {
		d.err = fmt.Errorf("%d unread bytes", end-d.pos)
	}
	if d.err == nil && (offsetDelta <= it.lastDelta || offsetDelta > int64(it.h.lastOffsetDelta)) {
		d.err = fmt.Errorf("offset delta %d after %d, last %d", offsetDelta, it.lastDelta, it.h.lastOffsetDelta)
	}
	if d.err != nil {
		return 0, Record{}, false, corruptf("record %d: %v", it.i, d.err)
	}
	if nh > 0 {
		r.Headers = it.headers
	}
	r.Timestamp = it.h.baseTimestamp + tsDelta
	it.pos = end
	it.i++
	it.lastDelta = offsetDelta
	return it.h.baseOffset + offsetDelta, r, true, nil
}

// decoder reads Kafka's primitive encodings from b, recording the first error.
type decoder struct {
	b   []byte
	pos int
	err error
}

func (d *decoder) byte() byte {
	if d.err != nil {
		return 0
	}
	if d.pos >= len(d.b) {
		d.err = fmt.Errorf("short record")
		return 0
	}
	d.pos++
	return d.b[d.pos-1]
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	x, n := binary.Varint(d.b[d.pos:])
	if n <= 0 {
		d.err = fmt.Errorf("bad varint")
		return 0
	}
	d.pos += n
	return x
}

func (d *decoder) varint32() int32 {
	x := d.varint()
	if d.err == nil && (x < math.MinInt32 || x > math.MaxInt32) {
		d.err = fmt.Errorf("varint %d overflows int32", x)
	}
	return int32(x)
}

func (d *decoder) bytes(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n > len(d.b)-d.pos {
		d.err = fmt.Errorf("%d-byte field with %d bytes left", n, len(d.b)-d.pos)
		return nil
	}
	d.pos += n
	return d.b[d.pos-n : d.pos : d.pos]
}

// nullableBytes reads a varint length and that many bytes; -1 is null (nil).
func (d *decoder) nullableBytes() []byte {
	n := d.varint32()
	if d.err != nil || n == -1 {
		return nil
	}
	if n < -1 {
		d.err = fmt.Errorf("length %d", n)
		return nil
	}
	return d.bytes(int(n))
}

// decodeBatch checks b as one whole batch and calls fn for each record. It is
// the decoder's entry point for tests and the fuzz target; Read uses
// checkBatch and recordIter directly so it can stop mid-batch.
func decodeBatch(b []byte, fn func(offset int64, r Record) error) (batchHeader, error) {
	h, err := checkBatch(b)
	if err != nil {
		return h, err
	}
	var it recordIter
	it.reset(b, h)
	for {
		off, r, ok, err := it.next()
		if err != nil || !ok {
			return h, err
		}
		if err := fn(off, r); err != nil {
			return h, err
		}
	}
}
