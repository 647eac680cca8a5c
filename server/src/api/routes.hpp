// The REST API (/api/v1) and the operational endpoints, one file per
// resource. Handlers are thin: parse and validate the request, call a domain
// service, shape the JSON.
#pragma once

#include "http/router.hpp"

namespace samwaad::auth {
class AuthService;
}
namespace samwaad::users {
class UserService;
}
namespace samwaad::store {
class Store;
}
namespace samwaad::obs {
class Metrics;
}

namespace samwaad::api {

struct ApiDeps {
  auth::AuthService& auth;
  users::UserService& users;
  store::Store& store;
  obs::Metrics& metrics;
};

void add_auth_routes(http::Router& router, ApiDeps deps);
void add_user_routes(http::Router& router, ApiDeps deps);
void add_system_routes(http::Router& router, ApiDeps deps);

}  // namespace samwaad::api
