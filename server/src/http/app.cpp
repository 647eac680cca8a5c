#include "http/app.hpp"

#include <spdlog/spdlog.h>

#include "core/error.hpp"
#include "store/store.hpp"

namespace samwaad::http {
namespace {

bool is_api(const std::string& path) { return path == "/api" || path.rfind("/api/", 0) == 0; }

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

}  // namespace

HttpApp::HttpApp(Router router, AppPolicy policy, Handler fallback)
    : router_(std::move(router)), policy_(std::move(policy)), fallback_(std::move(fallback)) {}

Classified HttpApp::classify(const Request& request) const {
  if (request.method == "OPTIONS") return {Pool::general, "preflight"};
  auto match = router_.match(request.method, request.path);
  if (match.route) {
    return {match.route->pool, match.route->pattern, static_cast<bool>(match.route->open_body)};
  }
  if (is_api(request.path)) return {Pool::general, "api-unmatched"};
  return {Pool::general, "static"};
}

Response HttpApp::dispatch(Request& request) const {
  if (request.method == "OPTIONS") {
    Response r = Response::no_content();
    if (policy_.cors_origin && request.header("origin") == policy_.cors_origin) {
      r.set_header("access-control-allow-methods", "GET, POST, PATCH, DELETE, OPTIONS");
      r.set_header("access-control-allow-headers", "Authorization, Content-Type, X-Request-Id");
      r.set_header("access-control-max-age", "600");
    }
    return r;
  }
  auto match = router_.match(request.method, request.path);
  if (match.route) {
    request.params = std::move(match.params);
    return match.route->handler(request);
  }
  if (!match.allowed_methods.empty()) {
    Response r = Response::error(ApiError(ErrorCode::not_found, "method not allowed on this path"));
    r.status = 405;
    r.set_header("allow", join(match.allowed_methods));
    return r;
  }
  if (is_api(request.path)) {
    return Response::error(ApiError(ErrorCode::not_found, "no such endpoint"));
  }
  return fallback_(request);
}

Response HttpApp::error_response(const Request& request, const std::exception_ptr& error) const {
  try {
    std::rethrow_exception(error);
  } catch (const ApiError& e) {
    return Response::error(e);
  } catch (const store::StoreUnavailable& e) {
    spdlog::error(R"({{"msg":"storage unavailable","request_id":"{}"}})", request.request_id);
    return Response::error(
        ApiError(ErrorCode::unavailable, "storage is unavailable").with_retry_after(5));
  } catch (const std::exception& e) {
    // The detail goes to the log (with the request id), never to the client.
    spdlog::error(R"({{"msg":"unhandled error","request_id":"{}","error":{}}})", request.request_id,
                  nlohmann::json(std::string(e.what()))
                      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  } catch (...) {
    spdlog::error(R"({{"msg":"unhandled error","request_id":"{}"}})", request.request_id);
  }
  return Response::error(ApiError(ErrorCode::internal, "internal error"));
}

Response HttpApp::handle(Request& request) const {
  Response response;
  try {
    response = dispatch(request);
  } catch (...) {
    response = error_response(request, std::current_exception());
  }
  finish(request, response);
  return response;
}

OpenedBody HttpApp::open_body(Request& request) const {
  OpenedBody opened;
  try {
    auto match = router_.match(request.method, request.path);
    if (match.route && match.route->open_body) {
      request.params = std::move(match.params);
      opened.stream = match.route->open_body(request);
    }
  } catch (...) {
    opened.refusal = error_response(request, std::current_exception());
    finish(request, *opened.refusal);
  }
  return opened;
}

void HttpApp::finish(const Request& request, Response& response) const {
  response.set_header("x-request-id", request.request_id);
  response.set_header("x-content-type-options", "nosniff");
  response.set_header("referrer-policy", "no-referrer");
  response.set_header("x-frame-options", "DENY");
  response.set_header("cross-origin-opener-policy", "same-origin");
  if (!response.header("content-security-policy")) {
    response.set_header("content-security-policy", "default-src 'none'; frame-ancestors 'none'");
  }
  if (policy_.cors_origin) {
    auto origin = request.header("origin");
    if (origin && *origin == *policy_.cors_origin) {
      response.set_header("access-control-allow-origin", *origin);
      response.set_header("access-control-expose-headers", "Retry-After, X-Request-Id");
    }
    response.set_header("vary", "Origin");
  }
  if (is_api(request.path) && !response.header("cache-control")) {
    response.set_header("cache-control", "no-store");
  }
}

}  // namespace samwaad::http
