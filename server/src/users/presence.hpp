// Who is online right now. The realtime hub implements it; the REST API reads
// it to fill the `status` of users.
#pragma once

#include <string>

namespace samwaad::users {

class PresenceView {
 public:
  virtual ~PresenceView() = default;
  virtual bool is_online(const std::string& user_id) const = 0;
};

// Used until a realtime hub is attached: nobody is online.
class NobodyOnline final : public PresenceView {
 public:
  bool is_online(const std::string&) const override { return false; }
};

}  // namespace samwaad::users
