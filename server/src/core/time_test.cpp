#include "core/time.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

namespace samwaad {

TEST(Time, FormatsIsoWithMilliseconds) {
  EXPECT_EQ(format_iso8601(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_iso8601(1795595057123), "2026-11-25T08:24:17.123Z");
}

// The hand-written common case against the C library's spelling, across
// the ends of its range, leap days, and times before 1970.
TEST(Time, FormatsAsTheCLibraryDoes) {
  const auto reference = [](int64_t ms) {
    int64_t secs = ms / 1000;
    int64_t rest = ms % 1000;
    if (rest < 0) {
      rest += 1000;
      secs -= 1;
    }
    const auto t = static_cast<std::time_t>(secs);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(rest));
    return std::string(buf);
  };
  std::vector<int64_t> cases = {0,
                                -1,
                                -86'400'000,
                                951'782'400'999,    // 2000-02-29T00:00:00.999Z
                                4'107'542'399'999,  // 2100-02-28T23:59:59.999Z
                                1'795'595'057'123,
                                -62'167'219'200'000,  // 0000-01-01
                                253'402'300'799'999,  // 9999-12-31T23:59:59.999Z
                                253'402'300'800'000,  // 10000: the fallback
                                -62'167'219'200'001};
  // A walk through the years with odd steps hits every month, day and hour.
  for (int64_t ms = -2'000'000'000'000; ms < 4'000'000'000'000; ms += 7'654'321'987) {
    cases.push_back(ms);
  }
  for (int64_t ms : cases) EXPECT_EQ(format_iso8601(ms), reference(ms)) << ms;
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
