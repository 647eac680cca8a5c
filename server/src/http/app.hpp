// The HTTP application as the transport sees it: classify a request (which
// pool, which route name for metrics) and handle it. This is the one boundary
// where errors become responses and where the cross-cutting headers
// (security, CORS, request id) are added.
#pragma once

#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "http/message.hpp"
#include "http/router.hpp"

namespace samwaad::http {

struct AppPolicy {
  std::optional<std::string> cors_origin;  // CLIENT_URL; unset means same origin only
};

struct Classified {
  Pool pool = Pool::general;
  std::string route_name;  // the pattern, or a fixed label: keeps metrics cardinality bounded
  // The route may stream its body: call open_body() before reading any of it.
  bool opens_body = false;
};

// What a streaming route made of a request before its body was read.
struct OpenedBody {
  std::unique_ptr<BodyStream> stream;  // nullptr: buffer the body as usual
  std::optional<Response> refusal;     // set when refused; already finished
};

class HttpApp {
 public:
  HttpApp(Router router, AppPolicy policy, Handler fallback);

  Classified classify(const Request& request) const;
  // Never throws: every failure becomes a contract-shaped error response.
  Response handle(Request& request) const;
  // For routes that stream their body: runs the route's BodyOpener (blocking;
  // on a worker thread). Never throws: a refusal comes back as a response.
  OpenedBody open_body(Request& request) const;
  // Headers every response carries; also used for responses the transport
  // makes itself (413 before the body is read, timeouts).
  void finish(const Request& request, Response& response) const;

 private:
  Response dispatch(Request& request) const;
  // The response for an exception escaping a handler.
  Response error_response(const Request& request, const std::exception_ptr& error) const;

  Router router_;
  AppPolicy policy_;
  Handler fallback_;
};

}  // namespace samwaad::http
