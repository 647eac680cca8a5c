// Runs a blocking task every `interval` on a thread of its own, away from the
// network and worker threads (the sweep of unused uploads). The first run is
// one interval after construction; destruction stops it, waiting for a run in
// progress to end. A task that throws is logged and runs again next time.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace samwaad::media {

class PeriodicTask {
 public:
  PeriodicTask(std::string name, std::chrono::milliseconds interval, std::function<void()> task);
  ~PeriodicTask();
  PeriodicTask(const PeriodicTask&) = delete;
  PeriodicTask& operator=(const PeriodicTask&) = delete;

 private:
  void loop(std::stop_token stop);

  std::string name_;
  std::chrono::milliseconds interval_;
  std::function<void()> task_;
  std::mutex mutex_;
  std::condition_variable_any wake_;
  std::jthread thread_;  // last: starts after everything it uses exists
};

}  // namespace samwaad::media
