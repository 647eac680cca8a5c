// Who is online right now. The realtime hub implements it; the REST API reads
// it to fill the `status` of users.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace samwaad::users {

class PresenceView {
 public:
  virtual ~PresenceView() = default;
  virtual bool is_online(const std::string& user_id) const = 0;
  // A last-seen time newer than the stored one (the user just went offline
  // and the write is still on its way), so REST never lags behind the
  // `user-offline` event; nullopt means the store's value is current.
  virtual std::optional<int64_t> recent_last_seen(const std::string&) const { return std::nullopt; }
};

// Used until a realtime hub is attached: nobody is online.
class NobodyOnline final : public PresenceView {
 public:
  bool is_online(const std::string&) const override { return false; }
};

}  // namespace samwaad::users
