// Authentication of a REST request from its `Authorization: Bearer` header.
#pragma once

#include "auth/auth_service.hpp"
#include "http/message.hpp"

namespace samwaad::api {

// Throws ApiError unauthorized.
auth::Principal require_auth(const http::Request& request, auth::AuthService& auth);

}  // namespace samwaad::api
