#include "realtime/protocol/socketio.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <ostream>
#include <string>
#include <vector>

namespace samwaad::realtime::protocol::socketio {

// Readable failure messages (found by gtest through ADL, so outside the anonymous namespace).
void PrintTo(const Packet& p, std::ostream* os) {
  *os << type_name(p.type) << " nsp=" << p.nsp;
  if (p.id) *os << " id=" << *p.id;
  if (p.data) *os << " data=" << p.data->dump();
  if (p.attachments) *os << " attachments=" << p.attachments;
}

namespace {

using nlohmann::json;
using namespace std::string_literals;

json bin(std::vector<std::uint8_t> bytes) { return json::binary(std::move(bytes)); }

Packet make(PacketType type, std::string nsp, std::optional<json> data = std::nullopt,
            std::optional<std::uint64_t> id = std::nullopt) {
  Packet p;
  p.type = type;
  p.nsp = std::move(nsp);
  p.data = std::move(data);
  p.id = id;
  return p;
}

DecoderOptions as_client() {
  DecoderOptions options;
  options.accept_connect_error = true;
  return options;
}

Packet decode_ok(std::string_view text, const DecoderOptions& options = {}) {
  auto result = decode_string(text, options);
  EXPECT_TRUE(result.ok()) << text << ": " << (result.ok() ? "" : result.error().message);
  return result.ok() ? result.value() : Packet{};
}

// Feeds header + attachments through a Decoder and expects one whole packet at the end.
Packet decode_whole(const Encoded& encoded, const DecoderOptions& options = {}) {
  Decoder decoder(options);
  auto first = decoder.add_text(encoded.header);
  EXPECT_TRUE(first.ok()) << encoded.header << ": " << (first.ok() ? "" : first.error().message);
  if (!first.ok()) return {};
  if (first->has_value()) {
    EXPECT_TRUE(encoded.attachments.empty());
    return **first;
  }
  for (std::size_t i = 0; i < encoded.attachments.size(); ++i) {
    auto next = decoder.add_binary(encoded.attachments[i]);
    EXPECT_TRUE(next.ok());
    if (!next.ok()) return {};
    bool last = i + 1 == encoded.attachments.size();
    EXPECT_EQ(next->has_value(), last);
    if (last && next->has_value()) return **next;
  }
  ADD_FAILURE() << "no packet came out";
  return {};
}

// ---- spec: "Packet encoding" / "Examples" — every encoded string in the document ----

struct Example {
  Packet packet;
  std::string header;
  std::vector<std::string> attachments;
};

std::vector<Example> spec_examples() {
  const std::string b1234("\x01\x02\x03\x04", 4);
  return {
      // Connection to a namespace
      {make(PacketType::connect, "/"), "0", {}},
      {make(PacketType::connect, "/admin", json{{"sid", "oSO0OpakMV_3jnilAAAA"}}),
       R"(0/admin,{"sid":"oSO0OpakMV_3jnilAAAA"})",
       {}},
      {make(PacketType::connect_error, "/", json{{"message", "Not authorized"}}),
       R"(4{"message":"Not authorized"})",
       {}},
      // Sending and receiving data
      {make(PacketType::event, "/", json{"foo"}), R"(2["foo"])", {}},
      {make(PacketType::event, "/admin", json{"bar"}), R"(2/admin,["bar"])", {}},
      {make(PacketType::binary_event, "/", json{"baz", bin({1, 2, 3, 4})}),
       R"(51-["baz",{"_placeholder":true,"num":0}])",
       {b1234}},
      {make(PacketType::binary_event, "/admin", json{"baz", bin({1, 2}), bin({3, 4})}),
       R"(52-/admin,["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])",
       {"\x01\x02"s, "\x03\x04"s}},
      // Acknowledgement
      {make(PacketType::event, "/", json{"foo"}, 12), R"(212["foo"])", {}},
      {make(PacketType::ack, "/admin", json{"bar"}, 13), R"(3/admin,13["bar"])", {}},
      {make(PacketType::binary_ack, "/", json{"bar", bin({1, 2, 3, 4})}, 15),
       R"(61-15["bar",{"_placeholder":true,"num":0}])",
       {b1234}},
      // Disconnection from a namespace
      {make(PacketType::disconnect, "/"), "1", {}},
      {make(PacketType::disconnect, "/admin"), "1/admin,", {}},
      // "Exchange protocol" and "Sample session" examples not repeated above
      {make(PacketType::ack, "/", json::array(), 12), "312[]", {}},
      {make(PacketType::event, "/admin", json{"foo"}, 13), R"(2/admin,13["foo"])", {}},
      {make(PacketType::connect, "/admin", json{{"token", "123"}}),
       R"(0/admin,{"token":"123"})",
       {}},
      {make(PacketType::connect, "/", json{{"sid", "wZX3oN0bSVIhsaknAAAI"}}),
       R"(0{"sid":"wZX3oN0bSVIhsaknAAAI"})",
       {}},
      {make(PacketType::event, "/", json{"hey", "Jude"}), R"(2["hey","Jude"])", {}},
      {make(PacketType::event, "/", json{"hello"}), R"(2["hello"])", {}},
      {make(PacketType::connect, "/admin"), "0/admin,", {}},
      {make(PacketType::connect, "/admin", json{{"sid", "-G5j-67EZFp-q59rADQM"}}),
       R"(0/admin,{"sid":"-G5j-67EZFp-q59rADQM"})",
       {}},
      {make(PacketType::event, "/admin", json{"tellme"}, 1), R"(2/admin,1["tellme"])", {}},
      {make(PacketType::binary_ack, "/admin", json::array({bin({0xde, 0xad})}), 1),
       R"(61-/admin,1[{"_placeholder":true,"num":0}])",
       {"\xde\xad"s}},
  };
}

