#include "core/time.hpp"

#include <gtest/gtest.h>

namespace samwaad {

TEST(Time, FormatsIsoWithMilliseconds) {
  EXPECT_EQ(format_iso8601(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_iso8601(1795595057123), "2026-11-25T08:24:17.123Z");
}

TEST(Time, ParsesWhatItFormats) {
  for (int64_t ms : {int64_t{0}, int64_t{1795595057123}, int64_t{951782400999}}) {
    EXPECT_EQ(parse_iso8601(format_iso8601(ms)), ms);
  }
  EXPECT_FALSE(parse_iso8601("2026-11-25T08:24:17Z"));
  EXPECT_FALSE(parse_iso8601("2026-13-25T08:24:17.123Z"));
  EXPECT_FALSE(parse_iso8601("garbage"));
}

}  // namespace samwaad
