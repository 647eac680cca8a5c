// The network edge: accepts TCP connections and runs one HTTP/1.1 session
// coroutine per connection on a single I/O thread. Handlers run on worker
// pools (general, and a bounded one for password hashing); the I/O thread only
// parses, enforces limits and timeouts, and writes. This is the only part of
// the server that includes Beast and Asio, to keep compile times down.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace samwaad::http {
class HttpApp;
}
namespace samwaad::obs {
class Metrics;
}
namespace samwaad::realtime {
class Runtime;
class EngineHandler;
struct EngineOptions;
}  // namespace samwaad::realtime

namespace samwaad::net {

struct ServerOptions {
  std::string host = "0.0.0.0";
  uint16_t port = 3000;                              // 0 picks an ephemeral port
  std::chrono::milliseconds header_timeout{10'000};  // whole request head
  std::chrono::milliseconds idle_timeout{60'000};    // between keep-alive requests
  std::chrono::milliseconds body_timeout{60'000};    // whole request body
  std::chrono::milliseconds write_timeout{30'000};
  std::chrono::milliseconds shutdown_timeout{10'000};  // in-flight requests on SIGTERM
  std::size_t max_header_bytes = std::size_t{16} * 1024;
  std::size_t max_body_bytes = std::size_t{1024} * 1024;
  int general_workers = 4;
  int hashing_workers = 2;
  int hashing_queue = 64;  // hashing jobs in flight or waiting; beyond it: 503
};

class HttpServer {
 public:
  // Binds and listens at once, so port() is known before run().
  HttpServer(ServerOptions options, const http::HttpApp& app, obs::Metrics& metrics);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  uint16_t port() const;
  // Serves until SIGINT/SIGTERM or stop(); then stops accepting, lets
  // in-flight requests finish within shutdown_timeout, and returns.
  void run();
  // Thread-safe.
  void stop();

  // Worker pool, I/O thread and timers, for the realtime hub.
  realtime::Runtime& runtime();
  // Serves Engine.IO (polling and WebSocket) at `path`, e.g. "/socket.io/".
  // May be called for several paths, each with its own handler.
  void attach_engine(std::string path, const realtime::EngineOptions& options,
                     realtime::EngineHandler& handler, std::optional<std::string> cors_origin);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace samwaad::net