TEST(SocketIoEncode, SpecExamples) {
  for (const auto& example : spec_examples()) {
    Encoded encoded = encode(example.packet);
    EXPECT_EQ(encoded.header, example.header);
    EXPECT_EQ(encoded.attachments, example.attachments) << example.header;
  }
}

TEST(SocketIoEncode, EventWithBinaryBecomesBinaryEvent) {
  // The spec's { type: BINARY_EVENT, data: ["baz", <Buffer>] } as an application would emit it.
  Encoded encoded = encode(make(PacketType::event, "/", json{"baz", bin({1, 2, 3, 4})}));
  EXPECT_EQ(encoded.header, R"(51-["baz",{"_placeholder":true,"num":0}])");
  Encoded ack = encode(make(PacketType::ack, "/", json{"bar", bin({1})}, 15));
  EXPECT_EQ(ack.header, R"(61-15["bar",{"_placeholder":true,"num":0}])");
}

TEST(SocketIoEncode, NestedBinaryInObjects) {
  json data = {"file", {{"name", "a.png"}, {"parts", {bin({1}), bin({2})}}}};
  Encoded encoded = encode(make(PacketType::event, "/", data, 7));
  EXPECT_EQ(encoded.header, R"(52-7["file",{"name":"a.png","parts":[{"_placeholder":true,"num":0},)"
                            R"({"_placeholder":true,"num":1}]}])");
  EXPECT_EQ(encoded.attachments, (std::vector<std::string>{"\x01"s, "\x02"s}));
}

TEST(SocketIoEncode, WrappedInEngineIoMessages) {
  // "{ type: EVENT, namespace: "/", data: ["foo"] } will be sent as 42["foo"]"
  auto packets = to_engineio(encode(make(PacketType::event, "/", json{"foo"})));
  ASSERT_EQ(packets.size(), 1u);
  EXPECT_EQ(engineio::encode_ws_frame(packets[0]).payload, R"(42["foo"])");

  // Sample session: 461-/admin,1[{"_placeholder":true,"num":0}] then <binary>
  auto binary = to_engineio(encode(make(PacketType::ack, "/admin", json::array({bin({9})}), 1)));
  ASSERT_EQ(binary.size(), 2u);
  EXPECT_EQ(engineio::encode_ws_frame(binary[0]),
            (engineio::WsFrame{R"(461-/admin,1[{"_placeholder":true,"num":0}])", false}));
  EXPECT_EQ(engineio::encode_ws_frame(binary[1]), (engineio::WsFrame{"\x09"s, true}));
}

