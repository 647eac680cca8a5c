// Accounts and sessions: signup, login, logout and token checks. Sessions are
// kept server-side (the JWT's `sid`), so a logout revokes a token at once.
// Every method blocks (bcrypt, storage): call it from a worker pool.
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "auth/jwt.hpp"
#include "auth/rate_limiter.hpp"
#include "store/store.hpp"

namespace samwaad::auth {

struct AuthSettings {
  std::string jwt_secret;
  int64_t token_ttl_s = 7 * 24 * 3600;
  int bcrypt_cost = 12;
};

struct Principal {
  std::string user_id;
  std::string session_id;
};

struct AuthResult {
  store::User user;
  std::string token;
};

// Limits, per client address and per email. Documented in docs/api.md.
struct AuthRateRules {
  RateRule signup_per_ip{10, 10.0 / 3600};            // 10 an hour
  RateRule login_per_ip{30, 30.0 / 300};              // 30 per 5 minutes
  RateRule login_failures_per_email{10, 10.0 / 900};  // 10 failures per 15 minutes
};

class AuthService {
 public:
  AuthService(store::Store& store, RateLimiter& limiter, AuthSettings settings,
              AuthRateRules rules = {});

  // Validates the fields (throws ApiError validation/conflict/rate_limited).
  AuthResult signup(const std::string& name, const std::string& email, const std::string& password,
                    const std::string& client_address);
  // The same 401 for an unknown email and a wrong password.
  AuthResult login(const std::string& email, const std::string& password,
                   const std::string& client_address);
  void logout(const Principal& principal);

  // Throws ApiError unauthorized for a missing, malformed, forged, expired or
  // revoked token, or one whose user no longer exists.
  Principal authenticate(const std::string& token);
  // Parses "Bearer <token>" (case-insensitive scheme).
  static std::optional<std::string> bearer_token(const std::optional<std::string>& header);

  // Called after a session is revoked (the realtime hub disconnects its sockets).
  using RevocationListener = std::function<void(const std::string& session_id)>;
  void on_revoke(RevocationListener listener);

 private:
  AuthResult issue_session(const store::User& user);
  void check_rate(const std::string& key, const RateRule& rule);

  store::Store& store_;
  RateLimiter& limiter_;
  AuthSettings settings_;
  AuthRateRules rules_;
  std::mutex listeners_mutex_;
  std::vector<RevocationListener> listeners_;
};

}  // namespace samwaad::auth
