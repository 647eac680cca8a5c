#include "api/request_auth.hpp"
#include "api/routes.hpp"
#include "auth/auth_service.hpp"
#include "core/validate.hpp"
#include "http/json_body.hpp"
#include "users/user_service.hpp"

namespace samwaad::api {

void add_auth_routes(http::Router& router, ApiDeps deps) {
  // Signup and login hash passwords: they run on the bounded hashing pool.
  router.add(
      "POST", "/api/v1/auth/signup",
      [deps](http::Request& req) {
        auto body = http::json_body(req);
        auto name = string_field(body, "name", false).value_or("");
        auto email = string_field(body, "email", false).value_or("");
        auto password = string_field(body, "password", false).value_or("");
        auto result = deps.auth.signup(name, email, password, req.remote_address);
        return http::Response::json(
            201, {{"user", deps.users.owner_view(result.user)}, {"token", result.token}});
      },
      http::Pool::hashing);

  router.add(
      "POST", "/api/v1/auth/login",
      [deps](http::Request& req) {
        auto body = http::json_body(req);
        auto email = string_field(body, "email", false).value_or("");
        auto password = string_field(body, "password", false).value_or("");
        auto result = deps.auth.login(email, password, req.remote_address);
        return http::Response::json(
            200, {{"user", deps.users.owner_view(result.user)}, {"token", result.token}});
      },
      http::Pool::hashing);

  router.add("POST", "/api/v1/auth/logout", [deps](http::Request& req) {
    auto principal = require_auth(req, deps.auth);
    deps.auth.logout(principal);
    return http::Response::no_content();
  });
}

}  // namespace samwaad::api
