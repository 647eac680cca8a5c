#include "auth/rate_limiter.hpp"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace samwaad::auth {
namespace {

constexpr int64_t kT0 = 1'800'000'000'000;     // an arbitrary epoch-ms start
const RateRule kFivePerMinute{5, 5.0 / 60.0};  // one token every 12 s

TEST(RateLimiter, BurstThenRefusalWithRetryAfter) {
  RateLimiter rl;
  for (int i = 0; i < 5; ++i) EXPECT_EQ(rl.take("login:ip:1.2.3.4", kFivePerMinute, kT0), 0) << i;
  EXPECT_EQ(rl.take("login:ip:1.2.3.4", kFivePerMinute, kT0), 12);
  // A refused take costs nothing: the wait does not grow.
  EXPECT_EQ(rl.take("login:ip:1.2.3.4", kFivePerMinute, kT0), 12);
  EXPECT_EQ(rl.take("login:ip:1.2.3.4", kFivePerMinute, kT0 + 5'000), 7);
  // 11.5 s in: half a second short still rounds up to a whole second.
  EXPECT_EQ(rl.take("login:ip:1.2.3.4", kFivePerMinute, kT0 + 11'500), 1);
  EXPECT_EQ(rl.take("login:ip:1.2.3.4", kFivePerMinute, kT0 + 11'999), 1);
}

TEST(RateLimiter, RefillsOverTime) {
  RateLimiter rl;
  const RateRule rule{2, 1.0};  // 2 burst, 1 per second
  EXPECT_EQ(rl.take("k", rule, kT0), 0);
  EXPECT_EQ(rl.take("k", rule, kT0), 0);
  EXPECT_EQ(rl.take("k", rule, kT0), 1);
  EXPECT_EQ(rl.take("k", rule, kT0 + 1'000), 0);
  EXPECT_EQ(rl.take("k", rule, kT0 + 1'000), 1);
  // A long pause refills only up to the burst, not beyond.
  EXPECT_EQ(rl.take("k", rule, kT0 + 1'000'000), 0);
  EXPECT_EQ(rl.take("k", rule, kT0 + 1'000'000), 0);
  EXPECT_EQ(rl.take("k", rule, kT0 + 1'000'000), 1);
}

TEST(RateLimiter, FractionalRefillAccumulates) {
  RateLimiter rl;
  const RateRule rule{1, 1.0};
  EXPECT_EQ(rl.take("k", rule, kT0), 0);
  // Four quarter-second steps add up to one token.
  EXPECT_EQ(rl.take("k", rule, kT0 + 250), 1);
  EXPECT_EQ(rl.take("k", rule, kT0 + 500), 1);
  EXPECT_EQ(rl.take("k", rule, kT0 + 750), 1);
  EXPECT_EQ(rl.take("k", rule, kT0 + 1'000), 0);
}

TEST(RateLimiter, SlowRuleGivesLongRetry) {
  RateLimiter rl;
  const RateRule rule{3, 3.0 / 3600.0};  // 3 per hour
  for (int i = 0; i < 3; ++i) EXPECT_EQ(rl.take("signup:ip:x", rule, kT0), 0);
  EXPECT_EQ(rl.take("signup:ip:x", rule, kT0), 1200);
}

TEST(RateLimiter, KeysAreIndependent) {
  RateLimiter rl;
  const RateRule rule{1, 0.5};
  EXPECT_EQ(rl.take("a", rule, kT0), 0);
  EXPECT_EQ(rl.take("a", rule, kT0), 2);
  EXPECT_EQ(rl.take("b", rule, kT0), 0);
  EXPECT_EQ(rl.take("b", rule, kT0), 2);
  EXPECT_EQ(rl.size(), 2u);
}

TEST(RateLimiter, PeekDoesNotConsume) {
  RateLimiter rl;
  const RateRule rule{1, 1.0};
  EXPECT_EQ(rl.peek("k", rule, kT0), 0);
  EXPECT_EQ(rl.size(), 0u);  // peeking creates no state
  EXPECT_EQ(rl.peek("k", rule, kT0), 0);
  EXPECT_EQ(rl.take("k", rule, kT0), 0);
  EXPECT_EQ(rl.peek("k", rule, kT0), 1);
  EXPECT_EQ(rl.peek("k", rule, kT0 + 1'000), 0);
  EXPECT_EQ(rl.take("k", rule, kT0 + 1'000), 0);
}

TEST(RateLimiter, DisabledAlwaysAllows) {
  RateLimiter rl(false);
  EXPECT_FALSE(rl.enabled());
  const RateRule rule{1, 0.001};
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(rl.take("k", rule, kT0), 0);
  EXPECT_EQ(rl.peek("k", rule, kT0), 0);
  EXPECT_EQ(rl.size(), 0u);
  EXPECT_TRUE(RateLimiter().enabled());
}

TEST(RateLimiter, SweepForgetsOnlyFullBuckets) {
  RateLimiter rl;
  const RateRule rule{2, 1.0};
  rl.take("drained", rule, kT0);
  rl.take("drained", rule, kT0);
  rl.take("one-used", rule, kT0);
  EXPECT_EQ(rl.size(), 2u);
  rl.sweep(kT0);
  EXPECT_EQ(rl.size(), 2u);
  // After 1 s "one-used" is full again, "drained" holds only one of two tokens.
  rl.sweep(kT0 + 1'000);
  EXPECT_EQ(rl.size(), 1u);
  EXPECT_EQ(rl.take("drained", rule, kT0 + 1'000), 0);  // its state survived the sweep
  EXPECT_EQ(rl.take("drained", rule, kT0 + 1'000), 1);
  rl.sweep(kT0 + 10'000);
  EXPECT_EQ(rl.size(), 0u);
  // A swept key starts over with a full bucket.
  EXPECT_EQ(rl.take("drained", rule, kT0 + 10'000), 0);
  EXPECT_EQ(rl.take("drained", rule, kT0 + 10'000), 0);
}

TEST(RateLimiter, ClockGoingBackwardsDoesNotRefillOrCrash) {
  RateLimiter rl;
  const RateRule rule{1, 1.0};
  EXPECT_EQ(rl.take("k", rule, kT0), 0);
  EXPECT_EQ(rl.take("k", rule, kT0 - 60'000), 1);
  EXPECT_EQ(rl.take("k", rule, kT0 + 1'000), 0);
}

TEST(RateLimiter, ZeroRateNeverRefills) {
  RateLimiter rl;
  const RateRule rule{1, 0};
  EXPECT_EQ(rl.take("k", rule, kT0), 0);
  EXPECT_GE(rl.take("k", rule, kT0 + 1'000'000), 1);
}

TEST(RateLimiter, ConcurrentTakesNeverExceedBurst) {
  RateLimiter rl;
  const RateRule rule{100, 0.001};
  std::vector<std::thread> threads;
  std::vector<int> allowed(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        if (rl.take("shared", rule, kT0) == 0) ++allowed[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(allowed[0] + allowed[1] + allowed[2] + allowed[3], 100);
}

}  // namespace
}  // namespace samwaad::auth
