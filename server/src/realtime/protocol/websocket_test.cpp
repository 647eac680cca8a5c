#include "realtime/protocol/websocket.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace samwaad::realtime::protocol::websocket {
namespace {

using Kind = Event::Kind;

// A client frame as a browser sends it: masked with `mask`.
std::string client_frame(uint8_t first_byte, std::string_view payload, uint32_t mask = 0x37fa213d,
                         int force_length_bytes = 0) {
  std::string out;
  out.push_back(static_cast<char>(first_byte));
  const std::size_t n = payload.size();
  if (force_length_bytes == 0 && n <= 125) {
    out.push_back(static_cast<char>(0x80 | n));
  } else if (force_length_bytes == 2 || (force_length_bytes == 0 && n <= 0xFFFF)) {
    out.push_back(static_cast<char>(0x80 | 126));
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n & 0xFF));
  } else {
    out.push_back(static_cast<char>(0x80 | 127));
    for (int shift = 56; shift >= 0; shift -= 8) {
      out.push_back(static_cast<char>((static_cast<uint64_t>(n) >> shift) & 0xFF));
    }
  }
  const uint8_t key[4] = {static_cast<uint8_t>(mask >> 24), static_cast<uint8_t>(mask >> 16),
                          static_cast<uint8_t>(mask >> 8), static_cast<uint8_t>(mask)};
  out.append(reinterpret_cast<const char*>(key), 4);
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(static_cast<char>(static_cast<uint8_t>(payload[i]) ^ key[i & 3]));
  }
  return out;
}

constexpr uint8_t kFinText = 0x81;
constexpr uint8_t kFinBinary = 0x82;

std::vector<Event> read_all(std::string_view bytes, std::size_t max = 1 << 20) {
  Reader reader(max);
  std::vector<Event> events;
  for (;;) {
    Event event = reader.next(bytes);
    if (event.kind == Kind::need_more) break;
    const bool stop = event.kind == Kind::error;
    events.push_back(std::move(event));
    if (stop) break;
  }
  return events;
}

uint16_t error_code(std::string_view bytes, std::size_t max = 1 << 20) {
  auto events = read_all(bytes, max);
  if (events.empty() || events.back().kind != Kind::error) return 0;
  return events.back().code;
}

TEST(WebSocketHandshake, AcceptKeyIsTheRfcExample) {
  // RFC 6455, section 1.3.
  EXPECT_EQ(accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(WebSocketHandshake, ClientKeyMustBeSixteenBytesOfBase64) {
  EXPECT_TRUE(valid_client_key("dGhlIHNhbXBsZSBub25jZQ=="));
  EXPECT_FALSE(valid_client_key(""));
  EXPECT_FALSE(valid_client_key("dGhlIHNhbXBsZSBub25jZQ"));     // no padding
  EXPECT_FALSE(valid_client_key("dGhlIHNhbXBsZSBub25jZQ==x"));  // too long
  EXPECT_FALSE(valid_client_key("dGhlIHNhbXBsZSBub25jZ!=="));   // not base64
}

TEST(WebSocketWriter, FramesUseTheShortestLengthAndNoMask) {
  std::string out;
  append_frame(out, Opcode::text, "hi");
  EXPECT_EQ(out, std::string("\x81\x02hi", 4));

  out.clear();
  append_frame(out, Opcode::binary, std::string(126, 'x'));
  ASSERT_EQ(out.size(), 4u + 126u);
  EXPECT_EQ(static_cast<uint8_t>(out[0]), 0x82);
  EXPECT_EQ(static_cast<uint8_t>(out[1]), 126);
  EXPECT_EQ(static_cast<uint8_t>(out[2]), 0);
  EXPECT_EQ(static_cast<uint8_t>(out[3]), 126);

  out.clear();
  append_frame(out, Opcode::text, std::string(70000, 'x'));
  ASSERT_EQ(out.size(), 10u + 70000u);
  EXPECT_EQ(static_cast<uint8_t>(out[1]), 127);
  EXPECT_EQ(static_cast<uint8_t>(out[7]), 0x01);  // 70000 = 0x011170
  EXPECT_EQ(static_cast<uint8_t>(out[8]), 0x11);
  EXPECT_EQ(static_cast<uint8_t>(out[9]), 0x70);

  out.clear();
  append_close(out, 1000);
  EXPECT_EQ(out, std::string("\x88\x02\x03\xe8", 4));
}

TEST(WebSocketReader, UnmasksTextAndBinaryMessages) {
  const std::string bytes = client_frame(kFinText, "42[\"hello\"]") +
                            client_frame(kFinBinary, std::string("\x00\xff\x10", 3));
  auto events = read_all(bytes);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, Kind::message);
  EXPECT_FALSE(events[0].binary);
  EXPECT_EQ(events[0].payload, "42[\"hello\"]");
  EXPECT_EQ(events[1].kind, Kind::message);
  EXPECT_TRUE(events[1].binary);
  EXPECT_EQ(events[1].payload, std::string("\x00\xff\x10", 3));
}

TEST(WebSocketReader, ReadsEveryLengthEncoding) {
  for (std::size_t n : {0u, 1u, 125u, 126u, 65535u, 65536u, 200000u}) {
    const std::string payload(n, 'a');
    auto events = read_all(client_frame(kFinText, payload));
    ASSERT_EQ(events.size(), 1u) << n;
    EXPECT_EQ(events[0].payload.size(), n);
  }
  // A longer length field than needed is still a valid frame.
  auto events = read_all(client_frame(kFinText, "abc", 0x01020304, 8));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].payload, "abc");
}

