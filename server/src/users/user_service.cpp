#include "users/user_service.hpp"

#include "core/error.hpp"
#include "core/ids.hpp"
#include "core/time.hpp"
#include "core/utf8.hpp"
#include "core/validate.hpp"

namespace samwaad::users {

UserService::UserService(store::Store& store, const PresenceView& presence)
    : store_(store), presence_(presence) {}

store::User UserService::get(const std::string& id) const {
  validate_id(id, "id");
  auto user = store_.find_user_by_id(id);
  if (!user) throw ApiError(ErrorCode::not_found, "user not found");
  return *user;
}

store::User UserService::update_profile(const std::string& id,
                                        const std::optional<std::string>& name,
                                        const std::optional<std::string>& bio) {
  const store::ProfileChange change = validate_profile(name, bio);
  auto updated = store_.update_profile(id, change, now_ms());
  if (!updated) throw ApiError(ErrorCode::not_found, "user not found");
  return *updated;
}

store::ProfileChange UserService::validate_profile(const std::optional<std::string>& name,
                                                   const std::optional<std::string>& bio) {
  std::map<std::string, std::string> problems;
  store::ProfileChange change;
  if (name) {
    try {
      change.name = validate_name(*name);
    } catch (const ApiError& e) {
      problems.insert(e.fields().begin(), e.fields().end());
    }
  }
  if (bio) {
    try {
      change.bio = validate_bio(*bio);
    } catch (const ApiError& e) {
      problems.insert(e.fields().begin(), e.fields().end());
    }
  }
  if (!problems.empty()) throw ApiError(ErrorCode::validation, "invalid profile", problems);
  return change;
}

std::vector<store::User> UserService::search(const std::string& query, const std::string& caller_id,
                                             int limit) const {
  std::string q = trim(query);
  auto len = utf8_length(q);
  if (!len) throw field_error("q", "must be valid UTF-8");
  if (*len > 254) throw field_error("q", "must be at most 254 characters");
  if (has_control_chars(q, false)) throw field_error("q", "must not contain control characters");
  return store_.search_users(q, caller_id, limit);
}

nlohmann::json UserService::public_view(const store::User& user) const {
  nlohmann::json avatar = nullptr;
  if (user.avatar_json) {
    avatar = nlohmann::json::parse(*user.avatar_json, nullptr, false);
    if (avatar.is_discarded()) avatar = nullptr;
  }
  bool online = presence_.is_online(user.id);
  int64_t last_seen = presence_.recent_last_seen(user.id).value_or(user.last_seen_ms);
  return {
      {"id", user.id},
      {"name", user.name},
      {"bio", user.bio},
      {"avatar", avatar},
      {"status", online ? "online" : "offline"},
      {"lastSeen",
       last_seen > 0 ? nlohmann::json(format_iso8601(last_seen)) : nlohmann::json(nullptr)},
      {"createdAt", format_iso8601(user.created_ms)},
  };
}

nlohmann::json UserService::owner_view(const store::User& user) const {
  auto j = public_view(user);
  j["email"] = user.email;
  j["updatedAt"] = format_iso8601(user.updated_ms);
  return j;
}

}  // namespace samwaad::users