TEST(SocketIoEncode, InvalidUtf8DoesNotThrow) {
  Packet p = make(PacketType::event, "/", json{"x", "bad \xff byte"});
  Encoded encoded;
  EXPECT_NO_THROW(encoded = encode(p));
  EXPECT_EQ(encoded.header, "2[\"x\",\"bad \xEF\xBF\xBD byte\"]");
}

// ---- decoding the spec's examples ----

TEST(SocketIoDecode, SpecExamplesRoundTrip) {
  for (const auto& example : spec_examples()) {
    Packet expected = example.packet;
    // The reconstructed packet is EVENT/ACK, as the reference decoder reports it.
    if (expected.type == PacketType::binary_event) expected.type = PacketType::event;
    if (expected.type == PacketType::binary_ack) expected.type = PacketType::ack;
    EXPECT_EQ(decode_whole({example.header, example.attachments}, as_client()), expected)
        << example.header;
  }
}

TEST(SocketIoDecode, ClientPacketsFromTheSpec) {
  EXPECT_EQ(decode_ok("0"), make(PacketType::connect, "/"));
  EXPECT_EQ(decode_ok("0/admin,"), make(PacketType::connect, "/admin"));
  EXPECT_EQ(decode_ok(R"(0/admin,{"token":"123"})"),
            make(PacketType::connect, "/admin", json{{"token", "123"}}));
  EXPECT_EQ(decode_ok(R"(2["foo"])"), make(PacketType::event, "/", json{"foo"}));
  EXPECT_EQ(decode_ok(R"(212["foo"])"), make(PacketType::event, "/", json{"foo"}, 12));
  EXPECT_EQ(decode_ok(R"(3/admin,13["bar"])"), make(PacketType::ack, "/admin", json{"bar"}, 13));
  EXPECT_EQ(decode_ok(R"(2/admin,1["tellme"])"),
            make(PacketType::event, "/admin", json{"tellme"}, 1));
  EXPECT_EQ(decode_ok("1"), make(PacketType::disconnect, "/"));
  EXPECT_EQ(decode_ok("1/admin,"), make(PacketType::disconnect, "/admin"));
}

TEST(SocketIoDecode, BinaryHeaderKeepsPlaceholders) {
  Packet header = decode_ok(R"(51-["baz",{"_placeholder":true,"num":0}])");
  EXPECT_EQ(header.type, PacketType::binary_event);
  EXPECT_EQ(header.attachments, 1u);
  EXPECT_EQ((*header.data)[1], json({{"_placeholder", true}, {"num", 0}}));
}

TEST(SocketIoDecode, NamespaceWithoutTrailingComma) {
  // Not what socket.io-client writes, but the reference parser reads it (python-socketio
  // writes it for packets without payload).
  EXPECT_EQ(decode_ok("1/admin"), make(PacketType::disconnect, "/admin"));
  EXPECT_EQ(decode_ok("0/admin"), make(PacketType::connect, "/admin"));
}

TEST(SocketIoDecode, AckIdBounds) {
  EXPECT_EQ(decode_ok(R"(2999999999999999["a"])").id, kMaxAckId);
  EXPECT_FALSE(decode_string(R"(21000000000000000["a"])").ok());  // 16 digits
  EXPECT_FALSE(decode_string(R"(29007199254740993["a"])").ok());  // > 2^53
  EXPECT_EQ(decode_ok(R"(20["a"])").id, 0u);
}

TEST(SocketIoDecode, ConnectErrorOnlyWhenAllowed) {
  EXPECT_FALSE(decode_string(R"(4{"message":"Not authorized"})").ok());
  EXPECT_EQ(decode_ok(R"(4{"message":"Not authorized"})", as_client()),
            make(PacketType::connect_error, "/", json{{"message", "Not authorized"}}));
}

