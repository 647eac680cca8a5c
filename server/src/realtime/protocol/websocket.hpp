// The server side of RFC 6455 framing, as a pure codec (no I/O): the opening
// handshake's accept key, frames read from a client, frames written to it.
//
// Written by hand rather than taken from Beast's websocket::stream because the
// realtime path writes every frame due on a socket with one system call, and
// Beast's stream writes one message per operation (measured: ~3 sendmsg and
// ~2 setsockopt(TCP_CORK) calls per chat message through it, the largest cost
// of the I/O thread), and because its per-socket state (~2.5 KB) was most of
// an idle connection's memory. No extensions (permessage-deflate) and no
// subprotocols are negotiated, so frames are plain.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace samwaad::realtime::protocol::websocket {

// Sec-WebSocket-Accept for a client's Sec-WebSocket-Key.
std::string accept_key(std::string_view client_key);
// A usable Sec-WebSocket-Key: base64 of 16 bytes (24 characters).
bool valid_client_key(std::string_view client_key);

enum class Opcode : uint8_t {
  continuation = 0x0,
  text = 0x1,
  binary = 0x2,
  close = 0x8,
  ping = 0x9,
  pong = 0xA,
};

// Close codes the server sends.
enum class CloseCode : uint16_t {
  normal = 1000,
  protocol_error = 1002,
  invalid_payload = 1007,  // text that is not UTF-8, a bad close reason
  too_big = 1009,
};

// Appends one unmasked, unfragmented frame (server to client) to `out`.
void append_frame(std::string& out, Opcode opcode, std::string_view payload);
// Appends a close frame with `code` (and no reason).
void append_close(std::string& out, uint16_t code);

// What the reader found next in the bytes received so far.
struct Event {
  enum class Kind {
    need_more,  // no complete frame yet: keep the bytes, read more
    message,    // a whole text or binary message (fragments joined)
    ping,       // answer with a pong carrying `payload`
    pong,
    close,  // the client's close frame: `code` (1005 when it gave none)
    error,  // a protocol violation: close with `code`, then drop the connection
  };
  Kind kind = Kind::need_more;
  bool binary = false;  // message: the first fragment's opcode
  std::string payload;  // message, ping
  uint16_t code = 0;    // close, error
};

// Reads client frames: checks what RFC 6455 requires of them (masked, no
// reserved bits, known opcodes, short unfragmented control frames, a sane
// fragment sequence, close codes and reasons, UTF-8 text), unmasks them and
// joins fragmented messages. A message (all its fragments together) over
// `max_message_bytes` is an error as soon as a frame header announces it.
class Reader {
 public:
  explicit Reader(std::size_t max_message_bytes) : max_message_bytes_(max_message_bytes) {}

  // Takes the next event from the front of `input` and advances `input` past
  // the bytes it used: for need_more, any whole fragments of a message (kept
  // inside the reader) but never part of a frame. After an error the reader
  // is done.
  Event next(std::string_view& input);

  // True while a fragmented message is half received.
  bool in_message() const { return in_message_; }

 private:
  Event fail(CloseCode code);

  std::size_t max_message_bytes_;
  bool failed_ = false;
  bool in_message_ = false;
  bool message_binary_ = false;
  std::string message_;  // the fragments so far
};

}  // namespace samwaad::realtime::protocol::websocket
