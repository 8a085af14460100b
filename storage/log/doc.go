// Package log is Weir's durable, partitioned log, in Kafka's model: a Log
// holds topics, a topic holds partitions, and a partition is an ordered
// sequence of records numbered by offset. Records are appended in batches,
// acknowledged once fsynced (many concurrent appends share one fsync), read
// by offset or located by timestamp, and tailed with Wait. The package owns
// the on-disk format and crash recovery; it imports no other Weir package.
//
// # Files
//
//	<Dir>/~lock                                 lock file: one process per Dir
//	<Dir>/<topic>/topic.json                    TopicConfig (JSON, version 1)
//	<Dir>/<topic>/<partition>/<base>.log        a segment: batches back to back
//	<Dir>/<topic>/<partition>/<base>.index      sparse offset index (sealed segments)
//	<Dir>/<topic>/<partition>/<base>.timeindex  sparse time index (sealed segments)
//
// <base> is the segment's first offset as 20 zero-padded digits
// (00000000000000000000.log). Topic names follow Kafka's rule
// ([a-zA-Z0-9._-], at most 249 bytes), so the log's own names, which contain
// '~', cannot collide with them: a topic is built in <topic>~creating and
// renamed into place, and renamed to <topic>~deleting before it is removed;
// Open removes leftovers of either. A segment is rolled when the next batch
// would take it past SegmentBytes (a lone oversized batch still gets a
// segment), or when relative offsets would overflow 32 bits.
//
// # Record batch (Kafka's v2 RecordBatch, magic 2), big-endian
//
//	+-----+-----------------------------+------------------------------------------+
//	| at  | field                       | notes                                    |
//	+-----+-----------------------------+------------------------------------------+
//	|   0 | baseOffset           int64  | offset of the first record; not in CRC   |
//	|   8 | batchLength          int32  | bytes after this field                   |
//	|  12 | partitionLeaderEpoch int32  | 0; not in CRC                            |
//	|  16 | magic                int8   | 2                                        |
//	|  17 | crc                  uint32 | CRC-32C (Castagnoli) of bytes 21..end    |
//	|  21 | attributes           int16  | bits 0-2 compression: must be 0 (none)   |
//	|  23 | lastOffsetDelta      int32  | last offset - baseOffset                 |
//	|  27 | baseTimestamp        int64  | first record's timestamp (Unix ms)       |
//	|  35 | maxTimestamp         int64  | largest record timestamp (Unix ms)       |
//	|  43 | producerId           int64  | -1                                       |
//	|  51 | producerEpoch        int16  | -1                                       |
//	|  53 | baseSequence         int32  | -1                                       |
//	|  57 | records count        int32  |                                          |
//	|  61 | records                     | count records, back to back              |
//	+-----+-----------------------------+------------------------------------------+
//
// # Record (varint and varlong are zigzag-encoded, as in protobuf)
//
//	+-----------------------------+------------------------------------------------+
//	| field                       | notes                                          |
//	+-----------------------------+------------------------------------------------+
//	| length          varint      | bytes after this field                         |
//	| attributes      int8        | 0                                              |
//	| timestampDelta  varlong     | timestamp - baseTimestamp                      |
//	| offsetDelta     varint      | offset - baseOffset                            |
//	| keyLength       varint      | -1 = null key                                  |
//	| key             bytes       |                                                |
//	| valueLength     varint      | -1 = null value                                |
//	| value           bytes       |                                                |
//	| header count    varint      |                                                |
//	| headers                     | each: varint keyLength, key (never null),      |
//	|                             |       varint valueLength (-1 = null), value    |
//	+-----------------------------+------------------------------------------------+
//
// Segments hold these bytes exactly, so a Kafka wire-protocol server could
// send them without transcoding.
//
// # Indexes (big-endian, fixed width, sorted)
//
//	.index (8-byte entries)
//	+-------------------------+-------------------------+
//	| relative offset uint32  | position uint32         |
//	+-------------------------+-------------------------+
//
//	.timeindex (12-byte entries)
//	+-------------------------+-------------------------+
//	| timestamp int64         | relative offset uint32  |
//	+-------------------------+-------------------------+
//
// Relative offsets are from the segment's base offset. One offset entry, and
// one time entry if the largest timestamp so far grew, is made for the first
// batch written after every IndexIntervalBytes (4 KiB) of log: the offset
// entry maps that batch's base offset to its position; the time entry
// (T, r) states that every record before relative offset r has a timestamp
// <= T (timestamps in a segment need not be ordered). When a segment is
// sealed, a last time entry (max timestamp, end offset) is added, from which
// Open learns the segment's largest timestamp.
//
// # Invariants
//
//  1. Offsets are dense and increasing across a partition: every batch's
//     baseOffset is the previous batch's last offset + 1, and a segment's
//     base is the previous segment's end.
//  2. EndOffset only grows, and every offset below it is durable (fsynced, or
//     with SyncInterval > 0 written) and readable; Read and OffsetForTime see
//     nothing at or past it, so nothing is served before it is acknowledged.
//  3. Only the last (active) segment is ever written. A segment is sealed by
//     fsyncing its log, writing and fsyncing its indexes, then creating the
//     next segment and fsyncing the directory, in that order; so after a
//     crash every segment but the last is complete (and indexes that did
//     not survive are rebuilt, see 5).
//  4. A batch is never served unless its length, CRC and records check out;
//     otherwise Read fails with an error wrapping ErrCorrupt. A damaged batch
//     also blocks reads of the batches after it up to the next index entry,
//     since its length cannot be trusted. A damaged offset index costs time,
//     not correctness: the batch an entry leads to must have the entry's
//     offset, or the segment is scanned from its start.
//  5. Recovery (Open) rescans the active segment, keeping the longest prefix
//     of good batches with the expected offsets, and truncates the rest
//     (reported through Options.Logf); sealed segments are not rescanned,
//     but their indexes are checked and, if missing or inconsistent, rebuilt
//     from the batch headers.
//  6. Files and directories are created, renamed and removed only with a
//     directory fsync after, and all I/O goes through Options.FS.
//
// # Concurrency
//
// All methods are safe for concurrent use. Appends to one partition are
// serialized only around the write and fsync, which they share (group
// commit); reads never block appends for longer than an index lookup, and
// callbacks run with no lock held, so a callback may Append or Read.
//
// # Not yet implemented
//
// Retention (RetentionMs, RetentionBytes) and compaction (Compact) are
// stored in the topic configuration but not enforced. Segment files stay open
// while their partition is open (three descriptors per segment).
package log
