#include "realtime/protocol/engineio.hpp"

#include <gtest/gtest.h>

#include <ostream>
#include <random>
#include <string>
#include <vector>

namespace samwaad::realtime::protocol::engineio {

// Readable failure messages (found by gtest through ADL, so outside the anonymous namespace).
void PrintTo(const Packet& p, std::ostream* os) {
  *os << type_name(p.type) << (p.binary ? " binary " : " text ") << testing::PrintToString(p.data);
}
void PrintTo(const WsFrame& f, std::ostream* os) {
  *os << (f.binary ? "binary " : "text ") << testing::PrintToString(f.payload);
}

namespace {

using namespace std::string_literals;  // "\x1e" inside literals needs explicit lengths

std::vector<Packet> decode_ok(std::string_view body, std::size_t max = 1000000) {
  auto result = decode_polling_payload(body, max);
  EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().message);
  return result.ok() ? result.value() : std::vector<Packet>{};
}

std::string encode_ok(const std::vector<Packet>& packets) {
  auto result = encode_polling_payload(packets);
  EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().message);
  return result.ok() ? result.value() : std::string{};
}

Packet msg(std::string text) { return Packet::text(PacketType::message, std::move(text)); }

// ---- spec: "Packet encoding" / HTTP long-polling ----

TEST(EngineIoPolling, SpecExampleTextPayload) {
  const std::string body = "4hello\x1e"s + "2\x1e" + "4world";
  std::vector<Packet> expected = {msg("hello"), Packet::text(PacketType::ping), msg("world")};
  EXPECT_EQ(decode_ok(body), expected);
  EXPECT_EQ(encode_ok(expected), body);
}

TEST(EngineIoPolling, SpecExampleBinaryPayload) {
  const std::string body = "4hello\x1e"s + "bAQIDBA==";
  std::vector<Packet> expected = {msg("hello"), Packet::bytes("\x01\x02\x03\x04")};
  EXPECT_EQ(decode_ok(body), expected);
  EXPECT_EQ(encode_ok(expected), body);
}

TEST(EngineIoPolling, SampleSessionBodies) {
  // Socket.IO spec, "Sample session": requests 2 and 5 (client POSTs), 3 and 4 (server GETs).
  EXPECT_EQ(decode_ok("40"), std::vector<Packet>{msg("0")});
  const std::string two_events = "42[\"hello\"]\x1e"s + "42[\"world\"]";
  std::vector<Packet> events = {msg("2[\"hello\"]"), msg("2[\"world\"]")};
  EXPECT_EQ(decode_ok(two_events), events);
  EXPECT_EQ(encode_ok(events), two_events);
  EXPECT_EQ(encode_ok({msg("0{\"sid\":\"wZX3oN0bSVIhsaknAAAI\"}")}),
            "40{\"sid\":\"wZX3oN0bSVIhsaknAAAI\"}");
  EXPECT_EQ(encode_ok({msg("2[\"hey\",\"Jude\"]")}), "42[\"hey\",\"Jude\"]");
}

TEST(EngineIoPolling, EveryPacketTypeRoundTrips) {
  std::vector<Packet> packets;
  for (int t = 0; t <= 6; ++t) {
    packets.push_back(
        Packet::text(static_cast<PacketType>(t), t % 2 ? "" : "data" + std::to_string(t)));
  }
  packets.push_back(Packet::bytes(""));
  packets.push_back(Packet::bytes(std::string("\x00\xff\x1e\x7f", 4)));
  EXPECT_EQ(decode_ok(encode_ok(packets)), packets);
}

TEST(EngineIoPolling, NoopForUpgrade) {
  EXPECT_EQ(encode_ok({Packet::text(PacketType::noop)}), "6");
}

TEST(EngineIoPolling, MaxPayloadIsInclusive) {
  EXPECT_EQ(decode_ok("4hello", 6).size(), 1u);
  auto over = decode_polling_payload("4hello", 5);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().kind, ErrorKind::too_large);
}

TEST(EngineIoPolling, EncodeRefusesRecordSeparatorInText) {
  std::vector<Packet> packets = {msg("a" + std::string(1, kRecordSeparator) + "b")};
  auto result = encode_polling_payload(packets);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, ErrorKind::malformed);
}

TEST(EngineIoPolling, BinaryTextWithRecordSeparatorIsFineAsBase64) {
  std::vector<Packet> packets = {Packet::bytes("\x1e\x1e")};
  EXPECT_EQ(decode_ok(encode_ok(packets)), packets);
}

TEST(EngineIoPolling, MalformedBodiesAreErrors) {
  // One case per line reads better than a packed table.
  // clang-format off
  const std::vector<std::string> bodies = {
      ""s,                      // empty body
      "\x1e"s,                  // two empty records
      "4a\x1e"s,                // trailing separator
      "\x1e" "4a"s,             // leading separator
      "4a\x1e\x1e" "4b"s,       // empty record in the middle
      "7"s,                     // unknown type
      "9hello"s,                // unknown type
      "x"s,                     // not a digit
      "-1"s,                    // not a digit
      " 4a"s,                   // leading space
      "\xff"s,                  // junk byte
      std::string(1, '\0'),     // NUL
      "b!!!!"s,                 // not base64
      "bAQIDB"s,                // length not a multiple of 4
      "bAQIDBA="s,              // wrong padding length
      "bAQIDBB=="s,             // non-canonical: hidden bits set
      "bZh=="s,                 // non-canonical
      "bAQ=D"s,                 // padding in the middle
      "bA=BC"s,                 // padding in the middle
      "b===="s,                 // only padding
      "bA==="s,                 // three padding characters
      "bAQID BA=="s,            // whitespace
      "bAQIDBA==\n"s,           // trailing newline
      "4ok\x1e" "bAQ"s,         // a good record, then a bad one
  };
  // clang-format on
  for (const auto& body : bodies) {
    auto result = decode_polling_payload(body, 1000000);
    EXPECT_FALSE(result.ok()) << "accepted: " << testing::PrintToString(body);
    if (!result.ok()) {
      EXPECT_EQ(result.error().kind, ErrorKind::malformed);
    }
  }
}

