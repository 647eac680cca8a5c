#include "net/http_server.hpp"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <csignal>
#include <latch>
#include <list>
#include <memory>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/ids.hpp"
#include "http/app.hpp"
#include "http/body_stream.hpp"
#include "http/message.hpp"
#include "net/engineio_server.hpp"
#include "obs/metrics.hpp"
#include "realtime/engine.hpp"

namespace samwaad::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;
constexpr auto kAsTupleAwaitable = asio::as_tuple(asio::use_awaitable);

namespace {

// Names every thread of `pool` (per-thread tools such as top -H, perf and
// /proc/<pid>/task then tell the workers from the I/O thread). Asio's
// thread_pool has no hook for it, so each of `threads` tasks names the
// thread it runs on and then waits until all have: a task that waits keeps
// its thread, so the tasks run on `threads` different threads, which are all
// of them. The latch is shared: a task may still be leaving it after the
// caller has returned.
void name_pool_threads(asio::thread_pool& pool, std::size_t threads, const char* name) {
  auto all_named = std::make_shared<std::latch>(static_cast<std::ptrdiff_t>(threads));
  for (std::size_t i = 0; i < threads; ++i) {
    asio::post(pool, [all_named, name] {
      pthread_setname_np(pthread_self(), name);
      all_named->arrive_and_wait();
    });
  }
  all_named->wait();
}

// After refusing a request whose body we will not read, we stop sending and
// read (and drop) what the client still sends for a short while: closing a
// socket with unread data makes the kernel send a reset, and browsers then
// show a network error instead of our 413.
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr std::size_t kLingerBytes = std::size_t{64} * 1024 * 1024;
// Streamed bodies (uploads) go to their route in pieces of at most this size.
constexpr std::size_t kStreamChunkBytes = std::size_t{64} * 1024;

bool valid_request_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Worker pool, I/O thread and timers for the realtime hub, on Asio.
class AsioRuntime final : public realtime::Runtime {
 public:
  AsioRuntime(asio::io_context& ioc, asio::thread_pool& pool) : ioc_(ioc), pool_(pool) {}

  void blocking(std::function<void()> work, std::function<void()> done) override {
    asio::post(pool_, [this, work = std::move(work), done = std::move(done)]() mutable {
      work();
      asio::post(ioc_, std::move(done));
    });
  }
  void post(std::function<void()> fn) override { asio::post(ioc_, std::move(fn)); }

  class AsioTimer final : public Timer {
   public:
    explicit AsioTimer(asio::io_context& ioc) : timer(std::make_shared<asio::steady_timer>(ioc)) {}
    ~AsioTimer() override {
      *alive = false;
      timer->cancel();
    }
    std::shared_ptr<asio::steady_timer> timer;
    std::shared_ptr<bool> alive = std::make_shared<bool>(true);
  };
  std::unique_ptr<Timer> after(std::chrono::milliseconds delay, std::function<void()> fn) override {
    auto handle = std::make_unique<AsioTimer>(ioc_);
    handle->timer->expires_after(delay);
    handle->timer->async_wait([timer = handle->timer, alive = handle->alive,
                               fn = std::move(fn)](const beast::error_code& ec) {
      if (!ec && *alive) fn();
    });
    return handle;
  }

 private:
  asio::io_context& ioc_;
  asio::thread_pool& pool_;
};

}  // namespace

struct HttpServer::Impl {
  struct Session {
    beast::tcp_stream* stream = nullptr;
    bool busy = false;
  };

  Impl(ServerOptions opts, const http::HttpApp& a, obs::Metrics& m)
      : options(std::move(opts)),
        app(a),
        metrics(m),
        acceptor(ioc),
        signals(ioc, SIGINT, SIGTERM),
        general(static_cast<std::size_t>(options.general_workers)),
        hashing(static_cast<std::size_t>(options.hashing_workers)) {
    name_pool_threads(general, static_cast<std::size_t>(options.general_workers), "samwaad-worker");
    name_pool_threads(hashing, static_cast<std::size_t>(options.hashing_workers), "samwaad-bcrypt");
    tcp::endpoint endpoint(asio::ip::make_address(options.host), options.port);
    acceptor.open(endpoint.protocol());
    acceptor.set_option(asio::socket_base::reuse_address(true));
    acceptor.bind(endpoint);
    acceptor.listen(asio::socket_base::max_listen_connections);
  }

