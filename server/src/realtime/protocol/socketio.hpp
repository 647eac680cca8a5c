// Socket.IO protocol v5 codec, server side (docs/socket.io-protocol/v5-current.md in
// github.com/socketio/socket.io), the default parser's string format:
//
//   <type>[<attachments>-][<namespace>,][<ack id>][<JSON payload>]  + binary attachments
//
// There is no C++ server library for Socket.IO, so Samwaad writes its own; this part only
// turns strings and byte buffers into packets and back (no I/O). Every Socket.IO packet rides
// in an Engine.IO message packet; binary attachments ride in the binary messages that follow.
//
// The decoder follows the reference parser (socket.io-parser), stricter where the spec says
// MUST (EVENT payload a non-empty array, ACK payload an array with an ack id, DISCONNECT
// without payload) and where leniency would cost memory or CPU (bounded ack ids, attachment
// counts, namespace length and JSON depth; each attachment used exactly once). Event names
// must be strings and not one of the names the reference parser reserves ("connect",
// "disconnect", ...). Binary values are nlohmann::json binary values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "realtime/protocol/engineio.hpp"
#include "realtime/protocol/result.hpp"

namespace samwaad::realtime::protocol::socketio {

inline constexpr int kProtocolVersion = 5;

enum class PacketType : std::uint8_t {
  connect = 0,
  disconnect = 1,
  event = 2,
  ack = 3,
  connect_error = 4,
  binary_event = 5,
  binary_ack = 6,
};

std::string_view type_name(PacketType type);

// 15 decimal digits: the largest ids a JavaScript peer can hold exactly (< 2^53) with room
// to spare, and a bound that keeps the digit scan trivial.
inline constexpr std::uint64_t kMaxAckId = 999'999'999'999'999;

struct Packet {
  PacketType type = PacketType::event;
  std::string nsp = "/";
  std::optional<nlohmann::json> data;
  std::optional<std::uint64_t> id;
  // Set by decode_string() on BINARY_EVENT/BINARY_ACK headers; encode() computes its own.
  std::size_t attachments = 0;

  friend bool operator==(const Packet&, const Packet&) = default;
};

// What encode() produces: the string packet, then the attachments in placeholder order.
struct Encoded {
  std::string header;
  std::vector<std::string> attachments;
};

// Binary values (json::binary) anywhere in the data are replaced by
// {"_placeholder":true,"num":k} and moved to `attachments`; an EVENT or ACK carrying any
// becomes BINARY_EVENT or BINARY_ACK, as the reference encoder does. Never throws: strings
// with invalid UTF-8 are written with U+FFFD instead.
Encoded encode(Packet packet);

// The Engine.IO packets that carry `encoded`: a text message, then one binary message per
// attachment.
std::vector<engineio::Packet> to_engineio(Encoded encoded);

// Fast paths for what a server sends most: an EVENT with one argument, or an ACK with one
// argument, to the default namespace, from JSON already serialized (`argument_json` must be
// valid JSON without binary values). The same bytes as to_engineio(encode(...)) of the
// equivalent packet, without building a JSON tree per frame.
engineio::Packet encode_event(std::string_view name, std::string_view argument_json,
                              std::optional<std::uint64_t> ack_id = std::nullopt);
engineio::Packet encode_ack(std::uint64_t ack_id, std::string_view argument_json);
// `value` serialized as these encoders expect it (invalid UTF-8 written as U+FFFD).
std::string dump_json(const nlohmann::json& value);

struct DecoderOptions {
  std::size_t max_attachments = 10;  // the reference server's default
  std::size_t max_namespace_bytes = 256;
  std::size_t max_depth = 32;  // nesting of arrays/objects in the JSON payload
  // CONNECT_ERROR only flows server → client, so a server refuses it; tests and client-side
  // tools can opt in.
  bool accept_connect_error = false;
};

// An EVENT to the default namespace whose arguments are a name and one flat
// object of plain strings (no escapes, no control characters), as
// `42<id>["send-message",{"to":"…","text":"…","clientId":"…"}]`: the shape of
// nearly every packet a chat client sends. scan_plain_event reads it without
// building a JSON document (the parse was the I/O thread's largest cost,
// docs/benchmarks.md); for anything else it returns nullopt and the caller
// uses Decoder, which gives the same event for every text this accepts
// (tested, and checked by the Socket.IO fuzz target).
struct PlainEvent {
  std::optional<std::uint64_t> id;
  std::string_view name;
  // Views into the text, in the order sent; no key twice.
  std::vector<std::pair<std::string_view, std::string_view>> fields;
};
std::optional<PlainEvent> scan_plain_event(std::string_view text);

// Parses one string packet. For BINARY_EVENT/BINARY_ACK the result still holds placeholders,
// `attachments` says how many buffers follow, and the placeholders have been checked against
// it. Use Decoder to get whole packets.
Result<Packet> decode_string(std::string_view text, const DecoderOptions& options = {});

// Turns the stream of Engine.IO messages of one connection into Socket.IO packets, gluing the
// binary attachments that follow a binary header into its data. After an error the state is
// reset; the caller should close the connection, as the reference server does.
class Decoder {
 public:
  explicit Decoder(DecoderOptions options = {}) : options_(options) {}

  // nullopt: the packet is a binary header still waiting for attachments. A reconstructed
  // packet comes out as EVENT or ACK, with json::binary values where the placeholders were.
  Result<std::optional<Packet>> add_text(std::string_view text);
  Result<std::optional<Packet>> add_binary(std::string_view bytes);
  Result<std::optional<Packet>> add(const engineio::Packet& message);

  bool awaiting_attachments() const { return pending_.has_value(); }
  void reset();

 private:
  DecoderOptions options_;
  std::optional<Packet> pending_;
  std::vector<std::string> buffers_;
};

}  // namespace samwaad::realtime::protocol::socketio
