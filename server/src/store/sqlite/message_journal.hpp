// An append-only log of records that must survive a crash the moment they are
// acknowledged, written sequentially and synced in groups.
//
// Why: a message committed into SQLite before its ack dirties several b-tree
// pages (the table, the conversation index, the idempotency index, …) at
// scattered places, and a commit writes and syncs each whole page. At 10,000
// messages/s that was ~2 pages (8 KB) per message and 17 ms per commit round
// (docs/benchmarks.md). A journal record is the message itself (~200 bytes),
// appended at the end of one file: a round syncs a few KB. SQLite gets the
// same records later, in large batches that write each hot page once for many
// messages; until then the journal is what makes them durable.
//
// Records live in two segment files used in turn. New records go to the
// active one; when it has grown past `segment_bytes` and the other one holds
// nothing still needed (every record in it is at or below what `release` was
// told), that other one is overwritten from its start and becomes active. Each
// record is framed as [payload length u32][crc32 of seq and payload u32]
// [seq u64][payload], little-endian, and seqs only grow, so recovery stops at
// a torn tail, at zeros, and at the older records a reused segment still
// holds past the new ones.
//
// If the process dies before a reused segment's first new record is on
// disk, recovery finds that segment's older records again: all of them were
// released (durable in SQLite), and applying a message twice changes nothing
// as long as nothing deletes messages or users. Zero the head before reuse
// (one more sync per segment) the day something does.
//
// Files are extended ahead of the records, with zeros written (not
// fallocate's unwritten extents, whose first write is a metadata change too):
// a sync of records written inside the file's length flushes data only,
// whereas an append that grows the file also commits the file system's
// journal (the new length) on every sync.
//
// One writer thread at a time (append, release); not thread-safe by itself.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.hpp"

namespace samwaad::store::sqlite_detail {

class MessageJournal {
 public:
  struct Record {
    uint64_t seq = 0;
    std::string payload;
  };

  // Opens (creating if missing) `base_path` + "-0" and "-1" and takes an
  // exclusive lock on them. Throws std::runtime_error if they cannot be
  // opened, and JournalBusy if another process holds them.
  explicit MessageJournal(std::string base_path, std::size_t segment_bytes = 8u << 20);
  ~MessageJournal();
  MessageJournal(const MessageJournal&) = delete;
  MessageJournal& operator=(const MessageJournal&) = delete;

  struct JournalBusy : std::runtime_error {
    using std::runtime_error::runtime_error;
  };

  // Every intact record of both segments, in seq order. Call once, before the
  // first append; the next append continues after the highest seq found and
  // overwrites any torn tail.
  std::vector<Record> recover();

  // Appends the payloads as consecutive records and syncs them to disk;
  // returns the seq of the last one (0 if `payloads` is empty). Throws
  // std::runtime_error if the write or the sync fails (the records must then
  // be treated as not written).
  uint64_t append(const std::vector<std::string>& payloads);

  // Records at or below `seq` are durable elsewhere and need not be kept.
  void release(uint64_t seq);

  // Empties both segments (everything recovered is durable elsewhere).
  void reset();

 private:
  struct Segment {
    int fd = -1;
    std::size_t size = 0;       // bytes of intact records
    std::size_t allocated = 0;  // the file's length: records, then zeros or older records
    uint64_t last_seq = 0;      // highest seq in it, 0 if none
  };
  void truncate(Segment& segment);
  // Makes the file at least `end` bytes long, plus room for the next records.
  void extend(Segment& segment, std::size_t end);

  std::string base_path_;
  std::size_t segment_bytes_;
  Segment segments_[2];
  int active_ = 0;
  uint64_t next_seq_ = 1;
  uint64_t released_ = 0;
};

// A stored message as a journal payload, and back. decode_message throws
// std::runtime_error for a payload encode_message did not write.
std::string encode_message(const Message& message);
Message decode_message(std::string_view payload);

}  // namespace samwaad::store::sqlite_detail
