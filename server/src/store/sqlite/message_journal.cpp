#include "store/sqlite/message_journal.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace samwaad::store::sqlite_detail {
namespace {

static_assert(std::endian::native == std::endian::little,
              "the journal's framing is written as the machine's integers");

constexpr std::size_t kHeaderBytes = 16;  // length u32, crc u32, seq u64
// A record larger than this is not one we wrote (message fields are bounded
// far below it): the bytes are a torn or foreign tail.
constexpr uint32_t kMaxPayloadBytes = 64u << 20;

[[noreturn]] void fail_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), "journal: " + what);
}

uint32_t checksum(uint64_t seq, std::string_view payload) {
  uLong crc = crc32(0L, Z_NULL, 0);
  crc = crc32(crc, reinterpret_cast<const Bytef*>(&seq), sizeof seq);
  // zlib takes the length as uInt; payloads are far below 4 GB.
  crc =
      crc32(crc, reinterpret_cast<const Bytef*>(payload.data()), static_cast<uInt>(payload.size()));
  return static_cast<uint32_t>(crc);
}

template <typename T>
void put(std::string& out, T value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof value);
}

template <typename T>
T get(std::string_view in, std::size_t at) {
  T value;
  std::memcpy(&value, in.data() + at, sizeof value);
  return value;
}

std::string read_all(int fd) {
  std::string data;
  char buffer[1 << 16];
  off_t offset = 0;
  for (;;) {
    const ssize_t n = ::pread(fd, buffer, sizeof buffer, offset);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail_errno("read");
    }
    if (n == 0) return data;
    data.append(buffer, static_cast<std::size_t>(n));
    offset += n;
  }
}

void write_all(int fd, std::string_view data, off_t offset) {
  while (!data.empty()) {
    const ssize_t n = ::pwrite(fd, data.data(), data.size(), offset);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail_errno("write");
    }
    data.remove_prefix(static_cast<std::size_t>(n));
    offset += n;
  }
}

// The directory entry of a new file must be on disk too, or a crash could
// leave synced records in a file that no longer has a name.
void sync_directory(const std::string& file) {
  auto dir = std::filesystem::path(file).parent_path();
  if (dir.empty()) dir = ".";
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail_errno("open directory " + dir.string());
  const int rc = ::fsync(fd);
  const int saved = errno;
  ::close(fd);
  if (rc != 0) {
    errno = saved;
    fail_errno("sync directory " + dir.string());
  }
}

}  // namespace

MessageJournal::MessageJournal(std::string base_path, std::size_t segment_bytes)
    : base_path_(std::move(base_path)), segment_bytes_(segment_bytes) {
  for (int i = 0; i < 2; ++i) {
    const std::string path = base_path_ + "-" + std::to_string(i);
    segments_[i].fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (segments_[i].fd < 0) {
      const int saved = errno;
      if (i == 1) ::close(segments_[0].fd);
      errno = saved;
      fail_errno("open " + path);
    }
  }
  // Two processes appending to one journal would interleave their records;
  // the lock is released by the kernel if this process dies.
  if (::flock(segments_[0].fd, LOCK_EX | LOCK_NB) != 0) {
    const int saved = errno;
    ::close(segments_[0].fd);
    ::close(segments_[1].fd);
    if (saved == EWOULDBLOCK) {
      throw JournalBusy("journal: " + base_path_ + " is in use by another process");
    }
    errno = saved;
    fail_errno("lock " + base_path_);
  }
  for (auto& segment : segments_) {
    struct stat st {};
    if (::fstat(segment.fd, &st) != 0) fail_errno("stat " + base_path_);
    segment.allocated = static_cast<std::size_t>(st.st_size);
  }
  sync_directory(base_path_);
}

MessageJournal::~MessageJournal() {
  for (auto& segment : segments_) {
    if (segment.fd >= 0) ::close(segment.fd);
  }
}

std::vector<MessageJournal::Record> MessageJournal::recover() {
  std::vector<Record> records;
  for (auto& segment : segments_) {
    const std::string data = read_all(segment.fd);
    std::size_t at = 0;
    uint64_t previous = 0;
    while (data.size() - at >= kHeaderBytes) {
      const auto length = get<uint32_t>(data, at);
      const auto crc = get<uint32_t>(data, at + 4);
      const auto seq = get<uint64_t>(data, at + 8);
      if (length > kMaxPayloadBytes || data.size() - at - kHeaderBytes < length) break;
      const std::string_view payload(data.data() + at + kHeaderBytes, length);
      if (seq <= previous || checksum(seq, payload) != crc) break;
      records.push_back({seq, std::string(payload)});
      previous = seq;
      at += kHeaderBytes + length;
    }
    segment.size = at;
    segment.last_seq = previous;
    // Cut what follows (zeros, a torn record, older records), so that no
    // record can follow what is appended next unless it is newer.
    if (at != data.size() && ::ftruncate(segment.fd, static_cast<off_t>(at)) != 0) {
      fail_errno("truncate " + base_path_);
    }
    segment.allocated = at;
  }
  std::sort(records.begin(), records.end(),
            [](const Record& a, const Record& b) { return a.seq < b.seq; });
  active_ = segments_[1].last_seq > segments_[0].last_seq ? 1 : 0;
  if (!records.empty()) next_seq_ = records.back().seq + 1;
  return records;
}

void MessageJournal::truncate(Segment& segment) {
  if (::ftruncate(segment.fd, 0) != 0) fail_errno("truncate " + base_path_);
  segment.size = 0;
  segment.allocated = 0;
  segment.last_seq = 0;
}

