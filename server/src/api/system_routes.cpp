#include "api/routes.hpp"
#include "core/error.hpp"
#include "obs/metrics.hpp"
#include "store/store.hpp"

namespace samwaad::api {

void add_system_routes(http::Router& router, ApiDeps deps) {
  router.add("GET", "/healthz", [](http::Request&) {
    return http::Response::json(200, {{"status", "ok"}});
  });

  router.add("GET", "/readyz", [deps](http::Request&) {
    bool db = false;
    try {
      db = deps.store.ping();
    } catch (const std::exception&) {
      db = false;
    }
    if (!db) {
      return http::Response::error(
          ApiError(ErrorCode::unavailable, "database unreachable").with_retry_after(5));
    }
    return http::Response::json(200, {{"status", "ready"}, {"database", "ok"}});
  });

  router.add("GET", "/metrics", [deps](http::Request&) {
    for (const auto& gauge : deps.store.gauges()) {
      if (gauge.counter) {
        deps.metrics.set_counter(gauge.name, gauge.help, gauge.value);
      } else {
        deps.metrics.set_gauge(gauge.name, gauge.help, gauge.value);
      }
    }
    http::Response r;
    r.body = deps.metrics.render();
    r.set_header("content-type", "text/plain; version=0.0.4; charset=utf-8");
    return r;
  });
}

}  // namespace samwaad::api
