// The ICE servers a client gets from GET /calls/ice-servers: STUN entries as
// configured, and TURN entries with time-limited credentials by the TURN REST
// scheme that coturn checks with `use-auth-secret` + `static-auth-secret`:
// username "<expiry unix seconds>:<user id>", password
// base64(HMAC-SHA1(secret, username)). coturn recomputes the password from the
// username and refuses it once the expiry has passed, so nothing is shared
// with coturn but the secret.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace samwaad::calls {

struct TurnCredential {
  std::string username;
  std::string password;
};

// The coturn REST-scheme credential for `user_id`, valid until `expiry_unix_s`.
TurnCredential turn_credential(const std::string& secret, const std::string& user_id,
                               int64_t expiry_unix_s);

struct IceConfig {
  std::vector<std::string> urls;  // TURN_URLS (checked by app/config): stun:, turn:, turns:
  std::string secret;             // TURN_SECRET; empty = no TURN entries
  int64_t ttl_s = 86400;          // credential lifetime
};

// {iceServers: [RTCIceServer...], ttl}. STUN URLs need no credentials; TURN
// URLs are left out when no secret is configured (they would only fail).
nlohmann::json ice_servers_json(const IceConfig& config, const std::string& user_id,
                                int64_t now_unix_s);

}  // namespace samwaad::calls