void MessageJournal::extend(Segment& segment, std::size_t end) {
  if (end <= segment.allocated) return;
  // A megabyte holds ~5,000 messages: one sync in that many grows the file.
  const std::size_t step = std::min<std::size_t>(std::size_t{1} << 20, segment_bytes_);
  const std::size_t target = end + step;
  static const std::string zeros(std::size_t{64} << 10, '\0');
  // [allocated, end) is about to hold the records themselves.
  for (std::size_t at = end; at < target; at += zeros.size()) {
    write_all(segment.fd, std::string_view(zeros).substr(0, std::min(zeros.size(), target - at)),
              static_cast<off_t>(at));
  }
  segment.allocated = target;
}

uint64_t MessageJournal::append(const std::vector<std::string>& payloads) {
  if (payloads.empty()) return 0;
  Segment* segment = &segments_[active_];
  Segment& other = segments_[1 - active_];
  if (segment->size >= segment_bytes_ && other.last_seq <= released_) {
    // Overwritten from the start, not truncated: its length stays allocated.
    other.size = 0;
    other.last_seq = 0;
    active_ = 1 - active_;
    segment = &other;
  }
  std::string buffer;
  std::size_t total = 0;
  for (const auto& payload : payloads) total += kHeaderBytes + payload.size();
  buffer.reserve(total);
  uint64_t seq = next_seq_;
  for (const auto& payload : payloads) {
    if (payload.size() > kMaxPayloadBytes) throw std::runtime_error("journal: record too large");
    put<uint32_t>(buffer, static_cast<uint32_t>(payload.size()));
    put<uint32_t>(buffer, checksum(seq, payload));
    put<uint64_t>(buffer, seq);
    buffer += payload;
    ++seq;
  }
  extend(*segment, segment->size + buffer.size());
  write_all(segment->fd, buffer, static_cast<off_t>(segment->size));
  if (::fdatasync(segment->fd) != 0) fail_errno("sync " + base_path_);
  segment->size += buffer.size();
  segment->last_seq = seq - 1;
  next_seq_ = seq;
  return seq - 1;
}

void MessageJournal::release(uint64_t seq) { released_ = std::max(released_, seq); }

void MessageJournal::reset() {
  truncate(segments_[0]);
  truncate(segments_[1]);
  active_ = 0;
  released_ = next_seq_ - 1;
}

// --- Message payloads: a version byte, then the fields in a fixed order.

namespace {
constexpr char kMessageVersion = 1;

void put_text(std::string& out, std::string_view text) {
  put<uint32_t>(out, static_cast<uint32_t>(text.size()));
  out += text;
}

void put_optional_text(std::string& out, const std::optional<std::string>& text) {
  out += static_cast<char>(text ? 1 : 0);
  if (text) put_text(out, *text);
}

void put_optional_integer(std::string& out, const std::optional<int64_t>& value) {
  out += static_cast<char>(value ? 1 : 0);
  if (value) put<int64_t>(out, *value);
}

class Cursor {
 public:
  explicit Cursor(std::string_view in) : in_(in) {}
  template <typename T>
  T integer() {
    need(sizeof(T));
    auto value = get<T>(in_, at_);
    at_ += sizeof(T);
    return value;
  }
  std::string text() {
    const auto length = integer<uint32_t>();
    need(length);
    std::string value(in_.substr(at_, length));
    at_ += length;
    return value;
  }
  bool flag() {
    const auto value = integer<char>();
    if (value != 0 && value != 1) throw std::runtime_error("journal: malformed message record");
    return value == 1;
  }
  std::optional<std::string> optional_text() {
    if (!flag()) return std::nullopt;
    return text();
  }
  std::optional<int64_t> optional_integer() {
    if (!flag()) return std::nullopt;
    return integer<int64_t>();
  }
  bool at_end() const { return at_ == in_.size(); }

 private:
  void need(std::size_t bytes) const {
    if (in_.size() - at_ < bytes) throw std::runtime_error("journal: truncated message record");
  }
  std::string_view in_;
  std::size_t at_ = 0;
};
}  // namespace

std::string encode_message(const Message& m) {
  std::string out;
  out.reserve(128 + m.id.size() + m.conversation_id.size() + m.from.size() + m.to.size() +
              (m.text ? m.text->size() : 0) + (m.image_json ? m.image_json->size() : 0) +
              (m.call_json ? m.call_json->size() : 0) + (m.client_id ? m.client_id->size() : 0));
  out += kMessageVersion;
  put_text(out, m.id);
  put_text(out, m.conversation_id);
  put_text(out, m.from);
  put_text(out, m.to);
  put_optional_text(out, m.text);
  put_optional_text(out, m.image_json);
  put_optional_text(out, m.call_json);
  put_optional_text(out, m.client_id);
  put_optional_integer(out, m.delivered_ms);
  put_optional_integer(out, m.read_ms);
  put<int64_t>(out, m.created_ms);
  return out;
}

Message decode_message(std::string_view payload) {
  Cursor in(payload);
  if (in.integer<char>() != kMessageVersion) {
    throw std::runtime_error("journal: unknown message record version");
  }
  Message m;
  m.id = in.text();
  m.conversation_id = in.text();
  m.from = in.text();
  m.to = in.text();
  m.text = in.optional_text();
  m.image_json = in.optional_text();
  m.call_json = in.optional_text();
  m.client_id = in.optional_text();
  m.delivered_ms = in.optional_integer();
  m.read_ms = in.optional_integer();
  m.created_ms = in.integer<int64_t>();
  if (!in.at_end()) throw std::runtime_error("journal: trailing bytes in message record");
  return m;
}

}  // namespace samwaad::store::sqlite_detail
