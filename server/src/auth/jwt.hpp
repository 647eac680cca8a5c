// JSON Web Tokens, HS256 only. Written by hand on OpenSSL's HMAC because the
// token format is small and we want the verifier to pin the algorithm (no
// `none`, no RS/HS confusion) and reject anything not exactly our shape.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace samwaad::auth {

struct TokenClaims {
  std::string sub;  // user id
  std::string sid;  // session id (server-side, revocable)
  int64_t iat = 0;  // seconds since epoch
  int64_t exp = 0;  // seconds since epoch
};

std::string sign_jwt(const TokenClaims& claims, std::string_view secret);

enum class TokenError { malformed, bad_signature, expired };

struct VerifyResult {
  std::optional<TokenClaims> claims;
  std::optional<TokenError> error;
};

// Verifies the signature (constant-time), the header (`alg` must be HS256),
// the claim types, and `exp` against `now_s`.
VerifyResult verify_jwt(std::string_view token, std::string_view secret, int64_t now_s);

// base64url without padding, as JWT uses.
std::string base64url_encode(std::string_view data);
std::optional<std::string> base64url_decode(std::string_view data);
// Standard base64 with padding (TURN REST credentials use it).
std::string base64_encode(std::string_view data);

}  // namespace samwaad::auth
