// Background priority for threads whose work can wait for the CPU: Linux's
// SCHED_IDLE, under which a thread runs only on a CPU nothing else wants, and
// any other thread that wakes takes the CPU from it at once (nice 19 only
// shrinks its share: measured, that did not move the tail; docs/benchmarks.md).
//
// Leaving SCHED_IDLE again needs CAP_SYS_NICE or an RLIMIT_NICE of at least
// 20 (systemd: LimitNICE=+0). A thread that could not leave it would starve
// whenever the machine is busy, so callers ask `can_leave_background` first
// and keep normal priority where it says no.
#pragma once

#include <pthread.h>

namespace samwaad {

// True if a thread of this process may return from background to normal
// priority. Asked of a short-lived thread of its own, so the caller's
// priority is never at stake.
bool can_leave_background();

// Moves `thread` to background (SCHED_IDLE) or normal (SCHED_OTHER) priority.
// False if the system refused.
bool set_background(pthread_t thread, bool background);

// True if `thread` runs at background priority.
bool is_background(pthread_t thread);

}  // namespace samwaad
