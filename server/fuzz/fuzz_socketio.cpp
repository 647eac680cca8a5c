// libFuzzer target for the Socket.IO decoder, as a server sees it: a string packet, possibly
// followed by binary attachments. Input layout: chunks separated by NUL bytes; the first chunk
// is the text packet, the others are fed as binary attachments (a NUL can never appear in a
// valid text packet, so nothing is lost on that side).
//
// Every packet that decodes must survive encode -> decode unchanged: otherwise the encoder
// and decoder disagree about the format and one of them is wrong. And the fast reader of the
// common event shape (scan_plain_event) must agree with the decoder wherever it accepts.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "realtime/protocol/socketio.hpp"

namespace sio = samwaad::realtime::protocol::socketio;

namespace {

void check(bool condition) {
  if (!condition) std::abort();
}

std::vector<std::string_view> split(std::string_view input) {
  std::vector<std::string_view> chunks;
  std::size_t start = 0;
  while (true) {
    std::size_t end = input.find('\0', start);
    chunks.push_back(input.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return chunks;
    start = end + 1;
  }
}

sio::DecoderOptions options() {
  sio::DecoderOptions o;
  o.accept_connect_error = true;  // decode every type, so every branch gets exercised
  return o;
}

// Encodes `packet` and decodes the result through a fresh Decoder.
void check_round_trip(const sio::Packet& packet) {
  sio::Encoded encoded = sio::encode(packet);
  sio::Decoder decoder(options());
  auto first = decoder.add_text(encoded.header);
  check(first.ok());
  std::optional<sio::Packet> whole = std::move(first).value();
  for (const auto& attachment : encoded.attachments) {
    check(!whole.has_value());
    auto next = decoder.add_binary(attachment);
    check(next.ok());
    whole = std::move(next).value();
  }
  check(whole.has_value() && *whole == packet);
}

// scan_plain_event must accept only what the decoder reads as the same
// event: a default-namespace EVENT [name, {key: string, ...}].
void check_plain_event(std::string_view text) {
  auto plain = sio::scan_plain_event(text);
  if (!plain) return;
  auto decoded = sio::decode_string(text, options());
  check(decoded.ok());
  const sio::Packet& packet = decoded.value();
  check(packet.type == sio::PacketType::event && packet.nsp == "/" && packet.id == plain->id);
  const auto& args = *packet.data;
  check(args.size() == 2 && args[0] == plain->name && args[1].is_object() &&
        args[1].size() == plain->fields.size());
  for (const auto& [key, value] : plain->fields) {
    auto it = args[1].find(std::string(key));
    check(it != args[1].end() && it->is_string() && *it == value);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> chunks = split(input);

  // The plain string parser on the whole input, NULs included.
  (void)sio::decode_string(input, options());
  check_plain_event(input);

  sio::Decoder decoder(options());
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    auto result = i == 0 ? decoder.add_text(chunks[i]) : decoder.add_binary(chunks[i]);
    if (!result) {
      check(!decoder.awaiting_attachments());
      return 0;
    }
    if (result->has_value()) {
      check_round_trip(**result);
      return 0;
    }
  }
  return 0;
}
