#include "realtime/protocol/socketio.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "core/utf8.hpp"

namespace samwaad::realtime::protocol::socketio {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxAckIdDigits = 15;
// More digits than any sane attachment bound, few enough that the count cannot overflow.
constexpr std::size_t kMaxAttachmentDigits = 6;
constexpr std::string_view kPlaceholderKey = "_placeholder";
constexpr std::string_view kNumKey = "num";

// Event names the reference parser refuses: they would collide with the library's own events.
constexpr std::array<std::string_view, 6> kReservedEvents = {
    "connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool is_binary_type(PacketType type) {
  return type == PacketType::binary_event || type == PacketType::binary_ack;
}

std::string dump(const json& value) {
  // replace, not strict: a server-side string with bad UTF-8 must not turn into an exception
  // halfway through sending a message.
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

// ---- encoding ----

json placeholder(std::size_t num) { return json{{kPlaceholderKey, true}, {kNumKey, num}}; }

void deconstruct(json& value, std::vector<std::string>& attachments) {
  if (value.is_binary()) {
    const auto& bytes = value.get_binary();
    attachments.emplace_back(bytes.begin(), bytes.end());
    value = placeholder(attachments.size() - 1);
  } else if (value.is_structured()) {
    for (auto& child : value) deconstruct(child, attachments);
  }
}

std::string encode_header(const Packet& packet, std::size_t attachments) {
  std::string out(1, static_cast<char>('0' + static_cast<int>(packet.type)));
  if (is_binary_type(packet.type)) {
    out += std::to_string(attachments);
    out.push_back('-');
  }
  if (!packet.nsp.empty() && packet.nsp != "/") {
    out += packet.nsp;
    out.push_back(',');
  }
  if (packet.id) out += std::to_string(*packet.id);
  if (packet.data) out += dump(*packet.data);
  return out;
}

// ---- decoding: one field at a time, `pos` advancing over what was consumed ----

struct Reader {
  std::string_view text;
  std::size_t pos = 0;

  bool at_end() const { return pos >= text.size(); }
  char peek() const { return at_end() ? '\0' : text[pos]; }
  std::string_view digits() {
    std::size_t start = pos;
    while (!at_end() && is_digit(text[pos])) ++pos;
    return text.substr(start, pos - start);
  }
};

std::uint64_t to_number(std::string_view digits) {
  std::uint64_t n = 0;
  for (char c : digits) n = n * 10 + static_cast<std::uint64_t>(c - '0');
  return n;
}

Result<PacketType> read_type(Reader& in, const DecoderOptions& options) {
  char c = in.peek();
  if (c < '0' || c > '6') return malformed("unknown packet type");
  ++in.pos;
  auto type = static_cast<PacketType>(c - '0');
  if (type == PacketType::connect_error && !options.accept_connect_error) {
    return malformed("CONNECT_ERROR is only sent by servers");
  }
  return type;
}

Result<std::size_t> read_attachments(Reader& in, const DecoderOptions& options) {
  std::string_view digits = in.digits();
  if (digits.empty() || in.peek() != '-') return malformed("illegal attachments");
  ++in.pos;
  if (digits.size() > kMaxAttachmentDigits || to_number(digits) > options.max_attachments) {
    return too_large("too many attachments");
  }
  return static_cast<std::size_t>(to_number(digits));
}

// The namespace runs to the next ',' (or the end, which some clients send for a bare
// DISCONNECT/CONNECT such as "1/admin").
Result<std::string> read_namespace(Reader& in, const DecoderOptions& options) {
  if (in.peek() != '/') return std::string("/");
  std::size_t comma = in.text.find(',', in.pos);
  std::size_t end = comma == std::string_view::npos ? in.text.size() : comma;
  std::string_view nsp = in.text.substr(in.pos, end - in.pos);
  in.pos = comma == std::string_view::npos ? end : comma + 1;
  if (nsp.size() > options.max_namespace_bytes) return too_large("namespace too long");
  if (!is_valid_utf8(nsp) || has_control_chars(nsp, false)) return malformed("invalid namespace");
  return std::string(nsp);
}

Result<std::optional<std::uint64_t>> read_ack_id(Reader& in) {
  std::string_view digits = in.digits();
  if (digits.empty()) return std::optional<std::uint64_t>{};
  if (digits.size() > kMaxAckIdDigits) return malformed("ack id too large");
  return std::optional<std::uint64_t>{to_number(digits)};
}

// Deepest array/object nesting, counted before parsing because the JSON library recurses when
// it prints, compares and walks values: a hostile "[[[[…" must be refused up front.
std::size_t nesting_depth(std::string_view text) {
  std::size_t depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

Result<std::optional<json>> read_payload(Reader& in, const DecoderOptions& options) {
  if (in.at_end()) return std::optional<json>{};
  std::string_view text = in.text.substr(in.pos);
  in.pos = in.text.size();
  // The JSON parser stops at a NUL as if the input ended there, which would let trailing junk
  // through; NUL is never valid outside a JSON string and never raw inside one.
  if (text.find('\0') != std::string_view::npos) return malformed("NUL byte in payload");
  if (nesting_depth(text) > options.max_depth) return too_large("payload nested too deeply");
  json value = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return malformed("invalid JSON payload");
  return std::optional<json>{std::move(value)};
}

bool is_event_payload(const std::optional<json>& data) {
  if (!data || !data->is_array() || data->empty() || !(*data)[0].is_string()) return false;
  const auto& name = (*data)[0].get_ref<const std::string&>();
  return std::find(kReservedEvents.begin(), kReservedEvents.end(), name) == kReservedEvents.end();
}

// What the spec and the reference server require of each type, from a client.
std::optional<Error> check_shape(const Packet& packet) {
  bool has_id = packet.id.has_value();
  const auto& data = packet.data;
  switch (packet.type) {
    case PacketType::connect:
      if (has_id) return malformed("CONNECT takes no ack id");
      if (data && !data->is_object()) return malformed("CONNECT payload must be an object");
      return std::nullopt;
    case PacketType::disconnect:
      if (has_id || data) return malformed("DISCONNECT takes no ack id or payload");
      return std::nullopt;
    case PacketType::event:
    case PacketType::binary_event:
      if (!is_event_payload(data)) {
        return malformed("EVENT payload must be an array starting with an event name");
      }
      return std::nullopt;
    case PacketType::ack:
    case PacketType::binary_ack:
      if (!has_id) return malformed("ACK needs an ack id");
      if (!data || !data->is_array()) return malformed("ACK payload must be an array");
      return std::nullopt;
    case PacketType::connect_error:
      if (has_id) return malformed("CONNECT_ERROR takes no ack id");
      if (!data || !data->is_object()) return malformed("CONNECT_ERROR payload must be an object");
      return std::nullopt;
  }
  return malformed("unknown packet type");
}

// A placeholder is what the reference parser treats as one: an object whose "_placeholder" is
// true. Ours must also be exactly {"_placeholder":true,"num":k}.
bool is_placeholder(const json& value) {
  if (!value.is_object()) return false;
  auto it = value.find(kPlaceholderKey);
  return it != value.end() && it->is_boolean() && it->get<bool>();
}

std::optional<std::size_t> placeholder_num(const json& value, std::size_t attachments) {
  if (value.size() != 2) return std::nullopt;
  auto it = value.find(kNumKey);
  if (it == value.end() || !it->is_number_unsigned()) return std::nullopt;
  auto num = it->get<std::uint64_t>();
  if (num >= attachments) return std::nullopt;
  return static_cast<std::size_t>(num);
}

// Each attachment must be referenced exactly once: a repeated index would let one large
// buffer be copied into the payload many times over.
bool collect_placeholders(const json& value, std::vector<bool>& seen) {
  if (is_placeholder(value)) {
    auto num = placeholder_num(value, seen.size());
    if (!num || seen[*num]) return false;
    seen[*num] = true;
    return true;
  }
  if (!value.is_structured()) return true;
  for (const auto& child : value) {
    if (!collect_placeholders(child, seen)) return false;
  }
  return true;
}

std::optional<Error> check_placeholders(const Packet& packet) {
  std::vector<bool> seen(packet.attachments, false);
  if (packet.data && !collect_placeholders(*packet.data, seen)) {
    return malformed("illegal attachment placeholder");
  }
  if (std::find(seen.begin(), seen.end(), false) != seen.end()) {
    return malformed("attachment without placeholder");
  }
  return std::nullopt;
}

// Placeholders were validated when the header arrived, so every one has its buffer.
void reconstruct(json& value, std::vector<std::string>& buffers) {
  if (is_placeholder(value)) {
    auto& bytes = buffers[value[kNumKey].get<std::size_t>()];
    value = json::binary(json::binary_t::container_type(bytes.begin(), bytes.end()));
    bytes.clear();
    bytes.shrink_to_fit();
  } else if (value.is_structured()) {
    for (auto& child : value) reconstruct(child, buffers);
  }
}

Packet finish_binary(Packet packet, std::vector<std::string>& buffers) {
  if (packet.data) reconstruct(*packet.data, buffers);
  // Like the reference decoder: callers see EVENT/ACK whether or not binary was involved.
  packet.type = packet.type == PacketType::binary_event ? PacketType::event : PacketType::ack;
  packet.attachments = 0;
  return packet;
}

}  // namespace

std::string_view type_name(PacketType type) {
  switch (type) {
    case PacketType::connect: return "CONNECT";
    case PacketType::disconnect: return "DISCONNECT";
    case PacketType::event: return "EVENT";
    case PacketType::ack: return "ACK";
    case PacketType::connect_error: return "CONNECT_ERROR";
    case PacketType::binary_event: return "BINARY_EVENT";
    case PacketType::binary_ack: return "BINARY_ACK";
  }
  return "UNKNOWN";
}

Encoded encode(Packet packet) {
  Encoded out;
  bool carries_binary = packet.type == PacketType::event || packet.type == PacketType::ack ||
                        is_binary_type(packet.type);
  if (packet.data && carries_binary) deconstruct(*packet.data, out.attachments);
  if (!out.attachments.empty()) {
    if (packet.type == PacketType::event) packet.type = PacketType::binary_event;
    if (packet.type == PacketType::ack) packet.type = PacketType::binary_ack;
  }
  out.header = encode_header(packet, out.attachments.size());
  return out;
}

std::vector<engineio::Packet> to_engineio(Encoded encoded) {
  std::vector<engineio::Packet> packets;
  packets.reserve(1 + encoded.attachments.size());
  packets.push_back(
      engineio::Packet::text(engineio::PacketType::message, std::move(encoded.header)));
  for (auto& bytes : encoded.attachments) {
    packets.push_back(engineio::Packet::bytes(std::move(bytes)));
  }
  return packets;
}

std::string dump_json(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

engineio::Packet encode_event(std::string_view name, std::string_view argument_json,
                              std::optional<std::uint64_t> ack_id) {
  const std::string quoted_name = dump_json(nlohmann::json(name));
  std::string out;
  out.reserve(quoted_name.size() + argument_json.size() + 24);
  out += '2';
  if (ack_id) out += std::to_string(*ack_id);
  out += '[';
  out += quoted_name;
  out += ',';
  out += argument_json;
  out += ']';
  return engineio::Packet::text(engineio::PacketType::message, std::move(out));
}

engineio::Packet encode_ack(std::uint64_t ack_id, std::string_view argument_json) {
  std::string out;
  out.reserve(argument_json.size() + 20);
  out += '3';
  out += std::to_string(ack_id);
  out += '[';
  out += argument_json;
  out += ']';
  return engineio::Packet::text(engineio::PacketType::message, std::move(out));
}

// Hand-written, as the Socket.IO packet reader above is: the shape is fixed
// and small, and a JSON library's parse is what this is here to avoid.
std::optional<PlainEvent> scan_plain_event(std::string_view text) {
  std::size_t i = 0;
  const auto accept = [&](char c) {
    if (i >= text.size() || text[i] != c) return false;
    ++i;
    return true;
  };
  // A JSON string without escapes or control characters, valid UTF-8 (as
  // the JSON parser requires).
  const auto plain_string = [&](std::string_view& out) {
    if (!accept('"')) return false;
    const std::size_t begin = i;
    bool ascii = true;
    for (; i < text.size(); ++i) {
      const auto c = static_cast<unsigned char>(text[i]);
      if (c == '"') break;
      if (c == '\\' || c < 0x20) return false;
      ascii = ascii && c < 0x80;
    }
    if (i >= text.size()) return false;
    out = text.substr(begin, i - begin);
    ++i;
    return ascii || is_valid_utf8(out);
  };
  if (!accept('2')) return std::nullopt;  // EVENT; a namespace would follow as "/…,"
  PlainEvent event;
  const std::size_t digits = i;
  while (i < text.size() && is_digit(text[i])) ++i;
  if (i > digits) {
    if (i - digits > kMaxAckIdDigits) return std::nullopt;
    event.id = to_number(text.substr(digits, i - digits));
  }
  if (!accept('[') || !plain_string(event.name) || !accept(',') || !accept('{')) {
    return std::nullopt;
  }
  // The decoder refuses the names Socket.IO keeps for itself.
  if (std::find(kReservedEvents.begin(), kReservedEvents.end(), event.name) !=
      kReservedEvents.end()) {
    return std::nullopt;
  }
  if (!accept('}')) {
    do {
      std::string_view key;
      std::string_view value;
      if (!plain_string(key) || !accept(':') || !plain_string(value)) return std::nullopt;
      for (const auto& field : event.fields) {
        if (field.first == key) return std::nullopt;  // which one counts is the parser's call
      }
      event.fields.emplace_back(key, value);
    } while (accept(','));
    if (!accept('}')) return std::nullopt;
  }
  if (!accept(']') || i != text.size()) return std::nullopt;
  return event;
}

Result<Packet> decode_string(std::string_view text, const DecoderOptions& options) {
  Reader in{text};
  Packet packet;

  auto type = read_type(in, options);
  if (!type) return type.error();
  packet.type = *type;

  if (is_binary_type(packet.type)) {
    auto attachments = read_attachments(in, options);
    if (!attachments) return attachments.error();
    packet.attachments = *attachments;
  }

  auto nsp = read_namespace(in, options);
  if (!nsp) return nsp.error();
  packet.nsp = std::move(nsp).value();

  auto id = read_ack_id(in);
  if (!id) return id.error();
  packet.id = *id;

  auto data = read_payload(in, options);
  if (!data) return data.error();
  packet.data = std::move(data).value();

  if (auto error = check_shape(packet)) return *error;
  if (is_binary_type(packet.type)) {
    if (auto error = check_placeholders(packet)) return *error;
  }
  return packet;
}

Result<std::optional<Packet>> Decoder::add_text(std::string_view text) {
  if (pending_) {
    reset();
    return malformed("text packet while waiting for binary attachments");
  }
  auto decoded = decode_string(text, options_);
  if (!decoded) return decoded.error();
  Packet packet = std::move(decoded).value();
  if (!is_binary_type(packet.type)) return std::optional<Packet>{std::move(packet)};
  if (packet.attachments == 0) {
    std::vector<std::string> none;
    return std::optional<Packet>{finish_binary(std::move(packet), none)};
  }
  buffers_.clear();
  buffers_.reserve(packet.attachments);
  pending_ = std::move(packet);
  return std::optional<Packet>{};
}

Result<std::optional<Packet>> Decoder::add_binary(std::string_view bytes) {
  if (!pending_) return malformed("binary data outside a binary packet");
  buffers_.emplace_back(bytes);
  if (buffers_.size() < pending_->attachments) return std::optional<Packet>{};
  Packet packet = std::move(*pending_);
  std::vector<std::string> buffers = std::move(buffers_);
  reset();
  return std::optional<Packet>{finish_binary(std::move(packet), buffers)};
}

Result<std::optional<Packet>> Decoder::add(const engineio::Packet& message) {
  if (message.binary) return add_binary(message.data);
  if (message.type != engineio::PacketType::message) {
    return malformed("only Engine.IO message packets carry Socket.IO packets");
  }
  return add_text(message.data);
}

void Decoder::reset() {
  pending_.reset();
  buffers_.clear();
}

}  // namespace samwaad::realtime::protocol::socketio