TEST(EngineIoPolling, EmptyBase64IsAnEmptyBinaryMessage) {
  EXPECT_EQ(decode_ok("b"), std::vector<Packet>{Packet::bytes("")});
}

// ---- spec: "Packet encoding" / WebSocket ----

TEST(EngineIoWebSocket, SpecExampleText) {
  auto decoded = decode_ws_frame("4hello", false);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, msg("hello"));
  EXPECT_EQ(encode_ws_frame(msg("hello")), (WsFrame{"4hello", false}));
}

TEST(EngineIoWebSocket, BinaryIsSentAsIs) {
  const std::string bytes("\x01\x02\x03\x04", 4);
  EXPECT_EQ(encode_ws_frame(Packet::bytes(bytes)), (WsFrame{bytes, true}));
  auto decoded = decode_ws_frame(bytes, true);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, Packet::bytes(bytes));
  // A binary frame is binary even when it happens to look like a text packet.
  auto lookalike = decode_ws_frame("4hello", true);
  ASSERT_TRUE(lookalike.ok());
  EXPECT_TRUE(lookalike->binary);
  EXPECT_EQ(lookalike->data, "4hello");
}

TEST(EngineIoWebSocket, UpgradeAndHeartbeatFrames) {
  // Engine.IO "Upgrade" and "Heartbeat", and the WebSocket part of the Socket.IO sample session.
  struct Case {
    std::string frame;
    Packet packet;
  };
  const std::vector<Case> cases = {
      {"2probe", Packet::text(PacketType::ping, "probe")},
      {"3probe", Packet::text(PacketType::pong, "probe")},
      {"5", Packet::text(PacketType::upgrade)},
      {"2", Packet::text(PacketType::ping)},
      {"3", Packet::text(PacketType::pong)},
      {"1", Packet::text(PacketType::close)},
      {"6", Packet::text(PacketType::noop)},
      {"42[\"hello\"]", msg("2[\"hello\"]")},
      {"40/admin,", msg("0/admin,")},
      {"42/admin,1[\"tellme\"]", msg("2/admin,1[\"tellme\"]")},
  };
  for (const auto& c : cases) {
    auto decoded = decode_ws_frame(c.frame, false);
    ASSERT_TRUE(decoded.ok()) << c.frame;
    EXPECT_EQ(*decoded, c.packet) << c.frame;
    EXPECT_EQ(encode_ws_frame(c.packet), (WsFrame{c.frame, false}));
  }
}

TEST(EngineIoWebSocket, MalformedTextFramesAreErrors) {
  const std::vector<std::string> frames = {
      ""s, "7"s, "8x"s, "x"s, "/"s, ":"s, "bAQIDBA=="s, " 4"s, "\xff"s, std::string(1, '\0'),
  };
  for (const auto& frame : frames) {
    auto result = decode_ws_frame(frame, false);
    EXPECT_FALSE(result.ok()) << "accepted: " << testing::PrintToString(frame);
  }
}

TEST(EngineIoWebSocket, EmptyBinaryFrameIsAnEmptyMessage) {
  auto decoded = decode_ws_frame("", true);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, Packet::bytes(""));
}

// ---- spec: "Handshake" ----

TEST(EngineIoHandshake, SpecExample) {
  Handshake h{"lv_VI97HAXpY6yYWAAAC", {"websocket"}, 25000, 20000, 1000000};
  EXPECT_EQ(handshake_json(h),
            R"({"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,)"
            R"("pingTimeout":20000,"maxPayload":1000000})");
}

TEST(EngineIoHandshake, SampleSessionOpenPacket) {
  Handshake h{"lv_VI97HAXpY6yYWAAAC", {"websocket"}, 25000, 5000, 1000000};
  std::vector<Packet> packets = {open_packet(h)};
  EXPECT_EQ(encode_ok(packets),
            R"(0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,)"
            R"("pingTimeout":5000,"maxPayload":1000000})");
}

TEST(EngineIoHandshake, WebSocketOnlySessionOffersNoUpgrade) {
  Handshake h;
  h.sid = "abc";
  h.upgrades.clear();
  EXPECT_EQ(handshake_json(h),
            R"({"sid":"abc","upgrades":[],"pingInterval":25000,"pingTimeout":20000,)"
            R"("maxPayload":1000000})");
}

// ---- base64 ----

TEST(Base64, Rfc4648Vectors) {
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64_encode(plain), encoded);
    EXPECT_EQ(base64_decode(encoded), plain);
  }
}

TEST(Base64, RandomRoundTrips) {
  std::mt19937 rng(42);
  for (int n = 0; n < 300; ++n) {
    std::string bytes(static_cast<std::size_t>(n), '\0');
    for (auto& c : bytes) c = static_cast<char>(rng() & 0xff);
    EXPECT_EQ(base64_decode(base64_encode(bytes)), bytes) << n;
  }
}

TEST(Base64, RejectsNonAlphabet) {
  for (std::string bad : {"Zm9-", "Zm9_", "Zm9v\r\n", "Zm 9", "Zm9\x80"}) {
    EXPECT_FALSE(base64_decode(bad).has_value()) << bad;
  }
}

TEST(EngineIoTypes, Names) {
  EXPECT_EQ(type_name(PacketType::open), "open");
  EXPECT_EQ(type_name(PacketType::noop), "noop");
}

}  // namespace
}  // namespace samwaad::realtime::protocol::engineio
