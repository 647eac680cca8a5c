#include "calls/ice_servers.hpp"

#include <gtest/gtest.h>

namespace samwaad::calls {
namespace {

TEST(TurnCredential, MatchesTheCoturnRestScheme) {
  // Expected value computed independently:
  //   printf %s 1700000000:65f0a1b2c3d4e5f6a7b8c9d0 | openssl dgst -sha1 -hmac north-star -binary |
  //   base64
  auto c = turn_credential("north-star", "65f0a1b2c3d4e5f6a7b8c9d0", 1700000000);
  EXPECT_EQ(c.username, "1700000000:65f0a1b2c3d4e5f6a7b8c9d0");
  EXPECT_EQ(c.password, "c6LbJ/0UEfjnCKtG5zUkfi4DLog=");
}

TEST(TurnCredential, DependsOnSecretAndExpiry) {
  auto a = turn_credential("s1", "u", 10);
  EXPECT_NE(a.password, turn_credential("s2", "u", 10).password);
  EXPECT_NE(a.password, turn_credential("s1", "u", 11).password);
}

TEST(IceServers, TurnEntriesCarryExpiringCredentials) {
  IceConfig config{{"stun:s:3478", "turn:t:3478"}, "secret", 3600};
  auto json = ice_servers_json(config, "65f0a1b2c3d4e5f6a7b8c9d0", 1000);
  EXPECT_EQ(json["ttl"], 3600);
  ASSERT_EQ(json["iceServers"].size(), 2u);
  EXPECT_EQ(json["iceServers"][0], nlohmann::json({{"urls", {"stun:s:3478"}}}));
  const auto& turn = json["iceServers"][1];
  EXPECT_EQ(turn["urls"], nlohmann::json({"turn:t:3478"}));
  EXPECT_EQ(turn["username"], "4600:65f0a1b2c3d4e5f6a7b8c9d0");
  EXPECT_EQ(turn["credential"],
            turn_credential("secret", "65f0a1b2c3d4e5f6a7b8c9d0", 4600).password);
}

TEST(IceServers, NoSecretMeansNoTurnEntries) {
  IceConfig config{{"stun:s:3478", "turn:t:3478"}, "", 3600};
  auto json = ice_servers_json(config, "u", 1000);
  ASSERT_EQ(json["iceServers"].size(), 1u);
  EXPECT_FALSE(json["iceServers"][0].contains("username"));
  EXPECT_TRUE(ice_servers_json(IceConfig{}, "u", 1)["iceServers"].empty());
}

}  // namespace
}  // namespace samwaad::calls