TEST(SocketIoDecode, AttachmentLimit) {
  auto placeholders = [](int n) {
    json data = json::array({"e"});
    for (int i = 0; i < n; ++i) data.push_back(bin({static_cast<std::uint8_t>(i)}));
    return encode(make(PacketType::event, "/", data));
  };
  Encoded ten = placeholders(10);
  Packet whole = decode_whole(ten);
  EXPECT_EQ((*whole.data)[10], bin({9}));

  auto eleven = decode_string(placeholders(11).header);
  ASSERT_FALSE(eleven.ok());
  EXPECT_EQ(eleven.error().kind, ErrorKind::too_large);
}

TEST(SocketIoDecode, BinaryWithZeroAttachmentsComesOutAtOnce) {
  Decoder decoder;
  auto result = decoder.add_text(R"(50-["a"])");
  ASSERT_TRUE(result.ok());
  ASSERT_TRUE(result->has_value());
  EXPECT_EQ(**result, make(PacketType::event, "/", json{"a"}));
  EXPECT_FALSE(decoder.awaiting_attachments());
}

TEST(SocketIoDecode, PlaceholderInPlainEventStaysJson) {
  // Only binary packets have attachments; elsewhere this is ordinary data.
  Packet p = decode_ok(R"(2["a",{"_placeholder":true,"num":0}])");
  EXPECT_TRUE((*p.data)[1].is_object());
}

TEST(SocketIoDecode, NonPlaceholderUnderscoreObjectIsData) {
  Packet p =
      decode_whole({R"(51-["a",{"_placeholder":false},{"_placeholder":true,"num":0}])", {"z"}});
  EXPECT_EQ((*p.data)[1], json({{"_placeholder", false}}));
  EXPECT_EQ((*p.data)[2], bin({'z'}));
}

TEST(SocketIoDecode, ThroughEngineIoPackets) {
  Decoder decoder;
  auto packets = to_engineio(encode(make(PacketType::event, "/", json{"up", bin({1, 2})}, 3)));
  ASSERT_EQ(packets.size(), 2u);
  auto first = decoder.add(packets[0]);
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(first->has_value());
  EXPECT_TRUE(decoder.awaiting_attachments());
  auto second = decoder.add(packets[1]);
  ASSERT_TRUE(second.ok());
  ASSERT_TRUE(second->has_value());
  EXPECT_EQ(**second, make(PacketType::event, "/", json{"up", bin({1, 2})}, 3));

  EXPECT_FALSE(decoder.add(engineio::Packet::text(engineio::PacketType::ping)).ok());
}

// ---- round trips ----

TEST(SocketIoRoundTrip, AssortedPackets) {
  const std::vector<Packet> packets = {
      make(PacketType::connect, "/"),
      make(PacketType::connect, "/chat", json{{"auth", {{"token", "t.o.k"}}}}),
      make(PacketType::disconnect, "/chat"),
      make(PacketType::event, "/", json{"send-message", {{"to", "abc"}, {"text", "héllo \"x\""}}},
           0),
      make(PacketType::event, "/", json{"typing", {{"to", "abc"}, {"active", false}}}),
      make(PacketType::ack, "/", json::array({{{"ok", true}}}), 999999999999999),
      make(PacketType::ack, "/", json::array(), 1),
      make(PacketType::event, "/", json{"ctl", "\x1e\x01\n"}),
      make(PacketType::event, "/x", json{"blob", bin({}), {{"k", bin({0, 255})}}}, 42),
      make(PacketType::ack, "/", json::array({bin({7, 7, 7})}), 5),
      make(PacketType::connect_error, "/", json{{"message", "unauthorized"}}),
  };
  for (const auto& packet : packets) {
    Encoded encoded = encode(packet);
    EXPECT_EQ(encoded.header.find('\x1e'), std::string::npos);  // safe for long-polling
    EXPECT_EQ(decode_whole(encoded, as_client()), packet) << encoded.header;
  }
}

// ---- malformed input: every entry must be an error value, never a crash ----

