// The REST API (/api/v1) and the operational endpoints, one file per
// resource. Handlers are thin: parse and validate the request, call a domain
// service, shape the JSON.
#pragma once

#include <functional>
#include <string_view>

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
namespace samwaad::chat {
class ChatService;
struct SendResult;
struct ReadUpdate;
}  // namespace samwaad::chat

namespace samwaad::calls {
struct IceConfig;
}

namespace samwaad::media {
class MediaService;
}

namespace samwaad::api {

struct ApiDeps {
  auth::AuthService& auth;
  users::UserService& users;
  store::Store& store;
  obs::Metrics& metrics;
};

void add_auth_routes(http::Router& router, ApiDeps deps);
// With `media`, PATCH /users/me/profile also takes a multipart form with an
// `avatar` file, and DELETE /users/me/avatar exists.
// `on_profile_changed` (may be empty) gets the public view of a user whose
// name, bio or picture changed, for the realtime `user-updated` fan-out.
void add_user_routes(http::Router& router, ApiDeps deps, media::MediaService* media = nullptr,
                     std::function<void(const nlohmann::json&)> on_profile_changed = {});
void add_system_routes(http::Router& router, ApiDeps deps);
// Conversations and messages. `on_sent` / `on_read` (may be empty) get each
// message stored and each read receipt made over REST, for realtime fan-out.
void add_chat_routes(http::Router& router, ApiDeps deps, chat::ChatService& chat,
                     std::function<void(const chat::SendResult&)> on_sent = {},
                     std::function<void(const chat::ReadUpdate&)> on_read = {});

// GET /calls/ice-servers: STUN/TURN entries with time-limited TURN credentials.
void add_call_routes(http::Router& router, ApiDeps deps, calls::IceConfig ice);

// POST /uploads/image and GET /media/:name.
void add_media_routes(http::Router& router, ApiDeps deps, media::MediaService& media);
// Paths under /media/ are the media routes' alone: anything they do not serve
// is a 404 (never the web client's index.html).
bool is_media_path(std::string_view path);
http::Response media_not_found();

}  // namespace samwaad::api
