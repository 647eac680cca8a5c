#include "auth/jwt.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace samwaad::auth {
namespace {

constexpr std::string_view kSecret = "test-secret-0123456789abcdef0123456789abcdef";
constexpr int64_t kNow = 1'800'000'000;

TokenClaims sample_claims() {
  return TokenClaims{"65a1b2c3d4e5f60718293a4b", "sess-1", kNow - 10, kNow + 3600};
}

std::vector<std::string> split(const std::string& token) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    auto dot = token.find('.', start);
    parts.push_back(token.substr(start, dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return parts;
}

// Builds a token from raw header and payload text, signed correctly with `secret`,
// so tests can reach the checks that come after the signature.
std::string forge(const std::string& header, const std::string& payload,
                  std::string_view secret = kSecret) {
  std::string input = base64url_encode(header) + "." + base64url_encode(payload);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &len);
  return input + "." + base64url_encode(std::string(reinterpret_cast<char*>(mac), len));
}

const std::string kGoodHeader = R"({"alg":"HS256","typ":"JWT"})";

std::string payload_json(const nlohmann::json& p) { return p.dump(); }

nlohmann::json good_payload() {
  return {{"sub", "u1"}, {"sid", "s1"}, {"iat", kNow - 10}, {"exp", kNow + 60}};
}

void expect_error(const VerifyResult& r, TokenError e) {
  EXPECT_FALSE(r.claims.has_value());
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(*r.error, e);
}

// ---- base64 -------------------------------------------------------------------

TEST(Base64, Rfc4648StandardVectors) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
  EXPECT_EQ(base64_encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
}

TEST(Base64, StandardUsesPlusAndSlash) {
  EXPECT_EQ(base64_encode("\xfb\xff\xbf"), "+/+/");
  EXPECT_EQ(base64url_encode("\xfb\xff\xbf"), "-_-_");
}

TEST(Base64Url, Rfc4648VectorsWithoutPadding) {
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},          {"foo", "Zm9v"},
      {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64url_encode(plain), encoded);
    auto decoded = base64url_decode(encoded);
    ASSERT_TRUE(decoded.has_value()) << encoded;
    EXPECT_EQ(*decoded, plain);
  }
}

TEST(Base64Url, RoundTripsAllByteValues) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (std::size_t n = 0; n <= all.size(); n += 37) {
    const std::string chunk = all.substr(0, n);
    auto back = base64url_decode(base64url_encode(chunk));
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, chunk);
  }
}

TEST(Base64Url, RejectsInvalidInput) {
  EXPECT_FALSE(base64url_decode("Zg==").has_value());  // padding
  EXPECT_FALSE(base64url_decode("+/+/").has_value());  // standard alphabet
  EXPECT_FALSE(base64url_decode("Zm9v YmFy").has_value());
  EXPECT_FALSE(base64url_decode("Zm9v\n").has_value());
  EXPECT_FALSE(base64url_decode("Z").has_value());  // 6 bits: not a byte
  EXPECT_FALSE(base64url_decode("Zm9vY").has_value());
  EXPECT_FALSE(base64url_decode("Zh").has_value());   // non-zero trailing bits ("Zg" is canonical)
  EXPECT_FALSE(base64url_decode("Zm9").has_value());  // ditto ("Zm8")
  EXPECT_FALSE(base64url_decode(std::string("Zm\0v", 4)).has_value());
}

// ---- JWT ----------------------------------------------------------------------

TEST(Jwt, RoundTrip) {
  const TokenClaims in = sample_claims();
  const std::string token = sign_jwt(in, kSecret);
  auto r = verify_jwt(token, kSecret, kNow);
  ASSERT_TRUE(r.claims.has_value());
  EXPECT_FALSE(r.error.has_value());
  EXPECT_EQ(r.claims->sub, in.sub);
  EXPECT_EQ(r.claims->sid, in.sid);
  EXPECT_EQ(r.claims->iat, in.iat);
  EXPECT_EQ(r.claims->exp, in.exp);
}

TEST(Jwt, HeaderIsExactlyHs256Jwt) {
  const auto parts = split(sign_jwt(sample_claims(), kSecret));
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(base64url_decode(parts[0]).value(), R"({"alg":"HS256","typ":"JWT"})");
  auto payload = nlohmann::json::parse(base64url_decode(parts[1]).value());
  EXPECT_EQ(payload.size(), 4u);
  EXPECT_EQ(payload["sub"], "65a1b2c3d4e5f60718293a4b");
  EXPECT_EQ(payload["sid"], "sess-1");
  EXPECT_EQ(payload["iat"], kNow - 10);
  EXPECT_EQ(payload["exp"], kNow + 3600);
  EXPECT_EQ(parts[2].size(), 43u);  // 32 bytes, unpadded
}