TEST(SocketIoDecode, MalformedStrings) {
  const std::string deep = "2[\"a\"," + std::string(100, '[') + std::string(100, ']') + "]";
  const std::string long_nsp = "2/" + std::string(300, 'n') + ",[\"a\"]";
  // One case per line reads better than a packed table.
  // clang-format off
  const std::vector<std::string> inputs = {
      ""s,
      "7"s,                       // unknown type
      R"(9["a"])"s,               // unknown type
      "a"s,
      "-"s,
      R"( 2["a"])"s,              // leading space
      // CONNECT
      "0[]"s,                     // payload not an object
      R"(0"x")"s,
      "0null"s,
      "0{"s,                      // broken JSON
      "0/admin,5{}"s,             // ack id on CONNECT
      "0{}x"s,                    // trailing junk
      // DISCONNECT
      "1{}"s,                     // DISCONNECT has no payload
      "1[]"s,
      "15"s,                      // ... and no ack id
      R"(1/admin,"bye")"s,
      // EVENT
      "2"s,                       // payload missing
      "2/admin,"s,
      "2[]"s,                     // empty array
      "2{}"s,                     // not an array
      "2[1]"s,                    // event name not a string
      "2[null]"s,
      R"(2[["a"]])"s,
      R"(2"foo")"s,
      R"(2["foo")"s,              // unterminated
      R"(2["foo"]x)"s,            // trailing junk
      R"(2["foo"],)"s,
      R"(2["connect"])"s,         // reserved event names
      R"(2["disconnect"])"s,
      R"(2["newListener"])"s,
      R"(2admin,["a"])"s,         // namespace without '/'
      R"(2,["a"])"s,
      "212"s,                     // ack id but no payload
      R"(2-1["a"])"s,
      "2[\"\xff\"]"s,              // invalid UTF-8 inside JSON
      "2[\"a\"]\0"s,               // trailing NUL
      "2[\"a\"]\0junk"s,           // NUL, then junk the JSON parser would not see
      R"(2["a",NaN])"s,
      R"(2["a",1e999])"s,         // number overflow
      R"(2["a",/*c*/1])"s,        // comments are not JSON
      "2/a\x01" "b,[\"a\"]"s,      // control character in namespace
      "2/\xff,[\"a\"]"s,           // invalid UTF-8 in namespace
      R"(21234567890123456["a"])"s,         // 16-digit ack id
      R"(299999999999999999999999["a"])"s,  // ack id past 2^64
      deep,                       // nesting beyond max_depth
      long_nsp,                   // namespace beyond max_namespace_bytes
      // ACK
      "3[]"s,                     // no ack id
      "3"s,
      "312"s,                     // no payload
      "312{}"s,                   // payload not an array
      R"(312"x")"s,
      // CONNECT_ERROR from a client
      R"(4{"message":"x"})"s,
      "4"s,
      // BINARY_EVENT / BINARY_ACK headers
      "5"s,                       // no attachment count
      R"(5-["a"])"s,
      R"(5x-["a"])"s,
      R"(51["a"])"s,              // no '-' after the count
      "51"s,
      "51-"s,                     // no payload
      R"(5-1-["a"])"s,
      R"(511-["a"])"s,            // over the attachment limit
      R"(59999999999999999999-["a"])"s,
      R"(51-["a"])"s,             // attachment without placeholder
      R"(50-["a",{"_placeholder":true,"num":0}])"s,      // placeholder without attachment
      R"(51-["a",{"_placeholder":true,"num":1}])"s,      // num out of range
      R"(51-["a",{"_placeholder":true,"num":-1}])"s,
      R"(51-["a",{"_placeholder":true,"num":"0"}])"s,
      R"(51-["a",{"_placeholder":true,"num":0.0}])"s,
      R"(51-["a",{"_placeholder":true}])"s,
      R"(51-["a",{"_placeholder":true,"num":0,"x":1}])"s,  // extra key
      R"(52-["a",{"_placeholder":true,"num":0},{"_placeholder":true,"num":0}])"s,  // reused
      R"(51-[{"_placeholder":true,"num":0}])"s,          // event name is a buffer
      R"(61-[{"_placeholder":true,"num":0}])"s,          // BINARY_ACK without ack id
      R"(61-1{"_placeholder":true,"num":0})"s,           // BINARY_ACK payload not an array
  };
  // clang-format on
  for (const auto& input : inputs) {
    auto result = decode_string(input);
    EXPECT_FALSE(result.ok()) << "accepted: " << testing::PrintToString(input);
    Decoder decoder;
    EXPECT_FALSE(decoder.add_text(input).ok()) << testing::PrintToString(input);
    EXPECT_FALSE(decoder.awaiting_attachments());
  }
}