  ServerOptions options;
  const http::HttpApp& app;
  obs::Metrics& metrics;
  asio::io_context ioc{1};
  tcp::acceptor acceptor;
  asio::signal_set signals;
  asio::thread_pool general;
  asio::thread_pool hashing;
  std::atomic<int> hashing_load{0};
  bool stopping = false;
  std::list<Session> sessions;  // touched only on the I/O thread
  AsioRuntime runtime{ioc, general};
  // The Engine.IO servers by path (the conformance server serves two). Engines
  // has EngineServer's interface and dispatches on request.path, so the
  // session loop reads the same with one engine or several.
  struct Engines {
    std::vector<std::pair<std::string, std::unique_ptr<EngineServer>>> by_path;

    EngineServer* find(const std::string& path) const {
      for (const auto& [engine_path, server] : by_path) {
        if (path == engine_path || path + "/" == engine_path) return server.get();
      }
      return nullptr;
    }
    awaitable<http::Response> handle_polling(http::Request& request) {
      co_return co_await find(request.path)->handle_polling(request);
    }
    void start_websocket(beast::tcp_stream stream, bhttp::request<bhttp::string_body> upgrade,
                         http::Request request) {
      auto* server = find(request.path);
      server->start_websocket(std::move(stream), std::move(upgrade), std::move(request));
    }
    void shutdown() {
      for (auto& entry : by_path) entry.second->shutdown();
    }
  };
  std::unique_ptr<Engines> engine;

  bool is_engine_path(const std::string& path) const { return engine && engine->find(path); }

  awaitable<void> accept_loop();
  awaitable<void> run_session(tcp::socket socket);
  awaitable<http::Response> execute(http::Request& request, const http::Classified& route);
  awaitable<http::OpenedBody> open_body(http::Request& request);
  awaitable<std::optional<http::Response>> read_streamed_body(
      beast::tcp_stream& stream, beast::flat_buffer& buffer,
      bhttp::request_parser<bhttp::string_body>& head_parser, http::BodyStream& sink,
      const http::Request& request, bool& broken);
  awaitable<void> send_continue_if_expected(beast::tcp_stream& stream,
                                            const http::Request& request);
  awaitable<void> write(beast::tcp_stream& stream, http::Response& response, bool keep_alive,
                        bool head_only);
  awaitable<void> linger_close(beast::tcp_stream& stream);
  void begin_shutdown();
  awaitable<void> drain();
};

awaitable<void> HttpServer::Impl::accept_loop() {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(kAsTupleAwaitable);
    if (ec == asio::error::operation_aborted || stopping) co_return;
    if (ec) {
      // Out of file descriptors and the like: back off instead of spinning.
      spdlog::warn(R"({{"msg":"accept failed","error":"{}"}})", ec.message());
      asio::steady_timer timer(ioc, std::chrono::milliseconds(100));
      co_await timer.async_wait(kAsTupleAwaitable);
      continue;
    }
    asio::co_spawn(ioc, run_session(std::move(socket)), asio::detached);
  }
}

awaitable<http::Response> HttpServer::Impl::execute(http::Request& request,
                                                    const http::Classified& route) {
  if (route.pool == http::Pool::hashing) {
    if (hashing_load.fetch_add(1) >= options.hashing_queue) {
      hashing_load.fetch_sub(1);
      http::Response r = http::Response::error(
          ApiError(ErrorCode::unavailable, "the server is busy, try again shortly")
              .with_retry_after(2));
      app.finish(request, r);
      co_return r;
    }
    auto response = co_await asio::co_spawn(
        hashing, [&]() -> awaitable<http::Response> { co_return app.handle(request); },
        use_awaitable);
    hashing_load.fetch_sub(1);
    co_return response;
  }
  co_return co_await asio::co_spawn(
      general, [&]() -> awaitable<http::Response> { co_return app.handle(request); },
      use_awaitable);
}

// Runs the route's BodyOpener on the worker pool: it may block (authentication).
awaitable<http::OpenedBody> HttpServer::Impl::open_body(http::Request& request) {
  co_return co_await asio::co_spawn(
      general, [&]() -> awaitable<http::OpenedBody> { co_return app.open_body(request); },
      use_awaitable);
}