TEST(Jwt, KnownAnswer) {
  // Computed independently with Python's hmac/base64 modules.
  const std::string token = sign_jwt(TokenClaims{"u", "s", 1, 2}, "k");
  EXPECT_EQ(token,
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
            "eyJzdWIiOiJ1Iiwic2lkIjoicyIsImlhdCI6MSwiZXhwIjoyfQ."
            "tnc6gr8cf2lWYtR0-2dwFtkRKofnOg9qmiYNiXgMmG0");
  EXPECT_TRUE(verify_jwt(token, "k", 1).claims.has_value());
}

TEST(Jwt, TamperedPayloadIsBadSignature) {
  auto parts = split(sign_jwt(sample_claims(), kSecret));
  TokenClaims evil = sample_claims();
  evil.sub = "admin";
  auto evil_parts = split(sign_jwt(evil, "attacker-key"));
  const std::string token = parts[0] + "." + evil_parts[1] + "." + parts[2];
  expect_error(verify_jwt(token, kSecret, kNow), TokenError::bad_signature);
}

TEST(Jwt, TamperedSignatureIsBadSignature) {
  const std::string token = sign_jwt(sample_claims(), kSecret);
  std::string t = token;
  // Flip a character in the middle of the signature (not the last, whose low bits are padding).
  const std::size_t i = t.size() - 10;
  t[i] = t[i] == 'A' ? 'B' : 'A';
  expect_error(verify_jwt(t, kSecret, kNow), TokenError::bad_signature);
  // A truncated signature that is still valid base64url.
  const auto parts = split(token);
  expect_error(verify_jwt(parts[0] + "." + parts[1] + "." + parts[2].substr(0, 40), kSecret, kNow),
               TokenError::bad_signature);
  expect_error(verify_jwt(parts[0] + "." + parts[1] + ".", kSecret, kNow),
               TokenError::bad_signature);
}

TEST(Jwt, WrongSecretIsBadSignature) {
  const std::string token = sign_jwt(sample_claims(), kSecret);
  expect_error(verify_jwt(token, "another-secret", kNow), TokenError::bad_signature);
  expect_error(verify_jwt(token, "", kNow), TokenError::bad_signature);
}

TEST(Jwt, EmptySecretRefusedForSigning) {
  EXPECT_THROW(sign_jwt(sample_claims(), ""), std::invalid_argument);
}

TEST(Jwt, AlgNoneIsRejected) {
  const std::string payload = base64url_encode(payload_json(good_payload()));
  const std::string none_header = base64url_encode(R"({"alg":"none","typ":"JWT"})");
  auto r = verify_jwt(none_header + "." + payload + ".", kSecret, kNow);
  EXPECT_FALSE(r.claims.has_value());
  expect_error(r, TokenError::malformed);
  // Even with a valid HS256 signature over the same input, the header decides nothing.
  expect_error(verify_jwt(forge(R"({"alg":"none","typ":"JWT"})", payload_json(good_payload())),
                          kSecret, kNow),
               TokenError::malformed);
}

TEST(Jwt, OtherOrMissingAlgIsRejected) {
  for (const std::string header : {R"({"alg":"HS512","typ":"JWT"})", R"({"alg":"RS256"})",
                                   R"({"alg":"hs256"})", R"({"typ":"JWT"})", R"({"alg":null})",
                                   R"({"alg":["HS256"]})", R"([])", R"("HS256")", R"(null)"}) {
    SCOPED_TRACE(header);
    expect_error(verify_jwt(forge(header, payload_json(good_payload())), kSecret, kNow),
                 TokenError::malformed);
  }
}

TEST(Jwt, MinimalHeaderIsAccepted) {
  auto r = verify_jwt(forge(R"({"alg":"HS256"})", payload_json(good_payload())), kSecret, kNow);
  ASSERT_TRUE(r.claims.has_value());
  EXPECT_EQ(r.claims->sub, "u1");
}

TEST(Jwt, Expired) {
  TokenClaims c = sample_claims();
  c.exp = kNow;
  expect_error(verify_jwt(sign_jwt(c, kSecret), kSecret, kNow), TokenError::expired);
  c.exp = kNow - 1;
  expect_error(verify_jwt(sign_jwt(c, kSecret), kSecret, kNow), TokenError::expired);
  c.exp = kNow + 1;
  EXPECT_TRUE(verify_jwt(sign_jwt(c, kSecret), kSecret, kNow).claims.has_value());
}

