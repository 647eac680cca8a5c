#include "api/request_auth.hpp"
#include "api/routes.hpp"
#include "core/error.hpp"
#include "core/validate.hpp"
#include "http/json_body.hpp"
#include "media/media_service.hpp"
#include "media/multipart.hpp"
#include "store/store.hpp"
#include "users/user_service.hpp"

namespace samwaad::api {

void add_user_routes(http::Router& router, ApiDeps deps, media::MediaService* media,
                     std::function<void(const nlohmann::json&)> on_profile_changed) {
  // Answers with the owner's view and tells the others what they now see.
  auto changed = [deps, on_profile_changed](const store::User& user) {
    if (on_profile_changed) on_profile_changed(deps.users.public_view(user));
    return http::Response::json(200, {{"user", deps.users.owner_view(user)}});
  };
  router.add("GET", "/api/v1/users/me", [deps](http::Request& req) {
    auto principal = require_auth(req, deps.auth);
    return http::Response::json(
        200, {{"user", deps.users.owner_view(deps.users.get(principal.user_id))}});
  });

  // JSON, or (with media) a multipart form whose `avatar` file becomes the
  // profile picture; the form streams in only once the caller is known.
  auto open_form = [deps, media](http::Request& req) -> std::unique_ptr<http::BodyStream> {
    const auto content_type = req.header("content-type");
    if (!media || !content_type || !media::is_form_data(*content_type)) return nullptr;
    const auto principal = require_auth(req, deps.auth);
    return media->open_upload(principal.user_id, content_type, "avatar", false, {"name", "bio"});
  };
  router.add_streaming(
      "PATCH", "/api/v1/users/me/profile", open_form, [deps, media, changed](http::Request& req) {
        auto principal = require_auth(req, deps.auth);
        if (req.body_stream) {
          const auto& form = http::streamed_body<media::UploadForm>(req);
          auto change = users::UserService::validate_profile(form.text("name"), form.text("bio"));
          return changed(
              media->update_profile(principal.user_id, std::move(change), form.file(), false));
        }
        auto body = http::json_body(req);
        for (const auto& [key, value] : body.items()) {
          if (key != "name" && key != "bio") throw field_error(key, "is not a profile field");
        }
        auto name = string_field(body, "name", false);
        auto bio = string_field(body, "bio", false);
        return changed(deps.users.update_profile(principal.user_id, name, bio));
      });

  if (media) {
    router.add("DELETE", "/api/v1/users/me/avatar", [deps, media, changed](http::Request& req) {
      auto principal = require_auth(req, deps.auth);
      return changed(media->update_profile(principal.user_id, {}, std::nullopt, true));
    });
  }

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
