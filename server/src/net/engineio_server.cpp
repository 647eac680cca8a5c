#include "net/engineio_server.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <unordered_map>
#include <vector>

#include "core/ids.hpp"

namespace samwaad::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace eio = realtime::protocol::engineio;
using asio::awaitable;
constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);

namespace {

// Engine.IO's error bodies for a bad handshake or request.
http::Response engine_error(int code, const char* message) {
  return http::Response::json(400, {{"code", code}, {"message", message}});
}

http::Response text_response(std::string body, const char* type = "text/plain; charset=UTF-8") {
  http::Response r;
  r.body = std::move(body);
  r.set_header("content-type", type);
  r.set_header("cache-control", "no-store");
  return r;
}

std::optional<std::string> handshake_token(const http::Request& request) {
  if (auto auth = request.header("authorization"); auth && auth->rfind("Bearer ", 0) == 0) {
    return auth->substr(7);
  }
  return std::nullopt;
}

}  // namespace

class EngineSession;

// The closing handshake gets 2 s (the stream's timeout option applies to both handshakes).
template <class Stream>
void set_close_timeout(Stream& ws) {
  ws.set_option(websocket::stream_base::timeout{std::chrono::seconds(2),
                                                websocket::stream_base::none(), false});
}

// WebSocket reads: the first piece of a message, and any further pieces.
constexpr std::size_t kFirstReadBytes = 128;
constexpr std::size_t kNextReadBytes = 64 * 1024;

struct EngineServer::Impl {
  Impl(asio::io_context& io, realtime::EngineOptions opts, realtime::EngineHandler& h,
       std::optional<std::string> origin)
      : ioc(io), options(opts), handler(h), cors_origin(std::move(origin)) {}

  asio::io_context& ioc;
  realtime::EngineOptions options;
  realtime::EngineHandler& handler;
  std::optional<std::string> cors_origin;
  std::unordered_map<std::string, std::shared_ptr<EngineSession>> sessions;
  bool shutting_down = false;

  std::shared_ptr<EngineSession> create(const http::Request& request, bool on_websocket);
  std::shared_ptr<EngineSession> find(const std::string& sid) {
    auto it = sessions.find(sid);
    return it == sessions.end() ? nullptr : it->second;
  }
};

