#include "realtime/protocol/engineio.hpp"

#include <array>
#include <nlohmann/json.hpp>

namespace samwaad::realtime::protocol::engineio {
namespace {

constexpr char kBase64Prefix = 'b';
constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char type_digit(PacketType type) { return static_cast<char>('0' + static_cast<int>(type)); }

std::optional<PacketType> type_from_digit(char c) {
  if (c < '0' || c > '6') return std::nullopt;
  return static_cast<PacketType>(c - '0');
}

// -1 for anything outside the alphabet, including '=' (handled separately).
constexpr std::array<int, 256> make_decode_table() {
  std::array<int, 256> table{};
  for (auto& v : table) v = -1;
  for (std::size_t i = 0; i < kAlphabet.size(); ++i) {
    table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int>(i);
  }
  return table;
}
constexpr std::array<int, 256> kDecodeTable = make_decode_table();

int sextet(char c) { return kDecodeTable[static_cast<unsigned char>(c)]; }

std::string encode_text(const Packet& packet) {
  std::string out;
  out.reserve(packet.data.size() + 1);
  out.push_back(type_digit(packet.type));
  out += packet.data;
  return out;
}

// One record of a polling body: "<digit>[data]" or "b<base64>".
Result<Packet> decode_record(std::string_view record) {
  if (record.empty()) return malformed("empty packet");
  if (record.front() == kBase64Prefix) {
    auto bytes = base64_decode(record.substr(1));
    if (!bytes) return malformed("invalid base64 in binary packet");
    return Packet::bytes(std::move(*bytes));
  }
  auto type = type_from_digit(record.front());
  if (!type) return malformed("unknown packet type");
  return Packet::text(*type, std::string(record.substr(1)));
}

}  // namespace

std::string_view type_name(PacketType type) {
  switch (type) {
    case PacketType::open: return "open";
    case PacketType::close: return "close";
    case PacketType::ping: return "ping";
    case PacketType::pong: return "pong";
    case PacketType::message: return "message";
    case PacketType::upgrade: return "upgrade";
    case PacketType::noop: return "noop";
  }
  return "unknown";
}

WsFrame encode_ws_frame(const Packet& packet) {
  // Binary travels untouched over WebSocket; the frame opcode is what marks it as binary.
  if (packet.binary) return {packet.data, true};
  return {encode_text(packet), false};
}

Result<Packet> decode_ws_frame(std::string_view payload, bool binary) {
  if (binary) return Packet::bytes(std::string(payload));
  if (payload.empty()) return malformed("empty packet");
  // No "b"+base64 here: v4 clients send binary as binary frames, so a text frame starting
  // with 'b' is not something a conforming peer produces.
  auto type = type_from_digit(payload.front());
  if (!type) return malformed("unknown packet type");
  return Packet::text(*type, std::string(payload.substr(1)));
}

Result<std::string> encode_polling_payload(std::span<const Packet> packets) {
  std::string out;
  for (std::size_t i = 0; i < packets.size(); ++i) {
    const Packet& packet = packets[i];
    if (i != 0) out.push_back(kRecordSeparator);
    if (packet.binary) {
      out.push_back(kBase64Prefix);
      out += base64_encode(packet.data);
      continue;
    }
    if (packet.data.find(kRecordSeparator) != std::string::npos) {
      return malformed("text packet contains the record separator");
    }
    out += encode_text(packet);
  }
  return out;
}

Result<std::vector<Packet>> decode_polling_payload(std::string_view body, std::size_t max_payload) {
  // Checked before any work so an oversized body costs nothing beyond having been read.
  if (body.size() > max_payload) return too_large("payload exceeds maxPayload");
  std::vector<Packet> packets;
  std::size_t start = 0;
  while (true) {
    std::size_t end = body.find(kRecordSeparator, start);
    std::string_view record =
        body.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    auto packet = decode_record(record);
    if (!packet) return packet.error();
    packets.push_back(std::move(packet).value());
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return packets;
}

std::string handshake_json(const Handshake& handshake) {
  // ordered_json keeps the spec's key order, which makes the output easy to compare by eye.
  nlohmann::ordered_json j;
  j["sid"] = handshake.sid;
  j["upgrades"] = handshake.upgrades;
  j["pingInterval"] = handshake.ping_interval_ms;
  j["pingTimeout"] = handshake.ping_timeout_ms;
  j["maxPayload"] = handshake.max_payload;
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

Packet open_packet(const Handshake& handshake) {
  return Packet::text(PacketType::open, handshake_json(handshake));
}

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  auto byte = [&](std::size_t k) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[k]));
  };
  for (; i + 3 <= bytes.size(); i += 3) {
    std::uint32_t n = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    out.push_back(kAlphabet[n >> 18 & 63]);
    out.push_back(kAlphabet[n >> 12 & 63]);
    out.push_back(kAlphabet[n >> 6 & 63]);
    out.push_back(kAlphabet[n & 63]);
  }
  std::size_t rest = bytes.size() - i;
  if (rest == 0) return out;
  std::uint32_t n = byte(i) << 16 | (rest == 2 ? byte(i + 1) << 8 : 0);
  out.push_back(kAlphabet[n >> 18 & 63]);
  out.push_back(kAlphabet[n >> 12 & 63]);
  out.push_back(rest == 2 ? kAlphabet[n >> 6 & 63] : '=');
  out.push_back('=');
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::size_t padding = 0;
  if (!text.empty() && text.back() == '=') padding = text[text.size() - 2] == '=' ? 2 : 1;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    bool last = i + 4 == text.size();
    std::size_t pad_here = last ? padding : 0;
    std::uint32_t n = 0;
    for (std::size_t k = 0; k < 4; ++k) {
      if (k >= 4 - pad_here) {
        n <<= 6;
        continue;
      }
      int v = sextet(text[i + k]);
      if (v < 0) return std::nullopt;  // also catches '=' in the middle
      n = n << 6 | static_cast<std::uint32_t>(v);
    }
    out.push_back(static_cast<char>(n >> 16 & 0xff));
    if (pad_here < 2) out.push_back(static_cast<char>(n >> 8 & 0xff));
    if (pad_here < 1) out.push_back(static_cast<char>(n & 0xff));
    // Bits the padding hides must be zero, or two texts would decode to the same bytes.
    std::uint32_t hidden = pad_here == 2 ? (n & 0xffff) : pad_here == 1 ? (n & 0xff) : 0;
    if (hidden != 0) return std::nullopt;
  }
  return out;
}

}  // namespace samwaad::realtime::protocol::engineio
