// One WebSocket connection after its opening handshake: reads client frames
// as they come, writes every frame queued for it with as few system calls as
// the socket allows, answers pings and the closing handshake. Framing rules
// live in realtime/protocol/websocket.hpp; this is the socket side.
//
// Reading waits for readiness and then reads into a buffer shared by all
// connections of the I/O thread, so an idle connection holds no read buffer;
// only an incomplete frame is kept per connection. Writing appends frames to
// one buffer and hands it to the kernel in one send when flushed (the owner
// flushes once per burst of frames).
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "realtime/protocol/websocket.hpp"

namespace samwaad::net {

class WebSocketChannel final : public std::enable_shared_from_this<WebSocketChannel> {
 public:
  // Told what arrives. Held weakly: a listener that is gone hears nothing.
  class Listener {
   public:
    virtual void on_ws_message(WebSocketChannel& channel, std::string payload, bool binary) = 0;
    // Called once, when the connection is over: `by_client` for the client's
    // close frame, otherwise a protocol error, a lost connection or a failed
    // write. Not called after close() or drop().
    virtual void on_ws_closed(WebSocketChannel& channel, bool by_client) = 0;

   protected:
    ~Listener() = default;
  };

  WebSocketChannel(boost::asio::ip::tcp::socket socket, std::size_t max_message_bytes);
  ~WebSocketChannel();

  WebSocketChannel(const WebSocketChannel&) = delete;
  WebSocketChannel& operator=(const WebSocketChannel&) = delete;

  // Starts (or, with another listener, hands over) delivering events.
  void listen(std::weak_ptr<Listener> listener);
  // While paused no frame is read or delivered (the client meets TCP
  // backpressure); resuming delivers what is already buffered first.
  void pause_reading(bool paused);

  // Queues a frame; nothing is sent until flush().
  void queue(realtime::protocol::websocket::Opcode opcode, std::string_view payload);
  void flush();
  // Bytes queued or written only in part.
  std::size_t pending_bytes() const { return out_.size() - out_sent_; }

  // The closing handshake: what is queued, then a close frame; the socket is
  // closed when the client answers (or by drop()). Events stop at once.
  void close(realtime::protocol::websocket::CloseCode code);
  // Closes the socket now, discarding anything unsent.
  void drop();

 private:
  void start_reading();
  void wait_readable();
  void read_available();
  // Handles the buffered input; false once the connection is closing or gone.
  bool process_input();
  void wait_writable();
  // Sets *waiting until the socket is ready for `type`, then calls `then`; a failed
  // wait ends the connection.
  void when_ready(boost::asio::socket_base::wait_type type, bool WebSocketChannel::*waiting,
                  void (WebSocketChannel::*then)());
  // The connection ended without close(): tell the listener, once.
  void end(bool by_client);
  std::shared_ptr<Listener> listener() const { return listener_.lock(); }

  boost::asio::ip::tcp::socket socket_;
  realtime::protocol::websocket::Reader reader_;
  std::weak_ptr<Listener> listener_;
  std::string in_;   // received bytes not yet a whole frame
  std::string out_;  // frames queued; out_sent_ of them written
  std::size_t out_sent_ = 0;
  // Only while closing: a client that never answers our close frame.
  std::unique_ptr<boost::asio::steady_timer> close_timer_;
  bool reading_started_ = false;
  bool read_waiting_ = false;
  bool write_waiting_ = false;
  bool paused_ = false;
  bool closing_ = false;           // close() was called: deliver nothing more
  bool close_queued_ = false;      // a close frame is in out_: queue nothing after it
  bool drop_after_write_ = false;  // the client's close was answered, or a protocol error
  bool dropped_ = false;
  bool ended_ = false;  // the listener heard of the end, or close() made that moot
};

}  // namespace samwaad::net
