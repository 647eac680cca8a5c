#include "media/periodic_task.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

namespace samwaad::media {
namespace {

using namespace std::chrono_literals;

TEST(PeriodicTask, RunsAgainAndAgain) {
  std::atomic<int> runs{0};
  {
    PeriodicTask task("count", 10ms, [&] { ++runs; });
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (runs < 3 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(5ms);
  }
  EXPECT_GE(runs, 3);
}

TEST(PeriodicTask, StopsAtOnceWhenDestroyedEvenWithALongInterval) {
  std::atomic<int> runs{0};
  const auto started = std::chrono::steady_clock::now();
  {
    PeriodicTask task("slow", 1h, [&] { ++runs; });
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
  EXPECT_EQ(runs, 0);
}

TEST(PeriodicTask, AThrowingTaskKeepsRunning) {
  std::atomic<int> runs{0};
  {
    PeriodicTask task("throws", 5ms, [&] {
      ++runs;
      throw std::runtime_error("boom");
    });
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (runs < 2 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(5ms);
  }
  EXPECT_GE(runs, 2);
}

}  // namespace
}  // namespace samwaad::media
