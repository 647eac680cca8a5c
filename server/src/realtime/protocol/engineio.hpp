// Engine.IO protocol v4 codec, server side (docs/engine.io-protocol/v4-current.md in
// github.com/socketio/socket.io).
//
// There is no C++ server library for Socket.IO / Engine.IO, so Samwaad carries its own. This
// layer is pure: bytes in, packets out and back, with no sockets, timers or Asio/Beast types,
// so it can be unit-tested and fuzzed in isolation. Sessions, heartbeats and upgrades live in
// the transport code that calls it.
//
// Wire forms handled here:
//   WebSocket:     one packet per frame; "<type digit>[data]" in a text frame, or a binary
//                  message as the raw bytes of a binary frame.
//   Long-polling:  packets joined by '\x1e'; a binary message becomes "b" + base64(bytes).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "realtime/protocol/result.hpp"

namespace samwaad::realtime::protocol::engineio {

inline constexpr int kProtocolVersion = 4;  // the EIO=4 query parameter
inline constexpr char kRecordSeparator = '\x1e';

enum class PacketType : std::uint8_t {
  open = 0,
  close = 1,
  ping = 2,
  pong = 3,
  message = 4,
  upgrade = 5,
  noop = 6,
};

std::string_view type_name(PacketType type);

// One Engine.IO packet. Binary data only exists on message packets (the wire has no way to say
// "binary ping"), so encoders treat a packet with binary == true as a message whatever its type;
// use Packet::bytes() to build one.
struct Packet {
  PacketType type = PacketType::message;
  std::string data;  // UTF-8 text, or raw bytes when binary
  bool binary = false;

  static Packet text(PacketType type, std::string data = {}) {
    return {type, std::move(data), false};
  }
  static Packet bytes(std::string data) { return {PacketType::message, std::move(data), true}; }

  friend bool operator==(const Packet&, const Packet&) = default;
};

// A WebSocket message as the transport should send it.
struct WsFrame {
  std::string payload;
  bool binary = false;

  friend bool operator==(const WsFrame&, const WsFrame&) = default;
};

WsFrame encode_ws_frame(const Packet& packet);

// `binary` is the WebSocket opcode of the received message. A text frame must be a type digit
// followed by optional data; a binary frame is always a message carrying those bytes.
Result<Packet> decode_ws_frame(std::string_view payload, bool binary);

// The body of a long-polling GET response. Fails only if a text packet contains '\x1e', which
// the format cannot carry (Socket.IO's JSON never does: control characters are escaped).
Result<std::string> encode_polling_payload(std::span<const Packet> packets);

// The body of a long-polling POST. A body over `max_payload` bytes is ErrorKind::too_large
// (answer 413); an empty body, an empty record, an unknown type or bad base64 is malformed.
Result<std::vector<Packet>> decode_polling_payload(std::string_view body, std::size_t max_payload);

// What the server announces in its open packet.
struct Handshake {
  std::string sid;
  // ["websocket"] for a polling session; empty once the session already runs on WebSocket.
  std::vector<std::string> upgrades{"websocket"};
  std::uint64_t ping_interval_ms = 25000;
  std::uint64_t ping_timeout_ms = 20000;
  std::uint64_t max_payload = 1000000;
};

// {"sid":…,"upgrades":[…],"pingInterval":…,"pingTimeout":…,"maxPayload":…}, keys in the
// spec's order.
std::string handshake_json(const Handshake& handshake);
Packet open_packet(const Handshake& handshake);

// Standard base64 (RFC 4648 §4) with padding. Decoding is strict: length a multiple of four,
// padding only at the end, no whitespace, and zero bits in the unused tail (canonical form).
std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace samwaad::realtime::protocol::engineio
