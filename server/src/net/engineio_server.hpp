// Engine.IO v4 server transport: long-polling (GET/POST on the engine path)
// and WebSocket (direct, or upgraded from polling with the probe / upgrade /
// noop dance), heartbeats, and a bounded outgoing queue per connection.
// Internal to net/: the HTTP session hands it the requests for its path.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <memory>
#include <optional>
#include <string>

#include "http/message.hpp"
#include "realtime/engine.hpp"

namespace samwaad::net {

class EngineServer {
 public:
  EngineServer(boost::asio::io_context& ioc, realtime::EngineOptions options,
               realtime::EngineHandler& handler, std::optional<std::string> cors_origin);
  ~EngineServer();

  // A polling GET or POST (also the opening handshake).
  boost::asio::awaitable<http::Response> handle_polling(http::Request& request);
  // Takes over the connection for a WebSocket upgrade request and returns at once; the
  // caller's coroutine can end (nothing of it stays alive for the socket's lifetime).
  void start_websocket(boost::beast::tcp_stream stream,
                       boost::beast::http::request<boost::beast::http::string_body> upgrade,
                       http::Request request);
  // Closes every session ("server shutting down").
  void shutdown();
  std::size_t session_count() const;

  struct Impl;  // public so the session class in the .cpp can name it

 private:
  static boost::asio::awaitable<void> accept_websocket(
      std::shared_ptr<Impl> server, boost::beast::tcp_stream stream,
      boost::beast::http::request<boost::beast::http::string_body> upgrade, http::Request request);

  std::shared_ptr<Impl> impl_;
};

}  // namespace samwaad::net
