#include "auth/auth_service.hpp"

#include <algorithm>

#include "auth/password.hpp"
#include "core/error.hpp"
#include "core/ids.hpp"
#include "core/time.hpp"
#include "core/utf8.hpp"
#include "core/validate.hpp"

namespace samwaad::auth {
namespace {

ApiError unauthorized(const std::string& message = "invalid or expired token") {
  return ApiError(ErrorCode::unauthorized, message);
}

}  // namespace

AuthService::AuthService(store::Store& store, RateLimiter& limiter, AuthSettings settings,
                         AuthRateRules rules)
    : store_(store), limiter_(limiter), settings_(std::move(settings)), rules_(rules) {}

void AuthService::check_rate(const std::string& key, const RateRule& rule) {
  int wait = limiter_.take(key, rule, now_ms());
  if (wait > 0) {
    throw ApiError(ErrorCode::rate_limited, "too many attempts, try again later")
        .with_retry_after(wait);
  }
}

AuthResult AuthService::issue_session(const store::User& user) {
  int64_t now = now_ms();
  store::Session session{random_hex(16), user.id, now, now + settings_.token_ttl_s * 1000, {}};
  store_.insert_session(session);
  TokenClaims claims{user.id, session.id, now / 1000, now / 1000 + settings_.token_ttl_s};
  return {user, sign_jwt(claims, settings_.jwt_secret)};
}

AuthResult AuthService::signup(const std::string& raw_name, const std::string& raw_email,
                               const std::string& password, const std::string& client_address) {
  // Validate everything first so the client sees every bad field at once.
  std::map<std::string, std::string> problems;
  std::string name, email;
  try {
    name = validate_name(raw_name);
  } catch (const ApiError& e) {
    problems.insert(e.fields().begin(), e.fields().end());
  }
  try {
    email = normalize_email(raw_email);
  } catch (const ApiError& e) {
    problems.insert(e.fields().begin(), e.fields().end());
  }
  try {
    validate_password(password);
  } catch (const ApiError& e) {
    problems.insert(e.fields().begin(), e.fields().end());
  }
  if (!problems.empty()) throw ApiError(ErrorCode::validation, "invalid signup", problems);

  check_rate("signup:ip:" + client_address, rules_.signup_per_ip);
  if (store_.find_user_by_email(email)) {
    throw ApiError(ErrorCode::conflict, "an account with this email already exists",
                   {{"email", "is already registered"}});
  }
  int64_t now = now_ms();
  store::User user;
  user.id = new_object_id();
  user.name = name;
  user.email = email;
  user.password_hash = hash_password(password, settings_.bcrypt_cost);
  user.created_ms = now;
  user.updated_ms = now;
  try {
    store_.insert_user(user);
  } catch (const store::StoreConflict&) {
    // Two signups for the same email raced past the check above.
    throw ApiError(ErrorCode::conflict, "an account with this email already exists",
                   {{"email", "is already registered"}});
  }
  return issue_session(user);
}

AuthResult AuthService::login(const std::string& raw_email, const std::string& password,
                              const std::string& client_address) {
  std::map<std::string, std::string> problems;
  if (raw_email.empty()) problems["email"] = "is required";
  if (password.empty()) problems["password"] = "is required";
  if (!problems.empty()) throw ApiError(ErrorCode::validation, "invalid login", problems);

  std::string email = trim(raw_email);
  std::transform(email.begin(), email.end(), email.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  check_rate("login:ip:" + client_address, rules_.login_per_ip);
  const std::string email_key = "login:email:" + email;
  if (int wait = limiter_.peek(email_key, rules_.login_failures_per_email, now_ms()); wait > 0) {
    throw ApiError(ErrorCode::rate_limited, "too many failed attempts, try again later")
        .with_retry_after(wait);
  }
  auto user = store_.find_user_by_email(email);
  bool ok = false;
  if (user && password.size() <= 72) {
    ok = verify_password(password, user->password_hash);
  } else {
    verify_dummy(password.substr(0, 72));
  }
  if (!ok) {
    limiter_.take(email_key, rules_.login_failures_per_email, now_ms());
    throw ApiError(ErrorCode::unauthorized, "wrong email or password");
  }
  return issue_session(*user);
}

void AuthService::logout(const Principal& principal) {
  store_.revoke_session(principal.session_id, now_ms());
  std::vector<RevocationListener> listeners;
  {
    std::lock_guard lock(listeners_mutex_);
    listeners = listeners_;
  }
  for (auto& listener : listeners) listener(principal.session_id);
}

Principal AuthService::authenticate(const std::string& token) {
  auto result = verify_jwt(token, settings_.jwt_secret, now_ms() / 1000);
  if (!result.claims) {
    throw unauthorized(result.error == TokenError::expired ? "token expired" : "invalid token");
  }
  auto session = store_.find_session(result.claims->sid);
  if (!session || session->user_id != result.claims->sub || session->revoked_ms ||
      session->expires_ms <= now_ms()) {
    throw unauthorized("session is no longer valid");
  }
  return {session->user_id, session->id};
}

std::optional<std::string> AuthService::bearer_token(const std::optional<std::string>& header) {
  if (!header || header->size() < 8) return std::nullopt;
  std::string scheme = header->substr(0, 7);
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (scheme != "bearer ") return std::nullopt;
  std::string token = trim(header->substr(7));
  if (token.empty()) return std::nullopt;
  return token;
}

void AuthService::on_revoke(RevocationListener listener) {
  std::lock_guard lock(listeners_mutex_);
  listeners_.push_back(std::move(listener));
}

}  // namespace samwaad::auth
