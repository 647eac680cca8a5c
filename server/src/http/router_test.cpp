#include "http/router.hpp"

#include <gtest/gtest.h>

namespace samwaad::http {

TEST(Router, MatchesLiteralsAndCaptures) {
  Router router;
  router.add("GET", "/api/v1/users/me", [](Request&) { return Response::json(200, "me"); });
  router.add(
      "GET", "/api/v1/users/:id", [](Request&) { return Response::json(200, "id"); },
      Pool::general);
  router.add(
      "POST", "/api/v1/auth/login", [](Request&) { return Response{}; }, Pool::hashing);

  auto me = router.match("GET", "/api/v1/users/me");
  ASSERT_TRUE(me.route);
  EXPECT_EQ(me.route->pattern, "/api/v1/users/me");

  auto id = router.match("GET", "/api/v1/users/abc/");
  ASSERT_TRUE(id.route);
  EXPECT_EQ(id.params.at("id"), "abc");

  auto login = router.match("POST", "/api/v1/auth/login");
  ASSERT_TRUE(login.route);
  EXPECT_EQ(login.route->pool, Pool::hashing);

  auto wrong_method = router.match("DELETE", "/api/v1/auth/login");
  EXPECT_FALSE(wrong_method.route);
  EXPECT_EQ(wrong_method.allowed_methods, std::vector<std::string>{"POST"});

  EXPECT_FALSE(router.match("GET", "/api/v1/users/").route == nullptr &&
               router.match("GET", "/api/v1/users/").allowed_methods.size() > 0);
  EXPECT_FALSE(router.match("GET", "/api/v1/nope").route);
  EXPECT_TRUE(router.match("HEAD", "/api/v1/users/me").route);
}

}  // namespace samwaad::http
