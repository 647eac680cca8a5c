#include "core/ids.hpp"

#include <gtest/gtest.h>

#include <set>

namespace samwaad {

TEST(Ids, LayoutIsObjectId) {
  EXPECT_EQ(make_object_id(0x5f000001, 0x0102030405, 0xabcdef), "5f0000010102030405abcdef");
}

TEST(Ids, NewIdsAreValidUniqueAndOrderedByTime) {
  std::set<std::string> seen;
  std::string previous;
  for (int i = 0; i < 1000; ++i) {
    auto id = new_object_id();
    EXPECT_TRUE(is_object_id(id)) << id;
    EXPECT_TRUE(seen.insert(id).second);
    if (!previous.empty()) {
      EXPECT_GE(object_id_seconds(id), object_id_seconds(previous));
    }
    previous = id;
  }
  auto now = static_cast<uint32_t>(time(nullptr));
  EXPECT_NEAR(static_cast<double>(object_id_seconds(previous)), now, 2);
}

TEST(Ids, RejectsAnythingButTwentyFourLowerHex) {
  EXPECT_TRUE(is_object_id("0123456789abcdef01234567"));
  EXPECT_FALSE(is_object_id(""));
  EXPECT_FALSE(is_object_id("0123456789abcdef0123456"));
  EXPECT_FALSE(is_object_id("0123456789abcdef012345678"));
  EXPECT_FALSE(is_object_id("0123456789ABCDEF01234567"));
  EXPECT_FALSE(is_object_id("0123456789abcdef0123456g"));
  EXPECT_FALSE(is_object_id("../../etc/passwd/aaaaaaaa"));
}

TEST(Ids, RandomHexHasRequestedLength) {
  EXPECT_EQ(random_hex(16).size(), 32u);
  EXPECT_NE(random_hex(16), random_hex(16));
}

}  // namespace samwaad
