#include "http/message.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"

namespace samwaad::http {

TEST(Target, SplitsPathAndDecodesQuery) {
  std::string path;
  std::multimap<std::string, std::string> query;
  ASSERT_TRUE(parse_target("/api/v1/users?q=asha%20k&limit=5&q=x+y", path, query));
  EXPECT_EQ(path, "/api/v1/users");
  EXPECT_EQ(query.find("q")->second, "asha k");
  EXPECT_EQ(query.count("q"), 2u);
  EXPECT_EQ(query.find("limit")->second, "5");
}

TEST(Target, RejectsMalformedTargets) {
  std::string path;
  std::multimap<std::string, std::string> query;
  EXPECT_FALSE(parse_target("", path, query));
  EXPECT_FALSE(parse_target("api", path, query));
  EXPECT_FALSE(parse_target("/a%zz", path, query));
  EXPECT_FALSE(parse_target("/a%2", path, query));
  EXPECT_FALSE(parse_target("/a%00b", path, query));
  EXPECT_FALSE(parse_target("/a?q=%", path, query));
}

TEST(Response, ErrorCarriesStatusShapeAndRetryAfter) {
  auto r = Response::error(ApiError(ErrorCode::rate_limited, "slow down").with_retry_after(7));
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.header("retry-after"), "7");
  EXPECT_EQ(r.header("content-type"), "application/json; charset=utf-8");
  EXPECT_EQ(nlohmann::json::parse(r.body)["error"]["code"], "rate_limited");
}

}  // namespace samwaad::http
