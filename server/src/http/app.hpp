// The HTTP application as the transport sees it: classify a request (which
// pool, which route name for metrics) and handle it. This is the one boundary
// where errors become responses and where the cross-cutting headers
// (security, CORS, request id) are added.
#pragma once

#include <functional>
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
};

class HttpApp {
 public:
  HttpApp(Router router, AppPolicy policy, Handler fallback);

  Classified classify(const Request& request) const;
  // Never throws: every failure becomes a contract-shaped error response.
  Response handle(Request& request) const;
  // Headers every response carries; also used for responses the transport
  // makes itself (413 before the body is read, timeouts).
  void finish(const Request& request, Response& response) const;

 private:
  Response dispatch(Request& request) const;

  Router router_;
  AppPolicy policy_;
  Handler fallback_;
};

}  // namespace samwaad::http
