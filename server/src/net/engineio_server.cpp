#include "net/engineio_server.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <unordered_map>
#include <vector>

#include "core/ids.hpp"
#include "net/websocket_channel.hpp"
#include "realtime/protocol/websocket.hpp"

namespace samwaad::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace eio = realtime::protocol::engineio;
namespace ws = realtime::protocol::websocket;
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
                            public WebSocketChannel::Listener,
                            public std::enable_shared_from_this<EngineSession> {
 public:
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
  bool can_upgrade() const { return !ws_ && !probe_; }

  bool send(eio::Packet packet) override {
    if (!open_) return false;
    if (ws_) {
      queue_frame(packet);
      if (ws_->pending_bytes() > server_.options.queue_limit_bytes) {
        spdlog::warn(R"({{"msg":"realtime queue over its bound, closing","sid":"{}","bytes":{}}})",
                     sid_, ws_->pending_bytes());
        // Part of a frame may be written already, so nothing can be taken back and no close
        // frame can follow: the connection is dropped.
        ws_->drop();
        finish("transport error");
        return false;
      }
      if (!flush_posted_) {
        // Written once the handler that queues it is done: what else it queues for this
        // socket (an ack and the events it causes, say) goes out in the same send.
        flush_posted_ = true;
        asio::post(server_.ioc, [self = shared_from_this()] {
          self->flush_posted_ = false;
          if (self->ws_) self->ws_->flush();
        });
      }
      return true;
    }
    queued_bytes_ += packet.data.size() + 1;
    if (queued_bytes_ > server_.options.queue_limit_bytes) {
      spdlog::warn(R"({{"msg":"realtime queue over its bound, closing","sid":"{}","bytes":{}}})",
                   sid_, queued_bytes_);
      queue_.clear();
      queued_bytes_ = 0;
      finish("transport error");
      return false;
    }
    queue_.push_back(std::move(packet));
    wake();
    return true;
  }

  void close() override { finish("forced close"); }

  void pause_reading(bool paused) override {
    if (ws_) ws_->pause_reading(paused);
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
    if (ws_) ws_->close(ws::CloseCode::normal);  // what is still queued, then the close frame
    abandon_probe();
    // Closed by the client or by an error (bad packet, duplicate poll, ping timeout): the sid
    // is unknown from now on, so any later request on it gets 400, as the spec's test suite
    // expects. A poll already waiting still gets its answer (it holds the session).
    closed_by_client_ = reason == "transport close";
    if (reason != "forced close" && reason != "server shutting down") server_.sessions.erase(sid_);
    // Closed by the server (a kick, shutdown): a polling client gets one more poll to read the
    // rest (e.g. the Socket.IO DISCONNECT); then it is gone.
    // The heartbeat is over: its timer now counts the linger (its pending wait ends at once,
    // and the heartbeat handler sees the session closed).
    heartbeat_.expires_after(ws_ ? std::chrono::seconds(5) : server_.options.ping_timeout);
    heartbeat_.async_wait(
        [self = shared_from_this()](const beast::error_code&) { self->forget(); });
  }

  void forget() {
    server_.sessions.erase(sid_);
    if (ws_) ws_->drop();
  }

  awaitable<http::Response> poll([[maybe_unused]] std::shared_ptr<EngineSession> self) {
    if (ws_) co_return engine_error(3, "Bad request");
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
    if (ws_) return engine_error(3, "Bad request");
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
  // "5" once the client has paused polling (see on_probe_message). False if this session
  // cannot take one now.
  bool begin_probe(std::shared_ptr<WebSocketChannel> channel) {
    if (!can_upgrade() || !open_) return false;
    probe_ = std::move(channel);
    probe_pinged_ = false;
    probe_->listen(weak_from_this());
    return true;
  }

  // WebSocketChannel::Listener: the probing socket, or the one carrying the session.
  void on_ws_message(WebSocketChannel& channel, std::string payload, bool binary) override {
    if (&channel == probe_.get()) {
      on_probe_message(payload, binary);
      return;
    }
    if (&channel != ws_.get()) return;
    auto packet = eio::decode_ws_frame(payload, binary);
    if (!packet) {
      finish("transport error");
      return;
    }
    on_packet(std::move(packet.value()));
  }

  void on_ws_closed(WebSocketChannel& channel, bool by_client) override {
    if (&channel == probe_.get()) {
      abandon_probe();
    } else if (&channel == ws_.get()) {
      finish(by_client ? "transport close" : "transport error");
    }
  }

 private:
  void on_probe_message(const std::string& payload, bool binary) {
    if (open_ && !binary && !probe_pinged_ && payload == "2probe") {
      probe_pinged_ = true;
      probe_->queue(ws::Opcode::text, "3probe");
      probe_->flush();
      upgrading_ = true;
      wake();  // the pending poll answers with a noop, so the client can finish the upgrade
      return;
    }
    if (open_ && !binary && probe_pinged_ && payload == "5") {
      activate_websocket(std::move(probe_));
      return;
    }
    abandon_probe();
  }

  void abandon_probe() {
    if (!probe_) return;
    probe_->drop();
    probe_.reset();
    upgrading_ = false;
  }

 public:
  // From now on the session runs on this WebSocket until it closes. No coroutine stays
  // suspended per socket: the channel's readiness waits and the heartbeat timer hold the
  // session, so an idle socket costs its channel and one pending wait.
  void activate_websocket(std::shared_ptr<WebSocketChannel> channel) {
    ws_ = std::move(channel);
    upgrading_ = false;
    ws_->listen(weak_from_this());
    // What was queued for polling goes first, in order.
    for (auto& packet : queue_) queue_frame(packet);
    queue_.clear();
    queue_.shrink_to_fit();
    queued_bytes_ = 0;
    wake();  // a poll still waiting answers with a noop
    ws_->flush();
  }

 private:
  void wake() { signal_.cancel(); }

  void queue_frame(const eio::Packet& packet) {
    auto frame = eio::encode_ws_frame(packet);
    ws_->queue(frame.binary ? ws::Opcode::binary : ws::Opcode::text, frame.payload);
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
  bool upgrading_ = false;
  bool poll_in_flight_ = false;
  bool pong_received_ = false;
  bool awaiting_pong_ = false;
  Timer::time_point ping_deadline_{};
  bool closed_by_client_ = false;  // a close packet or WebSocket close from the client
  bool ping_sent_ = false;         // the heartbeat waits for a pong (else: for the next ping)
  bool flush_posted_ = false;      // a WebSocket flush is queued on the I/O thread
  bool probe_pinged_ = false;      // the probing socket got "2probe" and answered
  // Packets for the polling transport. A vector, not a deque: an empty one holds no memory
  // (an empty std::deque allocates ~0.5 KB). On WebSocket, packets go straight to ws_.
  std::vector<eio::Packet> queue_;
  std::size_t queued_bytes_ = 0;
  Timer signal_;     // cancelled to wake whoever waits for packets
  Timer heartbeat_;  // the next ping or the pong's deadline; after finish(), the linger
  std::shared_ptr<WebSocketChannel> ws_;     // carries the session once upgraded
  std::shared_ptr<WebSocketChannel> probe_;  // a WebSocket probing to take over
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
  const auto version = upgrade[beast::http::field::sec_websocket_version];
  const auto key = upgrade[beast::http::field::sec_websocket_key];
  if (version != "13" || !ws::valid_client_key(key)) {
    // 426 names the version this server speaks (RFC 6455 4.4).
    const bool wrong_version = version != "13";
    beast::http::response<beast::http::string_body> res{
        wrong_version ? beast::http::status::upgrade_required : beast::http::status::bad_request,
        11};
    if (wrong_version) res.set(beast::http::field::sec_websocket_version, "13");
    res.set(beast::http::field::content_type, "application/json");
    res.body() = R"({"code":3,"message":"Bad request"})";
    res.prepare_payload();
    co_await beast::http::async_write(stream, res, kAsTuple);
    co_return;
  }
  const std::string accepted =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
      "Connection: Upgrade\r\nSec-WebSocket-Accept: " +
      ws::accept_key(key) + "\r\n\r\n";
  auto [ec, n] = co_await asio::async_write(stream, asio::buffer(accepted), kAsTuple);
  if (ec) co_return;
  auto channel = std::make_shared<WebSocketChannel>(stream.release_socket(), s.options.max_payload);
  if (session) {
    // A session already on (or upgrading to) WebSocket refuses another one: accepted, then
    // closed at once, as the reference server does (the spec's test suite expects a close,
    // not a failed handshake).
    if (!session->begin_probe(channel)) channel->close(ws::CloseCode::normal);
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
  session->activate_websocket(std::move(channel));
}

void EngineServer::shutdown() {
  impl_->shutting_down = true;
  std::vector<std::shared_ptr<EngineSession>> all;
  for (auto& [sid, session] : impl_->sessions) all.push_back(session);
  for (auto& session : all) session->finish("server shutting down");
}

}  // namespace samwaad::net