// Feeds the body to `sink` piece by piece as it arrives, so at most one piece
// of it is in this server's buffers at a time. Returns nothing when the sink
// took the whole body, a finished error response when the sink or the size
// limit refused it, or nothing with `broken` set when the client went away or
// timed out mid-body.
awaitable<std::optional<http::Response>> HttpServer::Impl::read_streamed_body(
    beast::tcp_stream& stream, beast::flat_buffer& buffer,
    bhttp::request_parser<bhttp::string_body>& head_parser, http::BodyStream& sink,
    const http::Request& request, bool& broken) {
  // The head was parsed for a string body; Beast lets the parser switch to a
  // caller-supplied buffer before the body starts.
  bhttp::request_parser<bhttp::buffer_body> parser(std::move(head_parser));
  parser.body_limit(sink.max_bytes());
  std::vector<char> chunk(kStreamChunkBytes);
  std::optional<ApiError> refused;
  stream.expires_after(options.body_timeout);
  try {
    while (!parser.is_done() && !refused) {
      parser.get().body().data = chunk.data();
      parser.get().body().size = chunk.size();
      auto [ec, n] = co_await bhttp::async_read_some(stream, buffer, parser, kAsTupleAwaitable);
      if (ec == bhttp::error::body_limit) {
        refused = ApiError(ErrorCode::payload_too_large, "request body too large");
      } else if (ec && ec != bhttp::error::need_buffer) {
        broken = true;
        co_return std::nullopt;
      } else {
        sink.append({chunk.data(), chunk.size() - parser.get().body().size});
      }
    }
    if (!refused) sink.finish();
  } catch (const ApiError& e) {
    refused = e;
  } catch (const std::exception& e) {
    spdlog::error(R"({{"msg":"streamed body failed","request_id":"{}","error":{}}})",
                  request.request_id, nlohmann::json(std::string(e.what())).dump());
    refused = ApiError(ErrorCode::internal, "internal error");
  }
  if (!refused) co_return std::nullopt;
  http::Response response = http::Response::error(*refused);
  app.finish(request, response);
  co_return response;
}

awaitable<void> HttpServer::Impl::send_continue_if_expected(beast::tcp_stream& stream,
                                                            const http::Request& request) {
  if (auto expect = request.header("expect"); expect && to_lower(*expect) == "100-continue") {
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    stream.expires_after(options.write_timeout);
    co_await asio::async_write(stream, asio::buffer(kContinue), kAsTupleAwaitable);
  }
}

awaitable<void> HttpServer::Impl::write(beast::tcp_stream& stream, http::Response& response,
                                        bool keep_alive, bool head_only) {
  bhttp::response<bhttp::string_body> res;
  res.version(11);
  res.result(static_cast<unsigned>(response.status));
  for (auto& [name, value] : response.headers) res.set(name, value);
  res.keep_alive(keep_alive);
  if (head_only) {
    res.content_length(response.body.size());
  } else {
    res.body() = std::move(response.body);
    res.prepare_payload();
  }
  stream.expires_after(options.write_timeout);
  if (head_only) {
    bhttp::response_serializer<bhttp::string_body> sr(res);
    co_await bhttp::async_write_header(stream, sr, kAsTupleAwaitable);
  } else {
    co_await bhttp::async_write(stream, res, kAsTupleAwaitable);
  }
}

awaitable<void> HttpServer::Impl::linger_close(beast::tcp_stream& stream) {
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream.expires_after(kLingerTime);
  std::array<char, std::size_t{16} * 1024> sink;
  std::size_t drained = 0;
  while (drained < kLingerBytes) {
    auto [rec, n] = co_await stream.async_read_some(asio::buffer(sink), kAsTupleAwaitable);
    if (rec) break;
    drained += n;
  }
  stream.socket().close(ec);
}

