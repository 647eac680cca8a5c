#include "auth/jwt.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <utility>

namespace samwaad::auth {
namespace {

// A real token is a few hundred bytes; the cap keeps hostile input from costing
// base64 and JSON work (and JSON recursion) in proportion to its size.
constexpr std::size_t kMaxTokenBytes = 4096;
constexpr std::size_t kSha256Bytes = 32;
constexpr std::string_view kHeader = R"({"alg":"HS256","typ":"JWT"})";

constexpr char kStdAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kUrlAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string encode(std::string_view data, const char* alphabet, bool pad) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    uint32_t v = (static_cast<uint8_t>(data[i]) << 16) | (static_cast<uint8_t>(data[i + 1]) << 8) |
                 static_cast<uint8_t>(data[i + 2]);
    out.push_back(alphabet[(v >> 18) & 63]);
    out.push_back(alphabet[(v >> 12) & 63]);
    out.push_back(alphabet[(v >> 6) & 63]);
    out.push_back(alphabet[v & 63]);
  }
  const std::size_t rest = data.size() - i;
  if (rest == 1) {
    uint32_t v = static_cast<uint8_t>(data[i]) << 16;
    out.push_back(alphabet[(v >> 18) & 63]);
    out.push_back(alphabet[(v >> 12) & 63]);
    if (pad) out.append("==");
  } else if (rest == 2) {
    uint32_t v = (static_cast<uint8_t>(data[i]) << 16) | (static_cast<uint8_t>(data[i + 1]) << 8);
    out.push_back(alphabet[(v >> 18) & 63]);
    out.push_back(alphabet[(v >> 12) & 63]);
    out.push_back(alphabet[(v >> 6) & 63]);
    if (pad) out.push_back('=');
  }
  return out;
}

int url_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac.data(),
           &len) == nullptr ||
      len != kSha256Bytes) {
    throw std::runtime_error("HMAC-SHA256 failed");
  }
  return std::string(reinterpret_cast<const char*>(mac.data()), len);
}

// Parses decoded segment text as a JSON object; nullopt for bad JSON (including
// invalid UTF-8) or a non-object.
std::optional<nlohmann::json> parse_object(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  return j;
}

// An integer claim that fits int64_t; floats (1.5, 1e9) and strings are refused
// so that "exp" cannot be smuggled in a form other verifiers read differently.
std::optional<int64_t> int_claim(const nlohmann::json& obj, const char* name) {
  auto it = obj.find(name);
  if (it == obj.end()) return std::nullopt;
  if (it->is_number_unsigned()) {
    auto v = it->get<uint64_t>();
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
    return static_cast<int64_t>(v);
  }
  if (it->is_number_integer()) return it->get<int64_t>();
  return std::nullopt;
}

std::optional<std::string> string_claim(const nlohmann::json& obj, const char* name) {
  auto it = obj.find(name);
  if (it == obj.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

VerifyResult fail(TokenError e) { return VerifyResult{std::nullopt, e}; }

}  // namespace

std::string base64url_encode(std::string_view data) { return encode(data, kUrlAlphabet, false); }

std::string base64_encode(std::string_view data) { return encode(data, kStdAlphabet, true); }

std::optional<std::string> base64url_decode(std::string_view data) {
  // One leftover character carries only 6 bits: never a whole byte.
  if (data.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(data.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : data) {
    int v = url_value(c);
    if (v < 0) return std::nullopt;  // also refuses '=' padding, '+', '/', whitespace
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  // Leftover bits must be zero: otherwise several strings decode to the same
  // bytes, and a token could be altered without touching its signature.
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

std::string sign_jwt(const TokenClaims& claims, std::string_view secret) {
  // An empty key would let anyone mint tokens; it can only be a configuration bug.
  if (secret.empty()) throw std::invalid_argument("JWT secret is empty");
  nlohmann::ordered_json payload = {
      {"sub", claims.sub}, {"sid", claims.sid}, {"iat", claims.iat}, {"exp", claims.exp}};
  std::string signing_input = base64url_encode(kHeader);
  signing_input.push_back('.');
  signing_input += base64url_encode(payload.dump());
  std::string sig = base64url_encode(hmac_sha256(secret, signing_input));
  signing_input.push_back('.');
  signing_input += sig;
  return signing_input;
}

VerifyResult verify_jwt(std::string_view token, std::string_view secret, int64_t now_s) {
  if (token.empty() || token.size() > kMaxTokenBytes) return fail(TokenError::malformed);
  const auto dot1 = token.find('.');
  if (dot1 == std::string_view::npos) return fail(TokenError::malformed);
  const auto dot2 = token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos) return fail(TokenError::malformed);
  if (token.find('.', dot2 + 1) != std::string_view::npos) return fail(TokenError::malformed);
  const std::string_view header_part = token.substr(0, dot1);
  const std::string_view payload_part = token.substr(dot1 + 1, dot2 - dot1 - 1);
  const std::string_view sig_part = token.substr(dot2 + 1);

  // Decoding is only shape checking: every part must be canonical base64url
  // before anything is read from any of them.
  auto header_raw = base64url_decode(header_part);
  auto payload_raw = base64url_decode(payload_part);
  auto sig = base64url_decode(sig_part);
  if (!header_raw || !payload_raw || !sig) return fail(TokenError::malformed);

  // The algorithm is pinned: whatever the header claims, only HS256 is computed,
  // and a header naming anything else ("none", "HS512", absent) is refused outright.
  auto header = parse_object(*header_raw);
  if (!header) return fail(TokenError::malformed);
  auto alg = header->find("alg");
  if (alg == header->end() || !alg->is_string() || alg->get<std::string>() != "HS256") {
    return fail(TokenError::malformed);
  }

  if (secret.empty()) return fail(TokenError::bad_signature);
  const std::string expected = hmac_sha256(secret, token.substr(0, dot2));
  if (sig->size() != expected.size() ||
      CRYPTO_memcmp(sig->data(), expected.data(), expected.size()) != 0) {
    return fail(TokenError::bad_signature);
  }

  // Only now, with the signature checked, is the payload worth reading.
  auto payload = parse_object(*payload_raw);
  if (!payload) return fail(TokenError::malformed);
  TokenClaims claims;
  auto sub = string_claim(*payload, "sub");
  auto sid = string_claim(*payload, "sid");
  auto iat = int_claim(*payload, "iat");
  auto exp = int_claim(*payload, "exp");
  if (!sub || !sid || !iat || !exp) return fail(TokenError::malformed);
  if (*exp <= now_s) return fail(TokenError::expired);
  claims.sub = std::move(*sub);
  claims.sid = std::move(*sid);
  claims.iat = *iat;
  claims.exp = *exp;
  return VerifyResult{std::move(claims), std::nullopt};
}

}  // namespace samwaad::auth