// One Engine.IO connection. Lives on the I/O thread; coroutines that work on
// it hold a shared_ptr, so it outlives them.
class EngineSession final : public realtime::EngineConnection,
                            public std::enable_shared_from_this<EngineSession> {
 public:
  // On the plain socket, not on a beast::tcp_stream: its timers and per-operation state
  // would cost every idle socket ~0.6 KB; the WebSocket stream's own timeout option covers
  // the opening and closing handshakes.
  using WsStream = websocket::stream<asio::ip::tcp::socket>;
  // Timers on the io_context's executor (smaller than any_io_executor's).
  using Timer = asio::basic_waitable_timer<std::chrono::steady_clock,
                                           asio::wait_traits<std::chrono::steady_clock>,
                                           asio::io_context::executor_type>;

  EngineSession(EngineServer::Impl& server, std::string sid, std::string remote,
                std::optional<std::string> token)
      : server_(server),
        sid_(std::move(sid)),
        remote_(std::move(remote)),
        token_(std::move(token)),
        signal_(server.ioc),
        heartbeat_(server.ioc) {
    signal_.expires_at(Timer::time_point::max());
  }

  // EngineConnection
  const std::string& id() const override { return sid_; }
  const std::string& remote_address() const override { return remote_; }
  const std::optional<std::string>& handshake_token() const override { return token_; }
  bool is_open() const override { return open_; }
  // False once a WebSocket is probing for, or carrying, this session.
  bool can_upgrade() const { return !websocket_active_ && !upgrade_claimed_; }

  bool send(eio::Packet packet) override {
    if (!open_) return false;
    queued_bytes_ += packet.data.size() + 1;
    if (queued_bytes_ > server_.options.queue_limit_bytes) {
      spdlog::warn(R"({{"msg":"realtime queue over its bound, closing","sid":"{}","bytes":{}}})",
                   sid_, queued_bytes_);
      queue_.clear();
      sent_ = 0;
      queued_bytes_ = 0;
      finish("transport error");
      return false;
    }
    queue_.push_back(std::move(packet));
    wake();
    if (websocket_active_ && !writing_ && !flush_posted_) {
      // Written once the handler that queues it is done: what else it queues for this
      // socket (an ack and the events it causes, say) goes out in the same burst.
      flush_posted_ = true;
      asio::post(server_.ioc, [self = shared_from_this()] {
        self->flush_posted_ = false;
        self->flush();
      });
    }
    return true;
  }

  void close() override { finish("forced close"); }

  void pause_reading(bool paused) override {
    reading_paused_ = paused;
    if (!paused && read_deferred_) {
      read_deferred_ = false;
      if (open_ && ws_) read_next();
    }
  }

  void start_heartbeat() {
    // The first ping is due pingInterval after the handshake: armed now, not when the
    // handler first runs (which may be after the open packet went out).
    heartbeat_.expires_after(server_.options.ping_interval);
    wait_heartbeat();
  }

  // A request on a session whose pong is overdue closes it ("ping timeout") even if the
  // heartbeat timer has not run yet, so the outcome depends on the clock, not on how busy
  // the I/O thread is. True when the session was (just) closed that way.
  bool expire_if_overdue() {
    if (open_ && awaiting_pong_ && std::chrono::steady_clock::now() >= ping_deadline_) {
      finish("ping timeout");
      return true;
    }
    return false;
  }

  // Incoming packets from either transport.
  void on_packet(eio::Packet packet) {
    if (!open_) return;
    switch (packet.type) {
      case eio::PacketType::pong:
        // The next ping is due pingInterval after this pong (as the reference server does),
        // not pingInterval + pingTimeout after the last ping: wake the heartbeat now.
        if (awaiting_pong_) {
          awaiting_pong_ = false;
          pong_received_ = true;
          heartbeat_.cancel();
        }
        break;
      case eio::PacketType::message: server_.handler.on_message(*this, std::move(packet)); break;
      case eio::PacketType::close: finish("transport close"); break;
      case eio::PacketType::noop: break;
      default: finish("transport error"); break;
    }
  }

  // Ends the session once; the handler hears of it at once, the transport
  // still delivers what is queued (e.g. a Socket.IO DISCONNECT before a kick).
  void finish(std::string_view reason) {
    if (!open_) return;
    auto self = shared_from_this();  // erasing it below must not destroy it mid-call
    open_ = false;
    heartbeat_.cancel();
    server_.handler.on_close(*this, reason);
    wake();
    if (websocket_active_) flush();  // what is still queued, then the close frame
    // Closed by the client or by an error (bad packet, duplicate poll, ping timeout): the sid
    // is unknown from now on, so any later request on it gets 400, as the spec's test suite
    // expects. A poll already waiting still gets its answer (it holds the session).
    closed_by_client_ = reason == "transport close";
    if (reason != "forced close" && reason != "server shutting down") server_.sessions.erase(sid_);
    // Closed by the server (a kick, shutdown): a polling client gets one more poll to read the
    // rest (e.g. the Socket.IO DISCONNECT); then it is gone.
    // The heartbeat is over: its timer now counts the linger (its pending wait ends at once,
    // and the heartbeat handler sees the session closed).
    heartbeat_.expires_after(websocket_active_ ? std::chrono::seconds(5)
                                               : server_.options.ping_timeout);
    heartbeat_.async_wait(
        [self = shared_from_this()](const beast::error_code&) { self->forget(); });
  }

  void forget() {
    server_.sessions.erase(sid_);
    if (ws_) {
      beast::error_code ec;
      ws_->next_layer().close(ec);
    }
  }

  awaitable<http::Response> poll([[maybe_unused]] std::shared_ptr<EngineSession> self) {
    if (websocket_active_) co_return engine_error(3, "Bad request");
    if (poll_in_flight_) {
      finish("transport error");
      co_return engine_error(3, "Bad request");
    }
    poll_in_flight_ = true;
    while (queue_.empty() && open_ && !upgrading_) {
      co_await signal_.async_wait(kAsTuple);
    }
    poll_in_flight_ = false;
    if (upgrading_ && open_) co_return text_response("6");
    // The client sent a close packet while this poll waited: end it cleanly with a noop, as
    // the reference server does (what was queued for the client is moot).
    if (!open_ && closed_by_client_) co_return text_response("6");
    std::vector<eio::Packet> packets;
    packets.swap(queue_);  // leaves queue_ without an allocation
    queued_bytes_ = 0;
    // The close packet goes in a poll of its own: socket.io-client handles a
    // DISCONNECT on the next tick, after a close in the same payload, and
    // would then report "transport close" instead of "io server disconnect".
    if (!open_ && packets.empty()) packets.push_back(eio::Packet::text(eio::PacketType::close));
    auto payload = eio::encode_polling_payload(packets);
    if (!payload) co_return engine_error(3, "Bad request");
    co_return text_response(std::move(payload.value()));
  }

  http::Response post(const std::string& body) {
    if (websocket_active_) return engine_error(3, "Bad request");
    auto packets = eio::decode_polling_payload(body, server_.options.max_payload);
    if (!packets) {
      bool too_large = packets.error().kind == realtime::protocol::ErrorKind::too_large;
      finish("transport error");
      if (too_large) {
        http::Response r =
            http::Response::json(413, {{"code", 3}, {"message", "Payload too large"}});
        return r;
      }
      return engine_error(3, "Bad request");
    }
    for (auto& packet : packets.value()) on_packet(std::move(packet));
    return text_response("ok", "text/html");
  }

  // Probes a WebSocket that wants to carry this polling session: "2probe" / "3probe", then
  // "5" once the client has paused polling. False if the upgrade did not happen.
  awaitable<bool> probe(WsStream& ws) {
    upgrade_claimed_ = true;  // see can_upgrade()
    beast::flat_buffer buffer;
    auto [ec, n] = co_await ws.async_read(buffer, kAsTuple);
    if (ec || beast::buffers_to_string(buffer.data()) != "2probe" || !open_) {
      upgrade_claimed_ = false;
      co_return false;
    }
    buffer.clear();
    ws.text(true);
    static const std::string kProbe = "3probe";
    auto [wec, wn] = co_await ws.async_write(asio::buffer(kProbe), kAsTuple);
    if (wec) {
      upgrade_claimed_ = false;
      co_return false;
    }
    upgrading_ = true;
    wake();  // the pending poll answers with a noop, so the client can finish the upgrade
    auto [uec, un] = co_await ws.async_read(buffer, kAsTuple);
    if (uec || beast::buffers_to_string(buffer.data()) != "5") {
      upgrading_ = false;
      upgrade_claimed_ = false;
      co_return false;
    }
    co_return true;
  }

  // From now on the session runs on this WebSocket until it closes. No coroutine stays
  // suspended per socket: the reader, the writer and the heartbeat are completion handlers
  // that hold the session, so an idle socket costs its stream and one pending read.
  void activate_websocket(std::unique_ptr<WsStream> ws) {
    upgrade_claimed_ = true;
    ws_ = std::move(ws);
    websocket_active_ = true;
    upgrading_ = false;
    wake();  // a poll still waiting answers with a noop
    flush();
    read_next();
  }

 private:
  void wake() { signal_.cancel(); }

  // Reads a message piece by piece. Beast's async_read would prepare ~1.5 KB of the buffer
  // before waiting, and every idle socket would hold that: the first piece of a message is
  // read into a small buffer, later pieces (a longer message) in larger ones.
  void read_next() {
    std::size_t limit = read_buffer_.size() == 0 ? kFirstReadBytes : kNextReadBytes;
    ws_->async_read_some(
        read_buffer_, limit,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec) {
      finish(ec == websocket::error::closed ? "transport close" : "transport error");
      return;
    }
    if (!ws_->is_message_done()) {
      read_next();
      return;
    }
    auto data = beast::buffers_to_string(read_buffer_.data());
    read_buffer_.clear();
    read_buffer_.shrink_to_fit();  // an idle socket keeps no message buffer
    auto packet = eio::decode_ws_frame(data, ws_->got_binary());
    if (!packet) {
      finish("transport error");
      return;
    }
    on_packet(std::move(packet.value()));
    if (!open_) return;
    if (reading_paused_) {
      read_deferred_ = true;  // pause_reading(false) reads on
      return;
    }
    read_next();
  }

  // Writes the next queued packet unless a write is under way; once the session is closed
  // and the queue is drained, closes the WebSocket.
  void flush() {
    if (writing_ || !ws_) return;
    if (sent_ == queue_.size()) {
      if (corked_) cork(false);
      queue_.clear();
      queue_.shrink_to_fit();
      sent_ = 0;
      if (!open_ && !ws_closing_ && ws_->is_open()) {
        ws_closing_ = true;
        set_close_timeout(*ws_);
        ws_->async_close(websocket::close_code::normal,
                         [self = shared_from_this()](beast::error_code) {});
      }
      return;
    }
    // Several frames due at once: corked, the kernel sends them in as few TCP segments as
    // it can, uncorked when the queue is drained (each segment on loopback costs the whole
    // transmit and receive path; measured ~2.7 segments per message before).
    if (!corked_ && queue_.size() - sent_ > 1) cork(true);
    auto& packet = queue_[sent_++];
    queued_bytes_ -= std::min(queued_bytes_, packet.data.size() + 1);
    auto frame = eio::encode_ws_frame(packet);
    packet = eio::Packet{};  // its bytes are in the frame now
    write_payload_ = std::move(frame.payload);
    ws_->text(!frame.binary);
    writing_ = true;
    ws_->async_write(
        asio::buffer(write_payload_),
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_written(ec); });
  }

  void cork(bool on) {
    int value = on ? 1 : 0;
    // Best effort: without it the frames still go out, one segment each.
    ::setsockopt(ws_->next_layer().native_handle(), IPPROTO_TCP, TCP_CORK, &value, sizeof value);
    corked_ = on;
  }

  void on_written(beast::error_code ec) {
    writing_ = false;
    std::string().swap(write_payload_);
    if (ec) {
      finish("transport error");
      return;
    }
    flush();
  }

  // The heartbeat as a timer handler (phase: waiting to ping, or waiting for the pong).
  void wait_heartbeat() {
    heartbeat_.async_wait(
        [self = shared_from_this()](const beast::error_code&) { self->on_heartbeat(); });
  }

  void on_heartbeat() {
    if (!open_) return;
    if (!ping_sent_) {
      // Due (or woken early only by finish(), handled above): ping.
      pong_received_ = false;
      awaiting_pong_ = true;
      ping_sent_ = true;
      // pingTimeout counts from when the ping was due, so a late wake-up of this timer gives
      // a silent client no extra time (see expire_if_overdue()).
      ping_deadline_ = heartbeat_.expiry() + server_.options.ping_timeout;
      send(eio::Packet::text(eio::PacketType::ping));
      if (!open_) return;  // the ping overflowed the queue: the timer now counts the linger
      heartbeat_.expires_at(ping_deadline_);
      wait_heartbeat();  // a pong cancels it
      return;
    }
    ping_sent_ = false;
    awaiting_pong_ = false;
    if (!pong_received_) {
      finish("ping timeout");
      return;
    }
    heartbeat_.expires_after(server_.options.ping_interval);
    wait_heartbeat();
  }

  EngineServer::Impl& server_;
  std::string sid_;
  std::string remote_;
  std::optional<std::string> token_;
  bool open_ = true;
  bool websocket_active_ = false;
  bool upgrading_ = false;
  bool poll_in_flight_ = false;
  bool pong_received_ = false;
  bool awaiting_pong_ = false;
  Timer::time_point ping_deadline_{};
  bool closed_by_client_ = false;  // a close packet or WebSocket close from the client
  bool upgrade_claimed_ = false;   // a WebSocket is probing or carries the session
  bool ping_sent_ = false;         // the heartbeat waits for a pong (else: for the next ping)
  bool writing_ = false;           // a WebSocket write is under way
  bool flush_posted_ = false;      // a flush is queued on the I/O thread
  bool reading_paused_ = false;    // the handler asked for no more messages for now
  bool read_deferred_ = false;     // a read is owed once reading resumes
  bool corked_ = false;            // TCP_CORK is on while a burst of frames is written
  bool ws_closing_ = false;        // the WebSocket close frame was sent
  // Outgoing packets; the WebSocket writer has sent those before sent_. A vector, not a
  // deque: an empty one holds no memory (an empty std::deque allocates ~0.5 KB).
  std::vector<eio::Packet> queue_;
  std::size_t sent_ = 0;
  std::size_t queued_bytes_ = 0;
  std::string write_payload_;       // the frame being written
  beast::flat_buffer read_buffer_;  // the message being read
  Timer signal_;                    // cancelled to wake whoever waits for packets
  Timer heartbeat_;  // the next ping or the pong's deadline; after finish(), the linger
  std::unique_ptr<WsStream> ws_;
};