awaitable<void> HttpServer::Impl::run_session(tcp::socket socket) {
  beast::error_code ec;
  socket.set_option(tcp::no_delay(true), ec);
  std::string remote = socket.remote_endpoint(ec).address().to_string();
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  metrics.connection_opened();
  auto self = sessions.insert(sessions.end(), Session{&stream, false});
  bool first = true;

  for (;;) {
    if (stopping) break;
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
    // The body limit is applied after the head is read, so that an oversized
    // Content-Length gets a 413 rather than a parse error.
    parser.body_limit(boost::none);
    // A slow-drip client gets the header timeout from its first byte at the latest.
    stream.expires_after(first ? options.header_timeout : options.idle_timeout);
    self->busy = false;
    auto [rec, rn] = co_await bhttp::async_read_header(stream, buffer, parser, kAsTupleAwaitable);
    self->busy = true;
    first = false;
    auto started = std::chrono::steady_clock::now();

    http::Request request;
    request.remote_address = remote;
    request.request_id = random_hex(8);
    if (rec) {
      if (rec == bhttp::error::end_of_stream || rec == beast::error::timeout ||
          rec == asio::error::operation_aborted || rec == asio::error::connection_reset ||
          rec == asio::error::eof) {
        break;
      }
      // Malformed or oversized head: answer once, then close.
      request.path = "/";
      std::string message =
          rec == bhttp::error::header_limit ? "request head too large" : "malformed HTTP request";
      http::Response r = http::Response::error(ApiError(ErrorCode::validation, message));
      r.status = rec == bhttp::error::header_limit ? 431 : 400;
      app.finish(request, r);
      co_await write(stream, r, false, false);
      metrics.record_request("-", "malformed", r.status, 0);
      co_await linger_close(stream);
      break;
    }

    auto& head = parser.get();
    request.method = std::string(head.method_string());
    request.target = std::string(head.target());
    for (const auto& field : head) {
      request.headers.emplace_back(to_lower(field.name_string()), std::string(field.value()));
    }
    if (auto id = request.header("x-request-id"); id && valid_request_id(*id)) {
      request.request_id = *id;
    }
    bool keep_alive = head.keep_alive();
    bool head_only = request.method == "HEAD";

    http::Response response;
    bool close_after = false;
    std::string route_name = "malformed";
    const bool target_ok = http::parse_target(request.target, request.path, request.query);
    // Routes that stream their body (uploads) authenticate and pick their
    // limit before a byte of the body is read.
    http::OpenedBody opened;
    if (target_ok && !is_engine_path(request.path) && app.classify(request).opens_body) {
      opened = co_await open_body(request);
    }
    const std::size_t body_limit =
        opened.stream ? opened.stream->max_bytes() : options.max_body_bytes;
    if (!target_ok) {
      request.path = "/";
      response = http::Response::error(ApiError(ErrorCode::validation, "malformed request target"));
      app.finish(request, response);
      close_after = true;
    } else if (is_engine_path(request.path) && beast::websocket::is_upgrade(parser.get())) {
      // The connection becomes a WebSocket: it leaves the HTTP session's care.
      route_name = "engine.io-websocket";
      metrics.record_request(request.method, route_name, 101, 0);
      sessions.erase(self);
      metrics.connection_closed();
      stream.expires_never();
      // Handed over, not awaited: this coroutine (its frame, read buffer and parsed request)
      // ends now instead of staying suspended for the WebSocket's whole life.
      engine->start_websocket(std::move(stream), parser.release(), std::move(request));
      co_return;
    } else if (opened.refusal) {
      route_name = app.classify(request).route_name;
      response = std::move(*opened.refusal);
      close_after = !parser.is_done();  // a body we will not read ends the connection
    } else if (auto length = parser.content_length(); length && *length > body_limit) {
      // Refused before reading the body.
      route_name = app.classify(request).route_name;
      response =
          http::Response::error(ApiError(ErrorCode::payload_too_large, "request body too large"));
      app.finish(request, response);
      close_after = true;
    } else if (opened.stream) {
      auto route = app.classify(request);
      route_name = route.route_name;
      co_await send_continue_if_expected(stream, request);
      bool broken = false;
      auto refusal =
          co_await read_streamed_body(stream, buffer, parser, *opened.stream, request, broken);
      if (broken) break;  // timed out or went away mid-body: nobody to answer
      if (refusal) {
        response = std::move(*refusal);
        close_after = true;
      } else {
        request.body_stream = std::move(opened.stream);
        response = co_await execute(request, route);
      }
    } else {
      parser.body_limit(options.max_body_bytes);
      co_await send_continue_if_expected(stream, request);
      stream.expires_after(options.body_timeout);
      auto [bec, bn] = co_await bhttp::async_read(stream, buffer, parser, kAsTupleAwaitable);
      if (bec == bhttp::error::body_limit) {
        route_name = app.classify(request).route_name;
        response =
            http::Response::error(ApiError(ErrorCode::payload_too_large, "request body too large"));
        app.finish(request, response);
        close_after = true;
      } else if (bec) {
        break;  // timed out or went away mid-body: nobody to answer
      } else {
        request.body = std::move(parser.get().body());
        if (is_engine_path(request.path)) {
          route_name = "engine.io-polling";
          response = co_await engine->handle_polling(request);
          app.finish(request, response);
        } else {
          auto route = app.classify(request);
          route_name = route.route_name;
          response = co_await execute(request, route);
        }
      }
    }

    if (stopping) keep_alive = false;
    if (close_after) keep_alive = false;
    int status = response.status;
    co_await write(stream, response, keep_alive, head_only);
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    metrics.record_request(request.method, route_name, status, seconds);
    spdlog::info(
        R"({{"msg":"request","request_id":"{}","method":"{}","path":{},"route":{},"status":{},"ms":{:.2f},"remote":"{}"}})",
        request.request_id, request.method,
        nlohmann::json(request.path).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
        nlohmann::json(route_name).dump(), status, seconds * 1000, remote);
    if (close_after) {
      co_await linger_close(stream);
      break;
    }
    if (!keep_alive) break;
  }

  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream.socket().close(ec);
  sessions.erase(self);
  metrics.connection_closed();
}

