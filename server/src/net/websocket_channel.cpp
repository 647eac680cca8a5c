#include "net/websocket_channel.hpp"

#include <array>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <utility>

namespace samwaad::net {

namespace asio = boost::asio;
namespace ws = realtime::protocol::websocket;
using boost::system::error_code;

namespace {

// One read takes what a busy client sent since the last one.
constexpr std::size_t kReadBufferBytes = std::size_t{64} * 1024;
// Reads per readiness before the other connections get a turn.
constexpr int kReadsPerTurn = 4;
// How long a client gets to answer our close frame before the socket is dropped.
constexpr auto kCloseTimeout = std::chrono::seconds(5);

// Shared by every connection of the thread: an idle connection holds none.
char* read_buffer() {
  thread_local std::array<char, kReadBufferBytes> buffer;
  return buffer.data();
}

}  // namespace

WebSocketChannel::WebSocketChannel(asio::ip::tcp::socket socket, std::size_t max_message_bytes)
    : socket_(std::move(socket)), reader_(max_message_bytes) {
  error_code ec;
  // Reads and writes are attempted directly and return would_block instead of
  // waiting; readiness waits are the only asynchronous operations.
  socket_.non_blocking(true, ec);
}

WebSocketChannel::~WebSocketChannel() {
  error_code ec;
  socket_.close(ec);
}

void WebSocketChannel::listen(std::weak_ptr<Listener> listener) {
  listener_ = std::move(listener);
  if (!reading_started_) start_reading();
}

void WebSocketChannel::start_reading() {
  reading_started_ = true;
  // The client may have sent frames right behind the handshake: read first, wait after.
  asio::post(socket_.get_executor(), [self = shared_from_this()] { self->read_available(); });
}

void WebSocketChannel::pause_reading(bool paused) {
  if (paused_ == paused) return;
  paused_ = paused;
  if (!paused && reading_started_) {
    asio::post(socket_.get_executor(), [self = shared_from_this()] { self->read_available(); });
  }
}

void WebSocketChannel::wait_readable() {
  if (read_waiting_ || dropped_) return;
  when_ready(asio::socket_base::wait_read, &WebSocketChannel::read_waiting_,
             &WebSocketChannel::read_available);
}

void WebSocketChannel::when_ready(asio::socket_base::wait_type type,
                                  bool WebSocketChannel::*waiting,
                                  void (WebSocketChannel::*then)()) {
  this->*waiting = true;
  socket_.async_wait(type, [self = shared_from_this(), waiting, then](const error_code& ec) {
    self.get()->*waiting = false;
    if (self->dropped_) return;
    if (ec) {
      self->end(false);
      self->drop();
      return;
    }
    (self.get()->*then)();
  });
}

void WebSocketChannel::read_available() {
  if (dropped_ || paused_) return;
  if (!in_.empty() && !process_input()) return;  // left by a pause
  if (paused_) return;
  for (int i = 0; i < kReadsPerTurn; ++i) {
    error_code ec;
    const std::size_t n = socket_.read_some(asio::buffer(read_buffer(), kReadBufferBytes), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      wait_readable();
      return;
    }
    if (ec) {  // end of stream without a close frame, or a reset
      end(false);
      drop();
      return;
    }
    in_.append(read_buffer(), n);
    if (!process_input() || paused_) return;
    // A short read emptied the socket; the next bytes to arrive make it
    // readable again (the reactor's notifications are edge-triggered).
    if (n < kReadBufferBytes) {
      wait_readable();
      return;
    }
  }
  asio::post(socket_.get_executor(), [self = shared_from_this()] { self->read_available(); });
}

bool WebSocketChannel::process_input() {
  std::string_view input(in_);
  bool go_on = true;
  while (go_on && !dropped_) {
    ws::Event event = reader_.next(input);
    switch (event.kind) {
      case ws::Event::Kind::need_more: go_on = false; break;
      case ws::Event::Kind::message:
        // After our close frame, data is read only to find the client's answer.
        if (closing_) break;
        if (auto l = listener()) l->on_ws_message(*this, std::move(event.payload), event.binary);
        if (paused_) go_on = false;
        break;
      case ws::Event::Kind::ping:
        queue(ws::Opcode::pong, event.payload);
        flush();
        break;
      case ws::Event::Kind::pong: break;
      case ws::Event::Kind::close:
        if (closing_) {  // the answer to our close frame: the handshake is complete
          drop();
          break;
        }
        // Answered with the same code (1000 for none), then the server closes the TCP
        // connection once that is written, as RFC 6455 asks of servers.
        if (!close_queued_) {
          ws::append_close(out_, event.code == 1005 ? 1000 : event.code);
          close_queued_ = true;
        }
        drop_after_write_ = true;
        end(true);
        flush();
        go_on = false;
        break;
      case ws::Event::Kind::error:
        if (!close_queued_) {
          ws::append_close(out_, event.code);
          close_queued_ = true;
        }
        drop_after_write_ = true;
        end(false);
        flush();
        go_on = false;
        break;
    }
  }
  if (dropped_) return false;
  in_.erase(0, in_.size() - input.size());
  if (in_.empty()) std::string().swap(in_);  // an idle connection keeps no buffer
  return !drop_after_write_;
}

void WebSocketChannel::queue(ws::Opcode opcode, std::string_view payload) {
  if (close_queued_ || dropped_) return;
  ws::append_frame(out_, opcode, payload);
}

void WebSocketChannel::flush() {
  if (dropped_ || write_waiting_) return;
  while (out_sent_ < out_.size()) {
    error_code ec;
    const std::size_t n =
        socket_.write_some(asio::buffer(out_.data() + out_sent_, out_.size() - out_sent_), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      wait_writable();
      return;
    }
    if (ec) {
      end(false);
      drop();
      return;
    }
    out_sent_ += n;
  }
  std::string().swap(out_);  // an idle connection keeps no buffer
  out_sent_ = 0;
  if (drop_after_write_) drop();
}

void WebSocketChannel::wait_writable() {
  when_ready(asio::socket_base::wait_write, &WebSocketChannel::write_waiting_,
             &WebSocketChannel::flush);
}

void WebSocketChannel::close(ws::CloseCode code) {
  if (dropped_ || closing_) return;
  closing_ = true;
  ended_ = true;  // the owner closed it: no on_ws_closed
  paused_ = false;
  if (!close_queued_) {
    ws::append_close(out_, static_cast<uint16_t>(code));
    close_queued_ = true;
  }
  flush();
  if (dropped_) return;
  // Keep reading for the client's close frame, but not forever.
  if (!reading_started_) start_reading();
  close_timer_ = std::make_unique<asio::steady_timer>(socket_.get_executor(), kCloseTimeout);
  close_timer_->async_wait([self = shared_from_this()](const error_code&) { self->drop(); });
}

void WebSocketChannel::drop() {
  if (dropped_) return;
  dropped_ = true;
  ended_ = true;
  error_code ec;
  socket_.close(ec);  // pending waits end with operation_aborted
  if (close_timer_) close_timer_->cancel();
}

void WebSocketChannel::end(bool by_client) {
  if (ended_) return;
  ended_ = true;
  if (auto l = listener()) l->on_ws_closed(*this, by_client);
}

}  // namespace samwaad::net
