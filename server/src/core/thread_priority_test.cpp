#include "core/thread_priority.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

namespace samwaad {
namespace {

TEST(ThreadPriority, AThreadGoesToTheBackgroundAndBack) {
  if (!can_leave_background()) GTEST_SKIP() << "needs CAP_SYS_NICE or RLIMIT_NICE >= 20";
  std::thread worker([] {
    const pthread_t self = pthread_self();
    ASSERT_FALSE(is_background(self));
    ASSERT_TRUE(set_background(self, true));
    EXPECT_TRUE(is_background(self));
    ASSERT_TRUE(set_background(self, false));
    EXPECT_FALSE(is_background(self));
  });
  worker.join();
}

TEST(ThreadPriority, AnotherThreadBringsItBack) {
  if (!can_leave_background()) GTEST_SKIP() << "needs CAP_SYS_NICE or RLIMIT_NICE >= 20";
  std::thread worker([] {
    ASSERT_TRUE(set_background(pthread_self(), true));
    // Brought back from outside, as a waiter does for the committer.
    std::thread other([target = pthread_self()] { EXPECT_TRUE(set_background(target, false)); });
    other.join();
    EXPECT_FALSE(is_background(pthread_self()));
  });
  worker.join();
}

// The probe's answer in a child process that gives up root (and with it
// CAP_SYS_NICE) under the given RLIMIT_NICE: 1 yes, 0 no, 3 if the limit
// could not be set (raising it needs CAP_SYS_RESOURCE, which containers
// often withhold), 2 if root could not be given up.
int probe_as_nobody(rlim_t nice_limit) {
  const pid_t child = fork();
  if (child == 0) {
    const rlimit limit{nice_limit, nice_limit};
    if (setrlimit(RLIMIT_NICE, &limit) != 0) _exit(3);
    if (setgid(65534) != 0 || setuid(65534) != 0) _exit(2);
    _exit(can_leave_background() ? 1 : 0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// 0 refuses; 20 (systemd's LimitNICE=+0) allows.
TEST(ThreadPriority, TheProbeFollowsTheNiceLimit) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root, to drop it";
  const int without = probe_as_nobody(0);
  if (without == 2) GTEST_SKIP() << "root cannot be given up here (no CAP_SETUID)";
  EXPECT_EQ(without, 0);
  const int with_limit = probe_as_nobody(20);
  if (with_limit == 3) GTEST_SKIP() << "RLIMIT_NICE cannot be raised here (no CAP_SYS_RESOURCE)";
  EXPECT_EQ(with_limit, 1);
}

TEST(ThreadPriority, TheProbeLeavesTheCallerAlone) {
  can_leave_background();
  EXPECT_FALSE(is_background(pthread_self()));
}

}  // namespace
}  // namespace samwaad
