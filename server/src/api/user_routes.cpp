#include "api/request_auth.hpp"
#include "api/routes.hpp"
#include "core/error.hpp"
#include "core/validate.hpp"
#include "http/json_body.hpp"
#include "users/user_service.hpp"

namespace samwaad::api {

void add_user_routes(http::Router& router, ApiDeps deps) {
  router.add("GET", "/api/v1/users/me", [deps](http::Request& req) {
    auto principal = require_auth(req, deps.auth);
    return http::Response::json(200, {{"user", deps.users.owner_view(deps.users.get(principal.user_id))}});
  });

  router.add("PATCH", "/api/v1/users/me/profile", [deps](http::Request& req) {
    auto principal = require_auth(req, deps.auth);
    auto body = http::json_body(req);
    for (const auto& [key, value] : body.items()) {
      if (key != "name" && key != "bio") throw field_error(key, "is not a profile field");
    }
    auto name = string_field(body, "name", false);
    auto bio = string_field(body, "bio", false);
    auto user = deps.users.update_profile(principal.user_id, name, bio);
    return http::Response::json(200, {{"user", deps.users.owner_view(user)}});
  });

  router.add("GET", "/api/v1/users", [deps](http::Request& req) {
    auto principal = require_auth(req, deps.auth);
    int limit = parse_limit(req.query_param("limit"), 1, 50, 20);
    auto found = deps.users.search(req.query_param("q").value_or(""), principal.user_id, limit);
    nlohmann::json list = nlohmann::json::array();
    for (const auto& user : found) list.push_back(deps.users.public_view(user));
    return http::Response::json(200, {{"users", list}});
  });

  router.add("GET", "/api/v1/users/:id", [deps](http::Request& req) {
    require_auth(req, deps.auth);
    auto user = deps.users.get(req.params.at("id"));
    return http::Response::json(200, {{"user", deps.users.public_view(user)}});
  });
}

}  // namespace samwaad::api
