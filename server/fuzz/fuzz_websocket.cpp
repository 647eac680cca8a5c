// libFuzzer target for the RFC 6455 frame reader: bytes straight from a client's socket.
// Besides "no crash, no sanitizer report", it checks that the reader gives the same events
// however the bytes are cut into reads (TCP may deliver them in any pieces), and that a
// message it accepts stays within the limit and, as text, is UTF-8.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "core/utf8.hpp"
#include "realtime/protocol/websocket.hpp"

namespace ws = samwaad::realtime::protocol::websocket;

namespace {

constexpr std::size_t kMaxMessage = 4096;

void check(bool condition) {
  if (!condition) std::abort();
}

struct Seen {
  ws::Event::Kind kind;
  bool binary;
  std::string payload;
  uint16_t code;
  bool operator==(const Seen&) const = default;
};

// Feeds `bytes` in pieces of at most `piece` bytes, as a socket would, keeping what the
// reader leaves unconsumed for the next read.
std::vector<Seen> read(std::string_view bytes, std::size_t piece) {
  ws::Reader reader(kMaxMessage);
  std::vector<Seen> seen;
  std::string pending;
  std::size_t offset = 0;
  while (offset < bytes.size()) {
    const std::size_t n = std::min(piece, bytes.size() - offset);
    pending.append(bytes.substr(offset, n));
    offset += n;
    std::string_view input(pending);
    for (;;) {
      ws::Event event = reader.next(input);
      if (event.kind == ws::Event::Kind::need_more) break;
      if (event.kind == ws::Event::Kind::message) {
        check(event.payload.size() <= kMaxMessage);
        if (!event.binary) check(samwaad::is_valid_utf8(event.payload));
      }
      seen.push_back({event.kind, event.binary, event.payload, event.code});
      if (event.kind == ws::Event::Kind::error) return seen;
    }
    pending.erase(0, pending.size() - input.size());
  }
  return seen;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // The first byte picks how the rest is cut into reads.
  const std::size_t piece = 1 + data[0] % 64;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  check(read(input, input.size() + 1) == read(input, piece));
  return 0;
}