TEST(SocketIoDecode, DepthLimitCountsOnlyStructure) {
  // Brackets inside strings do not count toward the nesting limit.
  const std::string in_string = "2[\"" + std::string(100, '[') + "\\\"" + "\"]";
  EXPECT_TRUE(decode_string(in_string).ok());
  DecoderOptions options;
  options.max_depth = 3;
  EXPECT_TRUE(decode_string(R"(2["a",[[1]]])", options).ok());
  auto too_deep = decode_string(R"(2["a",[[[1]]]])", options);
  ASSERT_FALSE(too_deep.ok());
  EXPECT_EQ(too_deep.error().kind, ErrorKind::too_large);
}

TEST(SocketIoDecoder, SequencingErrors) {
  Decoder decoder;
  EXPECT_FALSE(decoder.add_binary("stray").ok());

  ASSERT_TRUE(decoder.add_text(R"(51-["a",{"_placeholder":true,"num":0}])").ok());
  EXPECT_TRUE(decoder.awaiting_attachments());
  // A text packet before the attachment arrived: refused, and the half packet is dropped.
  EXPECT_FALSE(decoder.add_text(R"(2["b"])").ok());
  EXPECT_FALSE(decoder.awaiting_attachments());

  // The decoder is usable again afterwards.
  auto next = decoder.add_text(R"(2["c"])");
  ASSERT_TRUE(next.ok());
  ASSERT_TRUE(next->has_value());
  EXPECT_EQ((**next).data, json{"c"});
}

TEST(SocketIoDecoder, ResetDropsPendingPacket) {
  Decoder decoder;
  ASSERT_TRUE(
      decoder.add_text(R"(52-["a",{"_placeholder":true,"num":1},{"_placeholder":true,"num":0}])")
          .ok());
  ASSERT_TRUE(decoder.add_binary("x").ok());
  decoder.reset();
  EXPECT_FALSE(decoder.awaiting_attachments());
  EXPECT_FALSE(decoder.add_binary("y").ok());
}

TEST(SocketIoDecoder, PlaceholdersMayComeInAnyOrder) {
  Packet p = decode_whole(
      {R"(52-["a",{"_placeholder":true,"num":1},{"_placeholder":true,"num":0}])", {"x", "y"}});
  EXPECT_EQ(*p.data, json({"a", bin({'y'}), bin({'x'})}));
}

TEST(SocketIoTypes, Names) {
  EXPECT_EQ(type_name(PacketType::connect_error), "CONNECT_ERROR");
  EXPECT_EQ(type_name(PacketType::binary_ack), "BINARY_ACK");
}

}  // namespace
}  // namespace samwaad::realtime::protocol::socketio

