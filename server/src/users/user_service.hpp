// Profiles and the user directory, and the JSON shapes of a user (as others
// see it, and as its owner sees it). Methods block on storage.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "store/store.hpp"
#include "users/presence.hpp"

namespace samwaad::users {

class UserService {
 public:
  UserService(store::Store& store, const PresenceView& presence);

  // Throws ApiError not_found.
  store::User get(const std::string& id) const;
  // Validates and applies; throws ApiError validation / not_found.
  store::User update_profile(const std::string& id, const std::optional<std::string>& name,
                             const std::optional<std::string>& bio);
  // The change a name and bio make, validated (throws ApiError validation
  // naming every bad field); for callers that apply it with more, like an avatar.
  static store::ProfileChange validate_profile(const std::optional<std::string>& name,
                                               const std::optional<std::string>& bio);
  std::vector<store::User> search(const std::string& query, const std::string& caller_id,
                                  int limit) const;

  // {id, name, bio, avatar, status, lastSeen, createdAt}
  nlohmann::json public_view(const store::User& user) const;
  // The public view plus email and updatedAt.
  nlohmann::json owner_view(const store::User& user) const;

 private:
  store::Store& store_;
  const PresenceView& presence_;
};

}  // namespace samwaad::users
