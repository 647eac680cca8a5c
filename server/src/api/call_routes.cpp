#include "api/request_auth.hpp"
#include "api/routes.hpp"
#include "calls/ice_servers.hpp"
#include "core/time.hpp"

namespace samwaad::api {

void add_call_routes(http::Router& router, ApiDeps deps, calls::IceConfig ice) {
  router.add("GET", "/api/v1/calls/ice-servers", [deps, ice](http::Request& req) {
    auto principal = require_auth(req, deps.auth);
    auto response =
        http::Response::json(200, calls::ice_servers_json(ice, principal.user_id, now_ms() / 1000));
    // Credentials: never kept by a cache on the way.
    response.set_header("Cache-Control", "no-store");
    return response;
  });
}

}  // namespace samwaad::api
