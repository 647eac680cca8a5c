// libFuzzer target for the Engine.IO decoders: the long-polling POST body and WebSocket frames,
// both straight from the network. Besides "no crash, no sanitizer report", it checks that
// whatever decodes re-encodes to the very same bytes: the wire forms are canonical, so any
// difference means the decoder accepted something it misread.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "realtime/protocol/engineio.hpp"

namespace eio = samwaad::realtime::protocol::engineio;

namespace {

constexpr std::size_t kMaxPayload = 1 << 20;

void check(bool condition) {
  if (!condition) std::abort();
}

void polling(std::string_view body) {
  auto packets = eio::decode_polling_payload(body, kMaxPayload);
  if (!packets) return;
  auto encoded = eio::encode_polling_payload(packets.value());
  check(encoded.ok());
  check(encoded.value() == body);
  // A limit one byte short of the body must refuse it as too large, before any parsing.
  if (!body.empty()) {
    auto refused = eio::decode_polling_payload(body, body.size() - 1);
    check(!refused.ok() &&
          refused.error().kind == samwaad::realtime::protocol::ErrorKind::too_large);
  }
}

void ws_frame(std::string_view payload, bool binary) {
  auto packet = eio::decode_ws_frame(payload, binary);
  if (!packet) return;
  eio::WsFrame frame = eio::encode_ws_frame(packet.value());
  check(frame.binary == binary);
  check(frame.payload == payload);
}

void base64(std::string_view bytes) {
  auto decoded = eio::base64_decode(eio::base64_encode(bytes));
  check(decoded.has_value() && *decoded == bytes);
  if (auto raw = eio::base64_decode(bytes)) check(eio::base64_encode(*raw) == bytes);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // The first byte picks the decoder so one corpus exercises all of them.
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0: polling(input); break;
    case 1: ws_frame(input, false); break;
    case 2: ws_frame(input, true); break;
    default: base64(input); break;
  }
  return 0;
}
