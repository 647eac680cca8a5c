// Request bodies taken as a stream instead of buffered whole, for uploads: the
// server must neither hold more than an upload's limit in memory nor read a
// body it is going to refuse anyway. A route that streams its body registers a
// BodyOpener (Router::add_streaming); the transport runs it before reading any
// of the body, then feeds the body to the stream it returned as it arrives,
// and finally runs the route's handler with the stream in Request::body_stream.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string_view>

#include "http/message.hpp"

namespace samwaad::http {

class BodyStream {
 public:
  virtual ~BodyStream() = default;

  // The most body bytes (framing included) this request may send. A larger
  // Content-Length is refused with 413 before anything is read, and so is a
  // body that grows past it while streaming.
  virtual std::size_t max_bytes() const = 0;
  // The next piece of the body, in order. Runs on the network I/O thread: it
  // must not block and should do constant work per byte. Throws ApiError to
  // refuse the request; the rest of the body is then not read.
  virtual void append(std::string_view bytes) = 0;
  // The whole body has arrived. Throws ApiError (say, a truncated form).
  virtual void finish() = 0;
};

// Runs on a worker thread once the request head is in, before any of the body
// is read, so it may authenticate and rate-limit. Returns the stream to take
// the body, or nullptr to have it buffered like any other (server-wide limit).
// Throws ApiError to refuse the request without reading its body.
using BodyOpener = std::function<std::unique_ptr<BodyStream>(Request&)>;

// The route's stream, as the concrete type its opener made.
template <typename T>
T& streamed_body(const Request& request) {
  auto* stream = dynamic_cast<T*>(request.body_stream.get());
  if (stream == nullptr) throw std::logic_error("the request body was not streamed as expected");
  return *stream;
}

}  // namespace samwaad::http