TEST(WebSocketReader, WaitsForWholeFramesWithoutConsumingParts) {
  const std::string frame = client_frame(kFinText, std::string(300, 'z'));
  Reader reader(1 << 20);
  for (std::size_t cut = 0; cut < frame.size(); ++cut) {
    std::string_view part(frame.data(), cut);
    EXPECT_EQ(reader.next(part).kind, Kind::need_more) << cut;
    EXPECT_EQ(part.size(), cut) << "a partial frame is left for the next read";
  }
  std::string_view whole(frame);
  Event event = reader.next(whole);
  EXPECT_EQ(event.kind, Kind::message);
  EXPECT_TRUE(whole.empty());
}

TEST(WebSocketReader, JoinsFragmentsWithControlFramesBetweenThem) {
  const std::string bytes = client_frame(0x01, "4") + client_frame(0x89, "are you there") +
                            client_frame(0x00, "2[\"a\",") + client_frame(0x80, "1]");
  auto events = read_all(bytes);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, Kind::ping);
  EXPECT_EQ(events[0].payload, "are you there");
  EXPECT_EQ(events[1].kind, Kind::message);
  EXPECT_FALSE(events[1].binary);
  EXPECT_EQ(events[1].payload, "42[\"a\",1]");
}

TEST(WebSocketReader, KeepsFragmentsWhileTheRestIsOnItsWay) {
  const std::string first = client_frame(0x02, "ab");
  const std::string last = client_frame(0x80, "cd");
  Reader reader(1 << 20);
  std::string_view input(first);
  EXPECT_EQ(reader.next(input).kind, Kind::need_more);
  EXPECT_TRUE(input.empty()) << "the whole fragment is taken";
  EXPECT_TRUE(reader.in_message());
  std::string_view rest(last);
  Event event = reader.next(rest);
  EXPECT_EQ(event.kind, Kind::message);
  EXPECT_TRUE(event.binary);
  EXPECT_EQ(event.payload, "abcd");
  EXPECT_FALSE(reader.in_message());
}

TEST(WebSocketReader, ReportsCloseCodes) {
  auto events = read_all(client_frame(0x88, std::string("\x03\xe8"
                                                        "bye",
                                                        5)));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Kind::close);
  EXPECT_EQ(events[0].code, 1000);

  events = read_all(client_frame(0x88, ""));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Kind::close);
  EXPECT_EQ(events[0].code, 1005);

  events = read_all(client_frame(0x8A, "x"));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Kind::pong);
}

TEST(WebSocketReader, RefusesProtocolViolations) {
  constexpr uint16_t kProtocol = 1002;
  std::string unmasked("\x81\x02hi", 4);
  EXPECT_EQ(error_code(unmasked), kProtocol) << "clients must mask";
  EXPECT_EQ(error_code(client_frame(0xC1, "x")), kProtocol) << "RSV1 without an extension";
  EXPECT_EQ(error_code(client_frame(0x83, "x")), kProtocol) << "reserved opcode";
  EXPECT_EQ(error_code(client_frame(0x8B, "x")), kProtocol) << "reserved control opcode";
  EXPECT_EQ(error_code(client_frame(0x80, "x")), kProtocol) << "continuation of nothing";
  EXPECT_EQ(error_code(client_frame(0x01, "a") + client_frame(0x81, "b")), kProtocol)
      << "a new message inside a fragmented one";
  EXPECT_EQ(error_code(client_frame(0x09, "x")), kProtocol) << "fragmented ping";
  EXPECT_EQ(error_code(client_frame(0x89, std::string(126, 'p'))), kProtocol)
      << "control payload over 125 bytes";
  EXPECT_EQ(error_code(client_frame(0x88, "x")), kProtocol) << "one-byte close payload";
  EXPECT_EQ(error_code(client_frame(0x88, std::string("\x03\xed", 2))), kProtocol)
      << "close code 1005 may not be sent";
  EXPECT_EQ(error_code(client_frame(0x88, std::string("\x03\xe8\xff", 3))), 1007)
      << "close reason not UTF-8";
  std::string huge_length("\x81\xff\x80\x00\x00\x00\x00\x00\x00\x01", 10);
  EXPECT_EQ(error_code(huge_length), kProtocol) << "64-bit length with its top bit set";
}

TEST(WebSocketReader, RefusesTextThatIsNotUtf8) {
  EXPECT_EQ(error_code(client_frame(kFinText, "\xc3\x28")), 1007);
  EXPECT_EQ(error_code(client_frame(0x01, "\xe2\x82") + client_frame(0x80, "\xac")), 0)
      << "a code point split across fragments is fine";
  EXPECT_EQ(error_code(client_frame(kFinBinary, "\xc3\x28")), 0) << "binary is not checked";
}

TEST(WebSocketReader, RefusesMessagesOverTheLimitFromTheHeaderAlone) {
  // Only the header of a 2 MB frame: refused before its payload arrives.
  std::string header = client_frame(kFinText, std::string(2 << 20, 'a')).substr(0, 14);
  EXPECT_EQ(error_code(header, 1 << 20), 1009);
  // Fragments that add up to more than the limit.
  const std::string half(600 * 1024, 'a');
  EXPECT_EQ(error_code(client_frame(0x01, half) + client_frame(0x80, half), 1 << 20), 1009);
  // Exactly the limit is fine.
  EXPECT_EQ(error_code(client_frame(kFinText, std::string(1 << 20, 'a')), 1 << 20), 0);
}

TEST(WebSocketReader, StaysFailedAfterAnError) {
  Reader reader(1 << 20);
  std::string bad("\x81\x02hi", 4);
  std::string_view input(bad);
  EXPECT_EQ(reader.next(input).kind, Kind::error);
  const std::string good = client_frame(kFinText, "ok");
  std::string_view next(good);
  EXPECT_EQ(reader.next(next).kind, Kind::error);
}

}  // namespace
}  // namespace samwaad::realtime::protocol::websocket
