#include "auth/password.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>

namespace samwaad::auth {
namespace {

// Cost 4 is bcrypt's minimum: the same code path, a few hundred times faster.
constexpr int kFastCost = 4;

TEST(Password, HashHasBcryptShape) {
  const std::string h = hash_password("correct horse", kFastCost);
  EXPECT_EQ(h.rfind("$2b$04$", 0), 0u) << h;
  EXPECT_EQ(h.size(), 60u);
}

TEST(Password, DefaultCostIsTwelve) {
  const std::string h = hash_password("correct horse battery");
  EXPECT_EQ(h.rfind("$2b$12$", 0), 0u) << h;
  EXPECT_EQ(h.size(), 60u);
  EXPECT_TRUE(verify_password("correct horse battery", h));
  EXPECT_FALSE(verify_password("correct horse batterY", h));
}

TEST(Password, VerifyAcceptsRightPassword) {
  const std::string h = hash_password("s3cret-passw0rd", kFastCost);
  EXPECT_TRUE(verify_password("s3cret-passw0rd", h));
}

TEST(Password, VerifyRejectsWrongPassword) {
  const std::string h = hash_password("s3cret-passw0rd", kFastCost);
  EXPECT_FALSE(verify_password("s3cret-passw0rd ", h));
  EXPECT_FALSE(verify_password("S3cret-passw0rd", h));
  EXPECT_FALSE(verify_password("", h));
}

TEST(Password, SaltDiffersPerCall) {
  const std::string a = hash_password("same password", kFastCost);
  const std::string b = hash_password("same password", kFastCost);
  EXPECT_NE(a, b);
  // The 22-character salt follows "$2b$04$".
  EXPECT_NE(a.substr(7, 22), b.substr(7, 22));
  EXPECT_TRUE(verify_password("same password", a));
  EXPECT_TRUE(verify_password("same password", b));
}

TEST(Password, MalformedHashIsFalseNotError) {
  const std::string good = hash_password("password1", kFastCost);
  EXPECT_FALSE(verify_password("password1", ""));
  EXPECT_FALSE(verify_password("password1", "*0"));
  EXPECT_FALSE(verify_password("password1", "$2b$"));
  EXPECT_FALSE(verify_password("password1", "$2b$04$tooshort"));
  EXPECT_FALSE(verify_password("password1", "$2b$99$" + good.substr(7)));  // cost out of range
  EXPECT_FALSE(verify_password("password1", "$9z$04$" + good.substr(7)));  // unknown scheme
  EXPECT_FALSE(verify_password("password1", good.substr(0, 59)));          // truncated
  EXPECT_FALSE(verify_password("password1", good + "x"));                  // trailing junk
  EXPECT_FALSE(verify_password("password1", "not a hash at all"));
}

TEST(Password, OtherSchemesAreRefused) {
  // A stored DES or MD5 hash must not be a weaker way in, even if it matches.
  EXPECT_FALSE(verify_password("password", "$1$saltsalt$qjXMvbEw8oaL.CzflDugX/"));
  EXPECT_FALSE(verify_password("password", "saGZcOXtrXqCk"));
}

TEST(Password, SeventyTwoBytePasswordWorks) {
  const std::string pw(72, 'p');
  const std::string h = hash_password(pw, kFastCost);
  EXPECT_TRUE(verify_password(pw, h));
  std::string other = pw;
  other[71] = 'q';
  EXPECT_FALSE(verify_password(other, h));
}

TEST(Password, NonAsciiPasswordWorks) {
  const std::string pw = "pässwörd-名前-🔑";
  const std::string h = hash_password(pw, kFastCost);
  EXPECT_TRUE(verify_password(pw, h));
  EXPECT_FALSE(verify_password("passwoerd", h));
}

TEST(Password, EmbeddedNulIsRefused) {
  const std::string with_nul("abc\0defgh", 9);
  EXPECT_THROW(hash_password(with_nul, kFastCost), std::invalid_argument);
  const std::string h = hash_password("abc", kFastCost);
  // Would match if the NUL silently truncated the input.
  EXPECT_FALSE(verify_password(with_nul, h));
}

TEST(Password, InvalidCostThrows) {
  EXPECT_ANY_THROW(hash_password("password1", 3));
  EXPECT_ANY_THROW(hash_password("password1", 32));
}

TEST(Password, DummyVerifyBurnsRealCost) {
  // First call computes the static hash; the second is a pure verification.
  verify_dummy("warm-up");
  const auto start = std::chrono::steady_clock::now();
  verify_dummy("whatever the user typed");
  const auto elapsed = std::chrono::steady_clock::now() - start;
  // Cost 12 is thousands of Blowfish key schedules; even a fast CPU takes > 20 ms.
  EXPECT_GT(elapsed, std::chrono::milliseconds(20));
}

}  // namespace
}  // namespace samwaad::auth