TEST(Jwt, MalformedStructure) {
  const std::string token = sign_jwt(sample_claims(), kSecret);
  const auto p = split(token);
  for (const std::string& bad : {
           std::string(),
           std::string("."),
           std::string(".."),
           std::string("..."),
           std::string("abc"),
           p[0] + "." + p[1],                     // 2 parts
           token + "." + p[2],                    // 4 parts
           token + ".",                           // trailing dot
           "." + p[1] + "." + p[2],               // empty header
           p[0] + "=." + p[1] + "." + p[2],       // padding
           p[0] + "." + p[1] + "." + p[2] + "=",  // padded signature
           p[0] + "." + p[1] + "!" + "." + p[2],  // bad character
           p[0] + "." + p[1] + "." + p[2] + "*",  // bad character in signature
           " " + token,                           // whitespace
           base64url_encode("not json") + "." + p[1] + "." + p[2],
       }) {
    SCOPED_TRACE(bad);
    expect_error(verify_jwt(bad, kSecret, kNow), TokenError::malformed);
  }
}

TEST(Jwt, OversizedTokenIsMalformed) {
  TokenClaims c = sample_claims();
  c.sid = std::string(4000, 'x');
  const std::string token = sign_jwt(c, kSecret);
  ASSERT_GT(token.size(), 4096u);
  expect_error(verify_jwt(token, kSecret, kNow), TokenError::malformed);
  c.sid = std::string(2000, 'x');
  const std::string ok = sign_jwt(c, kSecret);
  ASSERT_LE(ok.size(), 4096u);
  EXPECT_TRUE(verify_jwt(ok, kSecret, kNow).claims.has_value());
}

TEST(Jwt, PayloadMustBeJsonObject) {
  for (const std::string payload :
       {"not json", "", "[]", "42", R"("sub")", "{", R"({"sub":"u1",})", "\xff\xfe"}) {
    SCOPED_TRACE(payload);
    expect_error(verify_jwt(forge(kGoodHeader, payload), kSecret, kNow), TokenError::malformed);
  }
}

TEST(Jwt, PayloadIsNotReadBeforeSignature) {
  // Garbage under a forged signature must fail as a forgery, not reach the JSON parser.
  expect_error(verify_jwt(forge(kGoodHeader, "not json", "attacker-key"), kSecret, kNow),
               TokenError::bad_signature);
  TokenClaims c = sample_claims();
  c.exp = kNow - 100;
  expect_error(verify_jwt(sign_jwt(c, "attacker-key"), kSecret, kNow), TokenError::bad_signature);
}

TEST(Jwt, WrongClaimTypesAreMalformed) {
  const auto with = [](const char* key, nlohmann::json value) {
    nlohmann::json p = good_payload();
    if (value.is_discarded()) {
      p.erase(key);
    } else {
      p[key] = value;
    }
    return forge(kGoodHeader, p.dump());
  };
  const nlohmann::json missing = nlohmann::json(nlohmann::json::value_t::discarded);
  const std::vector<std::string> bad = {
      with("sub", 42),      with("sub", nullptr),
      with("sub", missing), with("sid", true),
      with("sid", {"s1"}),  with("sid", missing),
      with("iat", "123"),   with("iat", 1.5),
      with("iat", missing), with("exp", "999999999999"),
      with("exp", 1.9e9),   with("exp", nullptr),
      with("exp", missing), with("exp", nlohmann::json::object()),
  };
  for (const auto& token : bad) {
    SCOPED_TRACE(token);
    expect_error(verify_jwt(token, kSecret, kNow), TokenError::malformed);
  }
}

TEST(Jwt, OutOfRangeExpIsMalformed) {
  // Larger than int64_t: must not wrap around into a valid or negative time.
  const std::string payload = R"({"sub":"u1","sid":"s1","iat":1,"exp":18446744073709551615})";
  expect_error(verify_jwt(forge(kGoodHeader, payload), kSecret, kNow), TokenError::malformed);
  const std::string big = R"({"sub":"u1","sid":"s1","iat":1,"exp":9223372036854775807})";
  EXPECT_TRUE(verify_jwt(forge(kGoodHeader, big), kSecret, kNow).claims.has_value());
}

TEST(Jwt, ExtraClaimsAreIgnored) {
  nlohmann::json p = good_payload();
  p["role"] = "admin";
  auto r = verify_jwt(forge(kGoodHeader, p.dump()), kSecret, kNow);
  ASSERT_TRUE(r.claims.has_value());
  EXPECT_EQ(r.claims->sub, "u1");
}

}  // namespace
}  // namespace samwaad::auth