std::shared_ptr<EngineSession> EngineServer::Impl::create(const http::Request& request,
                                                          bool on_websocket) {
  auto token = handshake_token(request);
  if (!token) token = request.query_param("token");
  auto session = std::make_shared<EngineSession>(*this, random_hex(10), request.remote_address,
                                                 std::move(token));
  sessions.emplace(session->id(), session);
  (void)on_websocket;
  return session;
}

EngineServer::EngineServer(asio::io_context& ioc, realtime::EngineOptions options,
                           realtime::EngineHandler& handler, std::optional<std::string> cors_origin)
    : impl_(std::make_shared<Impl>(ioc, options, handler, std::move(cors_origin))) {}

EngineServer::~EngineServer() = default;

std::size_t EngineServer::session_count() const { return impl_->sessions.size(); }

awaitable<http::Response> EngineServer::handle_polling(http::Request& request) {
  auto& s = *impl_;
  if (request.query_param("EIO") != "4") co_return engine_error(5, "Unsupported protocol version");
  if (request.query_param("transport") != "polling") co_return engine_error(0, "Transport unknown");
  auto sid = request.query_param("sid");
  if (!sid) {
    if (request.method != "GET") co_return engine_error(2, "Bad handshake method");
    if (s.shutting_down) co_return engine_error(3, "Bad request");
    auto session = s.create(request, false);
    eio::Handshake handshake{session->id(),
                             {"websocket"},
                             static_cast<uint64_t>(s.options.ping_interval.count()),
                             static_cast<uint64_t>(s.options.ping_timeout.count()),
                             s.options.max_payload};
    std::vector<eio::Packet> open{eio::open_packet(handshake)};
    auto body = eio::encode_polling_payload(open);
    session->start_heartbeat();
    s.handler.on_open(session);
    co_return text_response(std::move(body.value()));
  }
  auto session = s.find(*sid);
  if (session && session->expire_if_overdue()) session = nullptr;
  if (!session) co_return engine_error(1, "Session ID unknown");
  if (request.method == "GET") co_return co_await session->poll(session);
  if (request.method == "POST") co_return session->post(request.body);
  co_return engine_error(2, "Bad handshake method");
}

