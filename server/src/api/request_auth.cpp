#include "api/request_auth.hpp"

#include "core/error.hpp"

namespace samwaad::api {

auth::Principal require_auth(const http::Request& request, auth::AuthService& auth) {
  auto token = auth::AuthService::bearer_token(request.header("authorization"));
  if (!token) throw ApiError(ErrorCode::unauthorized, "missing bearer token");
  return auth.authenticate(*token);
}

}  // namespace samwaad::api
