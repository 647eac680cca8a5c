#include "core/validate.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"

namespace samwaad {
namespace {

std::string field_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ApiError& e) {
    EXPECT_EQ(e.code(), ErrorCode::validation);
    return e.fields().empty() ? "" : e.fields().begin()->first;
  }
  return "<no error>";
}

}  // namespace

TEST(Validate, JsonBodyMustBeAnObject) {
  EXPECT_EQ(parse_json_object(R"({"a":1})")["a"], 1);
  EXPECT_EQ(field_of([] { parse_json_object("{"); }), "");
  EXPECT_EQ(field_of([] { parse_json_object("[1]"); }), "");
  EXPECT_EQ(field_of([] { parse_json_object(""); }), "");
  EXPECT_EQ(field_of([] { parse_json_object("\"\xff\""); }), "");
}

TEST(Validate, StringFieldTypes) {
  auto obj = nlohmann::json::parse(R"({"s":"x","n":1,"z":null})");
  EXPECT_EQ(string_field(obj, "s", true), "x");
  EXPECT_EQ(string_field(obj, "z", false), std::nullopt);
  EXPECT_EQ(field_of([&] { string_field(obj, "n", false); }), "n");
  EXPECT_EQ(field_of([&] { string_field(obj, "missing", true); }), "missing");
}

TEST(Validate, Emails) {
  EXPECT_EQ(normalize_email("  Asha@Example.COM "), "asha@example.com");
  for (const char* bad : {"", "a", "a@b", "@b.com", "a@@b.com", "a b@c.com", "a@b..com", "a@.b.com",
                          "a@b.com.", "a@b_c.com"}) {
    EXPECT_EQ(field_of([&] { normalize_email(bad); }), "email") << bad;
  }
}

TEST(Validate, NamesBiosPasswords) {
  EXPECT_EQ(validate_name("  Asha  "), "Asha");
  EXPECT_EQ(field_of([] { validate_name("A"); }), "name");
  EXPECT_EQ(field_of([] { validate_name(std::string(65, 'a')); }), "name");
  EXPECT_EQ(validate_name(std::string(64, 'a')).size(), 64u);
  EXPECT_EQ(field_of([] { validate_name("ab\x01"); }), "name");
  // 64 two-byte characters are 64 characters, not 128.
  std::string accented;
  for (int i = 0; i < 64; ++i) accented += "\xC3\xA9";
  EXPECT_NO_THROW(validate_name(accented));
  EXPECT_EQ(field_of([] { validate_bio(std::string(281, 'b')); }), "bio");
  EXPECT_NO_THROW(validate_bio("line one\nline two"));
  EXPECT_EQ(field_of([] { validate_password("short"); }), "password");
  EXPECT_EQ(field_of([] { validate_password(std::string(73, 'p')); }), "password");
  EXPECT_NO_THROW(validate_password(std::string(72, 'p')));
  EXPECT_EQ(field_of([] { validate_password(std::string("abc\0defgh", 9)); }), "password");
}

TEST(Validate, LimitsAndIds) {
  EXPECT_EQ(parse_limit(std::nullopt, 1, 50, 20), 20);
  EXPECT_EQ(parse_limit("50", 1, 50, 20), 50);
  for (const char* bad : {"0", "51", "-1", "1.5", "abc", "", "10abc", "99999999999999"}) {
    EXPECT_EQ(field_of([&] { parse_limit(std::string(bad), 1, 50, 20); }), "limit") << bad;
  }
  EXPECT_EQ(field_of([] { validate_id("xyz", "to"); }), "to");
  EXPECT_NO_THROW(validate_id("0123456789abcdef01234567", "to"));
}

TEST(Errors, ShapeAndStatus) {
  ApiError e(ErrorCode::validation, "bad", {{"email", "must be a valid email"}});
  EXPECT_EQ(
      e.to_body().dump(),
      R"({"error":{"code":"validation","fields":{"email":"must be a valid email"},"message":"bad"}})");
  EXPECT_EQ(http_status(ErrorCode::rate_limited), 429);
  EXPECT_EQ(http_status(ErrorCode::unsupported_media_type), 415);
  EXPECT_FALSE(ApiError(ErrorCode::not_found, "x").to_json().contains("fields"));
}

}  // namespace samwaad