void EngineServer::start_websocket(beast::tcp_stream stream,
                                   beast::http::request<beast::http::string_body> upgrade,
                                   http::Request request) {
  // The handshake (and, for an upgrade, the probe) runs in a coroutine of its own that ends
  // once the session carries the socket: the HTTP session, its buffers and this frame are
  // all gone while the socket is idle.
  asio::co_spawn(impl_->ioc,
                 accept_websocket(impl_, std::move(stream), std::move(upgrade), std::move(request)),
                 asio::detached);
}

awaitable<void> EngineServer::accept_websocket(
    std::shared_ptr<Impl> server, beast::tcp_stream stream,
    beast::http::request<beast::http::string_body> upgrade, http::Request request) {
  auto& s = *server;
  std::shared_ptr<EngineSession> session;
  auto sid = request.query_param("sid");
  bool valid = request.query_param("EIO") == "4" && request.query_param("transport") == "websocket";
  if (valid && sid) {
    session = s.find(*sid);
    valid = session && session->is_open();
  }
  if (!valid || s.shutting_down) {
    beast::http::response<beast::http::string_body> res{beast::http::status::bad_request, 11};
    res.set(beast::http::field::content_type, "application/json");
    res.body() = R"({"code":3,"message":"Bad request"})";
    res.prepare_payload();
    co_await beast::http::async_write(stream, res, kAsTuple);
    co_return;
  }
  auto ws = std::make_unique<EngineSession::WsStream>(stream.release_socket());
  ws->set_option(websocket::stream_base::timeout{std::chrono::seconds(10),
                                                 websocket::stream_base::none(), false});
  ws->read_message_max(s.options.max_payload);
  ws->auto_fragment(false);
  auto [ec] = co_await ws->async_accept(upgrade, kAsTuple);
  if (ec) co_return;
  if (session) {
    // A session already on (or upgrading to) WebSocket refuses another one: accepted, then
    // closed at once, as the reference server does (the spec's test suite expects a close,
    // not a failed handshake).
    if (!session->can_upgrade() || !session->is_open()) {
      set_close_timeout(*ws);
      co_await ws->async_close(websocket::close_code::normal, kAsTuple);
      co_return;
    }
    if (co_await session->probe(*ws)) session->activate_websocket(std::move(ws));
    co_return;
  }
  session = s.create(request, true);
  eio::Handshake handshake{session->id(),
                           {},
                           static_cast<uint64_t>(s.options.ping_interval.count()),
                           static_cast<uint64_t>(s.options.ping_timeout.count()),
                           s.options.max_payload};
  // The open packet goes first, ahead of anything the handler queues.
  session->send(eio::open_packet(handshake));
  session->start_heartbeat();
  s.handler.on_open(session);
  session->activate_websocket(std::move(ws));
}

void EngineServer::shutdown() {
  impl_->shutting_down = true;
  std::vector<std::shared_ptr<EngineSession>> all;
  for (auto& [sid, session] : impl_->sessions) all.push_back(session);
  for (auto& session : all) session->finish("server shutting down");
}

}  // namespace samwaad::net