namespace samwaad::realtime::protocol::socketio {
namespace {

TEST(FastEncoders, MatchTheGeneralEncoder) {
  const nlohmann::json payload = {{"message", {{"id", "abc"}, {"text", "h\u00e9 \"q\" \\"}}},
                                  {"ok", true}};
  for (std::optional<std::uint64_t> id :
       {std::optional<std::uint64_t>{}, std::optional<std::uint64_t>{7},
        std::optional<std::uint64_t>{kMaxAckId}}) {
    auto general = to_engineio(encode(
        {PacketType::event, "/", nlohmann::json::array({"message-received", payload}), id, 0}));
    ASSERT_EQ(general.size(), 1u);
    EXPECT_EQ(encode_event("message-received", dump_json(payload), id), general[0]);
  }
  auto general_ack =
      to_engineio(encode({PacketType::ack, "/", nlohmann::json::array({payload}), 12, 0}));
  EXPECT_EQ(encode_ack(12, dump_json(payload)), general_ack[0]);
}

TEST(FastEncoders, InvalidUtf8IsReplacedNotThrown) {
  const nlohmann::json bad = std::string("a\xff");
  EXPECT_EQ(dump_json(bad), "\"a\xef\xbf\xbd\"");
  EXPECT_EQ(encode_event("typing", dump_json(bad)).data, "2[\"typing\",\"a\xef\xbf\xbd\"]");
}

// What the decoder makes of `text`, as scan_plain_event reports it, or
// nullopt if the decoder refuses it or gives something of another shape.
std::optional<PlainEvent> decoded_as_plain(const std::string& text,
                                           std::vector<std::string>& keep) {
  auto decoded = decode_string(text);
  if (!decoded || decoded.value().type != PacketType::event || decoded.value().nsp != "/") {
    return std::nullopt;
  }
  const auto& args = *decoded.value().data;
  if (args.size() != 2 || !args[0].is_string() || !args[1].is_object()) return std::nullopt;
  keep.push_back(args[0].get<std::string>());
  for (const auto& [key, value] : args[1].items()) {
    if (!value.is_string()) return std::nullopt;
    keep.push_back(key);
    keep.push_back(value.get<std::string>());
  }
  // Views only once `keep` has stopped growing.
  PlainEvent event;
  event.id = decoded.value().id;
  event.name = keep[keep.size() - 1 - 2 * args[1].size()];
  for (std::size_t i = keep.size() - 2 * args[1].size(); i < keep.size(); i += 2) {
    event.fields.emplace_back(keep[i], keep[i + 1]);
  }
  return event;
}

TEST(PlainEvents, AreTheDecodersEventWhereverTheyAreAccepted) {
  const std::vector<std::string> accepted = {
      R"(2["send-message",{"to":"0123456789abcdef01234567","text":"hi","clientId":"c-1"}])",
      R"(217["send-message",{"text":"hé","to":"x"}])",
      "2999999999999999[\"e\",{}]",
      "2[\"send-message\",{\"text\":\"na\xc3\xafve \xf0\x9f\x91\x8b \x7f\"}]",
      R"(2["",{"":""}])",
  };
  for (const auto& text : accepted) {
    auto plain = scan_plain_event(text);
    ASSERT_TRUE(plain) << text;
    std::vector<std::string> keep;
    auto decoded = decoded_as_plain(text, keep);
    ASSERT_TRUE(decoded) << text;
    EXPECT_EQ(plain->id, decoded->id) << text;
    EXPECT_EQ(plain->name, decoded->name) << text;
    // The decoder's object sorts its keys; the order sent is kept here.
    auto sorted = plain->fields;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(sorted, decoded->fields) << text;
  }
}

TEST(PlainEvents, EverythingElseIsLeftToTheDecoder) {
  const std::vector<std::string> refused = {
      R"(2["send-message",{"text":"a \"quote\""}])",  // an escape
      R"(2["send-message",{"text":"line\nbreak"}])",
      "2[\"e\",{\"text\":\"raw\tcontrol\"}]",
      "2[\"e\",{\"text\":\"bad \xff utf-8\"}]",
      R"(2["e",{"n":1}])",                          // not a string
      R"(2["e",{"o":{"x":"y"}}])",                  // nested
      R"(2["e",{"a":"1","a":"2"}])",                // a key twice
      R"(2["e",{"a":"1"},"more"])",                 // a third argument
      R"(2["e"])",                                  // no payload
      R"(2/chat,["e",{}])",                         // a namespace
      R"(2["e",{ "a":"1"}])",                       // whitespace
      R"(2["e",{"a":"1"}] )",                       // trailing bytes
      R"(3["e",{}])",                               // an ACK
      R"(51-["e",{"_placeholder":true,"num":0}])",  // binary
      R"(21234567890123456["e",{}])",               // an id of 16 digits
      R"(2["disconnecting",{"a":"1"}])",            // a reserved name
      R"(2["e",{"a":"1"})",                         // cut short
      R"(2["e,{}])",
      "",
  };
  for (const auto& text : refused) EXPECT_FALSE(scan_plain_event(text)) << text;
}

}  // namespace
}  // namespace samwaad::realtime::protocol::socketio