void HttpServer::Impl::begin_shutdown() {
  if (stopping) return;
  stopping = true;
  spdlog::info(R"({{"msg":"shutting down","open_connections":{}}})", sessions.size());
  beast::error_code ec;
  acceptor.close(ec);
  signals.cancel(ec);
  if (engine) engine->shutdown();
  // Idle keep-alive connections close now; busy ones finish their request.
  for (auto& session : sessions) {
    if (!session.busy) session.stream->cancel();
  }
  asio::co_spawn(ioc, drain(), asio::detached);
}

awaitable<void> HttpServer::Impl::drain() {
  auto deadline = std::chrono::steady_clock::now() + options.shutdown_timeout;
  asio::steady_timer timer(ioc);
  while (!sessions.empty() && std::chrono::steady_clock::now() < deadline) {
    for (auto& session : sessions) {
      if (!session.busy) session.stream->cancel();
    }
    timer.expires_after(std::chrono::milliseconds(20));
    co_await timer.async_wait(kAsTupleAwaitable);
  }
  if (!sessions.empty()) {
    spdlog::warn(R"({{"msg":"shutdown timeout, closing connections","open":{}}})", sessions.size());
  }
  ioc.stop();
}

HttpServer::HttpServer(ServerOptions options, const http::HttpApp& app, obs::Metrics& metrics)
    : impl_(std::make_unique<Impl>(std::move(options), app, metrics)) {}

HttpServer::~HttpServer() {
  impl_->general.join();
  impl_->hashing.join();
}

uint16_t HttpServer::port() const { return impl_->acceptor.local_endpoint().port(); }

void HttpServer::run() {
  impl_->signals.async_wait([this](const beast::error_code& ec, int) {
    if (!ec) impl_->begin_shutdown();
  });
  asio::co_spawn(impl_->ioc, impl_->accept_loop(), asio::detached);
  impl_->ioc.run();
  impl_->general.join();
  impl_->hashing.join();
}

realtime::Runtime& HttpServer::runtime() { return impl_->runtime; }

void HttpServer::attach_engine(std::string path, const realtime::EngineOptions& options,
                               realtime::EngineHandler& handler,
                               std::optional<std::string> cors_origin) {
  // Several paths may be attached (each its own sessions and handler); attaching
  // the same path again replaces its engine.
  if (!impl_->engine) impl_->engine = std::make_unique<Impl::Engines>();
  auto server =
      std::make_unique<EngineServer>(impl_->ioc, options, handler, std::move(cors_origin));
  for (auto& entry : impl_->engine->by_path) {
    if (entry.first == path) {
      entry.second = std::move(server);
      return;
    }
  }
  impl_->engine->by_path.emplace_back(std::move(path), std::move(server));
}

void HttpServer::stop() {
  asio::post(impl_->ioc, [this] { impl_->begin_shutdown(); });
}

}  // namespace samwaad::net
