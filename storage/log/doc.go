// Package log is Weir's durable, partitioned log, in Kafka's model: a Log
// holds topics, a topic holds partitions, and a partition is an ordered
// sequence of records numbered by offset. Records are appended in batches,
// acknowledged once fsynced (many concurrent appends share one fsync), read
// by offset or located by timestamp, and tailed with Wait. Retention deletes
// old segments, compaction keeps the latest record per key, and consumer
// groups' committed offsets are kept in an internal topic. The package owns
// the on-disk format and crash recovery; it imports no other Weir package.
//
// # Files
//
//	<Dir>/~lock                                 lock file: one process per Dir
//	<Dir>/<topic>/topic.json                    TopicConfig (JSON, version 1)
//	<Dir>/<topic>/topic.json.tmp                a new topic.json being written (SetConfig)
//	<Dir>/<topic>/<partition>/<base>.log        a segment: batches back to back
//	<Dir>/<topic>/<partition>/<base>.index      sparse offset index (sealed segments)
//	<Dir>/<topic>/<partition>/<base>.timeindex  sparse time index (sealed segments)
//	<Dir>/<topic>/<partition>/<base>.log.tmp    a torn tail being truncated (recovery)
//	<Dir>/<topic>/<partition>/<name>.cleaned    a compacted segment's .log, .index or
//	                                            .timeindex being written
//	<Dir>/<topic>/<partition>/<base>.log.swap   a compacted segment, committed, replacing
//	                                            the segments it was made from
//	<Dir>/__consumer_offsets/...                the internal topic of committed offsets
//
// <base> is the segment's first offset as 20 zero-padded digits
// (00000000000000000000.log). Topic names follow Kafka's rule
// ([a-zA-Z0-9._-], at most 249 bytes), so the log's own names, which contain
// '~', cannot collide with them: a topic is built in <topic>~creating and
// renamed into place, and renamed to <topic>~deleting before it is removed;
// Open removes leftovers of either. A segment is rolled when the next batch
// would take it past SegmentBytes (a lone oversized batch still gets a
// segment), or when relative offsets would overflow 32 bits. Open removes
// .tmp and .cleaned leftovers, and index files whose .log is gone, and
// finishes a committed .swap (see Compaction).
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
// # Committed offsets (__consumer_offsets, one partition, compacted)
//
//	key   (version 1)                     value (version 1; null = deleted)
//	+-------------------------------+     +-------------------------------+
//	| version    byte  1            |     | version   byte  1             |
//	| group      uvarint len, bytes |     | offset    varint (zigzag)     |
//	| topic      uvarint len, bytes |     +-------------------------------+
//	| partition  uvarint            |
//	+-------------------------------+
//
// One CommitOffsets call is one batch, so a crash keeps all of it or none.
// Open replays the topic into memory; FetchOffsets reads the memory.
// DropTopic writes tombstones for the dropped topic's offsets.
//
// # Retention
//
// A pass (EnforceRetention, or the background cleaner) deletes, per
// partition, the longest prefix of sealed segments each of which is expired
// (its largest timestamp is more than RetentionMs before now; an empty one
// counts as expired) or deletable by size (what remains is still at least
// RetentionBytes), as Kafka does. If that is every sealed segment and every
// record of the active segment has expired too, the active segment is
// rolled first so that it can be deleted. StartOffset becomes the first
// remaining segment's base.
//
// # Compaction
//
// A pass (Compact, or the background cleaner when at least half the sealed
// bytes are new or a kept tombstone has come of age) maps every key to its
// last offset, reading all published segments, then rewrites the sealed
// segments in groups of neighbours that fit in SegmentBytes. A record
// survives if its key is nil, or it is its key's last record and not a
// tombstone older than TombstoneRetentionMs (by its timestamp). A batch
// keeps its baseOffset, baseTimestamp and lastOffsetDelta, and its kept
// records keep their bytes; count, length, maxTimestamp and CRC are redone,
// and an emptied batch disappears. A group is swapped in like this:
//
//  1. write <base>.log.cleaned, <base>.index.cleaned and
//     <base>.timeindex.cleaned, and fsync them;
//  2. rename <base>.log.cleaned to <base>.log.swap, fsync the directory
//     (the commit point);
//  3. remove every file of the group's old segments;
//  4. rename the .cleaned indexes and then the .swap to their final names,
//     fsync the directory, and replace the group in the segment list.
//
// Open finishes a swap it finds: it reads the .swap (a damaged one is
// corruption), removes the segments whose base lies between the swap's base
// and its last offset (the old base included) and their indexes, and renames
// the swap into place; indexes are rebuilt. Old segments past the swap's
// last offset held only dropped records and may stay.
//
// # Invariants
//
//  1. Offsets increase across a partition: every batch's baseOffset is above
//     the previous batch's last offset, and a segment's base is at least
//     the previous segment's end. Where compaction has not rewritten a
//     segment, offsets are dense (baseOffset is the previous last offset +
//     1, a segment's base the previous segment's end); compaction leaves
//     gaps, never changes a kept record's offset, and never changes the
//     first segment's base, so only retention moves StartOffset.
//  2. EndOffset only grows, and every offset below it is durable (fsynced, or
//     with SyncInterval > 0 written) and readable; Read and OffsetForTime see
//     nothing at or past it, so nothing is served before it is acknowledged.
//  3. Only the last (active) segment is ever appended to, and a sealed
//     segment's files never change: compaction writes new ones and swaps
//     them in. A segment is sealed by fsyncing its log, writing and fsyncing
//     its indexes, then creating the next segment and fsyncing the
//     directory, in that order; so after a crash every segment but the last
//     is complete (and indexes that did not survive are rebuilt, see 5).
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
//  7. Retention and compaction never touch the active segment. Retention
//     removes segments oldest first with a directory fsync after each, so a
//     crash leaves a contiguous run of segments. Compaction drops a record
//     only if a later record of its key is published, or it is an expired
//     tombstone; after a crash at any point the partition holds either the
//     old segments or the compacted one (finished by Open), never a mix that
//     loses a kept record or repeats an offset.
//  8. A segment's files stay open while the segment list or any reader
//     refers to it (a reference count): a reader that started in a segment
//     that retention deleted or compaction replaced finishes reading it; a
//     Read that starts before StartOffset fails with ErrOffsetOutOfRange.
//
// # Concurrency
//
// All methods are safe for concurrent use. Appends to one partition are
// serialized only around the write and fsync, which they share (group
// commit); reads never block appends for longer than an index lookup, and
// callbacks run with no lock held, so a callback may Append or Read.
// Retention and compaction passes on a partition run one at a time; they
// scan, rewrite and delete files without blocking appends or reads, and
// take the append and segment locks only to change the segment list. Close
// and DropTopic stop a pass under way at its next batch. The background
// cleaner is one goroutine per Log, every Options.CleanupInterval.
//
// # Limits
//
// Segment files stay open while their segment is in use (three descriptors
// per segment); compaction merges small segments, retention deletes old
// ones. A compaction pass holds every distinct key of the partition in
// memory (Kafka bounds this with a fixed-size map of key hashes and cleans
// in several passes). Which sealed segments are already clean is not
// persisted, so the first background pass after Open compacts every
// compacted partition in full. A tombstone's age is its record timestamp,
// not (as in Kafka since KIP-534) the time it was first cleaned.
package log
