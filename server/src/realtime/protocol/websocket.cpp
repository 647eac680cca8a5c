#include "realtime/protocol/websocket.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <array>

#include "core/utf8.hpp"

namespace samwaad::realtime::protocol::websocket {

namespace {

constexpr std::string_view kHandshakeGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
constexpr std::size_t kMaxControlPayload = 125;

bool is_base64_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

// Codes a close frame may carry (RFC 6455 7.4; 1004-1006 and 1015 are never
// sent on the wire; 1012-1014 were registered later).
bool valid_close_code(uint16_t code) {
  if (code >= 3000 && code <= 4999) return true;
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014);
}

bool is_control(uint8_t opcode) { return (opcode & 0x8) != 0; }

}  // namespace

std::string accept_key(std::string_view client_key) {
  std::string input(client_key);
  input += kHandshakeGuid;
  std::array<unsigned char, SHA_DIGEST_LENGTH> digest{};
  SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest.data());
  std::array<unsigned char, 4 * ((SHA_DIGEST_LENGTH + 2) / 3) + 1> encoded{};
  const int n = EVP_EncodeBlock(encoded.data(), digest.data(), SHA_DIGEST_LENGTH);
  return {reinterpret_cast<const char*>(encoded.data()), static_cast<std::size_t>(n)};
}

bool valid_client_key(std::string_view key) {
  // 16 bytes: 22 significant characters and "==".
  if (key.size() != 24 || key.substr(22) != "==") return false;
  for (std::size_t i = 0; i < 22; ++i) {
    if (!is_base64_char(key[i])) return false;
  }
  return true;
}

void append_frame(std::string& out, Opcode opcode, std::string_view payload) {
  const std::size_t n = payload.size();
  out.push_back(static_cast<char>(0x80 | static_cast<uint8_t>(opcode)));  // FIN, no RSV
  if (n <= 125) {
    out.push_back(static_cast<char>(n));
  } else if (n <= 0xFFFF) {
    out.push_back(static_cast<char>(126));
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n & 0xFF));
  } else {
    out.push_back(static_cast<char>(127));
    for (int shift = 56; shift >= 0; shift -= 8) {
      out.push_back(static_cast<char>((static_cast<uint64_t>(n) >> shift) & 0xFF));
    }
  }
  out.append(payload);
}

void append_close(std::string& out, uint16_t code) {
  const char body[2] = {static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
  append_frame(out, Opcode::close, std::string_view(body, 2));
}

Event Reader::fail(CloseCode code) {
  failed_ = true;
  message_.clear();
  Event event;
  event.kind = Event::Kind::error;
  event.code = static_cast<uint16_t>(code);
  return event;
}

Event Reader::next(std::string_view& input) {
  if (failed_) return fail(CloseCode::protocol_error);
  for (;;) {
    if (input.size() < 2) return {};
    const auto b0 = static_cast<uint8_t>(input[0]);
    const auto b1 = static_cast<uint8_t>(input[1]);
    const bool fin = (b0 & 0x80) != 0;
    const uint8_t opcode = b0 & 0x0F;
    // Checked as soon as the first two bytes are in, so a bad frame is refused
    // before the server waits for (or buffers) its payload.
    if ((b0 & 0x70) != 0) return fail(CloseCode::protocol_error);  // no extension agreed
    if ((b1 & 0x80) == 0) return fail(CloseCode::protocol_error);  // clients must mask
    switch (static_cast<Opcode>(opcode)) {
      case Opcode::continuation:
        if (!in_message_) return fail(CloseCode::protocol_error);
        break;
      case Opcode::text:
      case Opcode::binary:
        if (in_message_) return fail(CloseCode::protocol_error);
        break;
      case Opcode::close:
      case Opcode::ping:
      case Opcode::pong:
        if (!fin) return fail(CloseCode::protocol_error);
        break;
      default: return fail(CloseCode::protocol_error);
    }
    uint64_t length = b1 & 0x7F;
    std::size_t header = 2;
    if (length == 126) {
      if (input.size() < 4) return {};
      length = (static_cast<uint64_t>(static_cast<uint8_t>(input[2])) << 8) |
               static_cast<uint8_t>(input[3]);
      header = 4;
    } else if (length == 127) {
      if (input.size() < 10) return {};
      length = 0;
      for (std::size_t i = 2; i < 10; ++i) length = (length << 8) | static_cast<uint8_t>(input[i]);
      if ((length >> 63) != 0) return fail(CloseCode::protocol_error);
      header = 10;
    }
    if (is_control(opcode)) {
      if (length > kMaxControlPayload) return fail(CloseCode::protocol_error);
    } else if (length > max_message_bytes_ || message_.size() + length > max_message_bytes_) {
      return fail(CloseCode::too_big);
    }
    if (input.size() - header < 4 + length) return {};
    const auto* mask = reinterpret_cast<const uint8_t*>(input.data() + header);
    std::string_view masked = input.substr(header + 4, static_cast<std::size_t>(length));
    input.remove_prefix(header + 4 + static_cast<std::size_t>(length));

    std::string payload_buffer;
    std::string& target = is_control(opcode) ? payload_buffer : message_;
    const std::size_t start = target.size();
    target.resize(start + masked.size());
    for (std::size_t i = 0; i < masked.size(); ++i) {
      target[start + i] = static_cast<char>(static_cast<uint8_t>(masked[i]) ^ mask[i & 3]);
    }

    Event event;
    switch (static_cast<Opcode>(opcode)) {
      case Opcode::ping:
        event.kind = Event::Kind::ping;
        event.payload = std::move(payload_buffer);
        return event;
      case Opcode::pong: event.kind = Event::Kind::pong; return event;
      case Opcode::close: {
        event.kind = Event::Kind::close;
        if (payload_buffer.empty()) {
          event.code = 1005;  // "no status received"
          return event;
        }
        if (payload_buffer.size() < 2) return fail(CloseCode::protocol_error);
        event.code = static_cast<uint16_t>((static_cast<uint8_t>(payload_buffer[0]) << 8) |
                                           static_cast<uint8_t>(payload_buffer[1]));
        if (!valid_close_code(event.code)) return fail(CloseCode::protocol_error);
        if (!is_valid_utf8(std::string_view(payload_buffer).substr(2))) {
          return fail(CloseCode::invalid_payload);
        }
        return event;
      }
      default: break;
    }
    // A data frame: the first one sets the message's type.
    if (!in_message_) {
      in_message_ = true;
      message_binary_ = static_cast<Opcode>(opcode) == Opcode::binary;
    }
    if (!fin) continue;  // more fragments follow: look at the next frame
    in_message_ = false;
    if (!message_binary_ && !is_valid_utf8(message_)) return fail(CloseCode::invalid_payload);
    event.kind = Event::Kind::message;
    event.binary = message_binary_;
    event.payload = std::move(message_);
    message_.clear();
    return event;
  }
}

}  // namespace samwaad::realtime::protocol::websocket
