// The seam between the Engine.IO transport (net/, on Asio and Beast) and what
// runs on top of it (the Socket.IO hub, or the conformance echo server). All
// calls in both directions happen on the single network I/O thread, so the
// hub's state needs no locks; blocking work goes through Runtime::blocking.
#pragma once

#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "realtime/protocol/engineio.hpp"

namespace samwaad::realtime {

namespace eio = protocol::engineio;

// One Engine.IO client connection, whichever transport it is on.
class EngineConnection {
 public:
  virtual ~EngineConnection() = default;
  virtual const std::string& id() const = 0;
  virtual const std::string& remote_address() const = 0;
  // The Authorization header or `token` query of the handshake request, if any.
  virtual const std::optional<std::string>& handshake_token() const = 0;
  // Queues a packet. Returns false when the connection is closed, or when its
  // outgoing queue passed the bound: it is then closed (a slow reader must not
  // make the server's memory grow).
  virtual bool send(eio::Packet packet) = 0;
  // Sends what is queued, then closes. on_close follows.
  virtual void close() = 0;
  virtual bool is_open() const = 0;
  // While paused, no further message is read from the client (TCP pushes
  // back on it); a message already being read is finished. Only WebSocket
  // reads can be paused: a polling POST is bounded by maxPayload anyway.
  virtual void pause_reading(bool paused) { (void)paused; }
};

class EngineHandler {
 public:
  virtual ~EngineHandler() = default;
  virtual void on_open(const std::shared_ptr<EngineConnection>& connection) = 0;
  virtual void on_message(EngineConnection& connection, eio::Packet packet) = 0;
  // Called once per connection; `reason` as Engine.IO names it ("transport close",
  // "ping timeout", "transport error", "forced close", "server shutting down").
  virtual void on_close(EngineConnection& connection, std::string_view reason) = 0;
};

// What the hub needs from the runtime.
class Runtime {
 public:
  virtual ~Runtime() = default;
  // Runs `work` on a worker pool, then `done` on the I/O thread.
  virtual void blocking(std::function<void()> work, std::function<void()> done) = 0;
  // Runs `fn` on the I/O thread; callable from any thread.
  virtual void post(std::function<void()> fn) = 0;
  // Runs `fn` on the I/O thread after `delay` unless the returned handle is
  // reset or destroyed first.
  class Timer {
   public:
    virtual ~Timer() = default;
  };
  virtual std::unique_ptr<Timer> after(std::chrono::milliseconds delay,
                                       std::function<void()> fn) = 0;

  // Runs `work` (which returns T) on a worker pool and hands the value, or the
  // exception it threw, to `done` on the I/O thread.
  template <class T>
  void run(std::function<T()> work,
           std::function<void(std::optional<T>, std::exception_ptr)> done) {
    auto value = std::make_shared<std::optional<T>>();
    auto error = std::make_shared<std::exception_ptr>();
    blocking(
        [work = std::move(work), value, error] {
          try {
            *value = work();
          } catch (...) {
            *error = std::current_exception();
          }
        },
        [done = std::move(done), value, error] { done(std::move(*value), *error); });
  }
};

struct EngineOptions {
  std::chrono::milliseconds ping_interval{25000};
  std::chrono::milliseconds ping_timeout{20000};
  std::size_t max_payload = 1000000;
  std::size_t queue_limit_bytes = std::size_t{4} * 1024 * 1024;
};

}  // namespace samwaad::realtime
