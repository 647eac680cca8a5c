#include "media/periodic_task.hpp"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

namespace samwaad::media {

PeriodicTask::PeriodicTask(std::string name, std::chrono::milliseconds interval,
                           std::function<void()> task)
    : name_(std::move(name)),
      interval_(interval),
      task_(std::move(task)),
      thread_([this](std::stop_token stop) { loop(std::move(stop)); }) {}

PeriodicTask::~PeriodicTask() {
  thread_.request_stop();  // wakes the wait below
  thread_.join();
}

void PeriodicTask::loop(std::stop_token stop) {
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, stop, interval_, [&] { return stop.stop_requested(); });
      if (stop.stop_requested()) return;
    }
    try {
      task_();
    } catch (const std::exception& e) {
      spdlog::error(R"({{"msg":"periodic task failed","task":"{}","error":{}}})", name_,
                    nlohmann::json(std::string(e.what())).dump());
    }
  }
}

}  // namespace samwaad::media
