#include "core/thread_priority.hpp"

#include <sched.h>

#include <thread>

namespace samwaad {

bool set_background(pthread_t thread, bool background) {
  const sched_param param{};  // priority 0, the only one these policies take
  return pthread_setschedparam(thread, background ? SCHED_IDLE : SCHED_OTHER, &param) == 0;
}

bool is_background(pthread_t thread) {
  int policy = 0;
  sched_param param{};
  return pthread_getschedparam(thread, &policy, &param) == 0 && policy == SCHED_IDLE;
}

bool can_leave_background() {
  bool can = false;
  std::thread probe([&can] {
    const pthread_t self = pthread_self();
    can = set_background(self, true) && set_background(self, false);
  });
  probe.join();
  return can;
}

}  // namespace samwaad
