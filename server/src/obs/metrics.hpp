// Prometheus metrics, rendered as text on GET /metrics. Labels are bounded by
// construction: routes are patterns, not paths.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

namespace samwaad::obs {

class Metrics {
 public:
  void record_request(const std::string& method, const std::string& route, int status,
                      double seconds);
  void connection_opened() { open_connections_.fetch_add(1, std::memory_order_relaxed); }
  void connection_closed() { open_connections_.fetch_sub(1, std::memory_order_relaxed); }
  int64_t open_connections() const { return open_connections_.load(std::memory_order_relaxed); }

  // Gauges and counters other parts publish (e.g. realtime sockets).
  void set_gauge(const std::string& name, const std::string& help, double value);
  void add_counter(const std::string& name, const std::string& help, double delta);
  // A counter kept elsewhere (e.g. by the store), published at its total.
  void set_counter(const std::string& name, const std::string& help, double total);

  std::string render() const;

  static constexpr std::array<double, 12> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                      0.1,   0.25,   0.5,   1.0,  2.5,   5.0};

 private:
  struct Histogram {
    std::array<uint64_t, kBuckets.size()> buckets{};
    uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::tuple<std::string, std::string, int>, uint64_t> requests_;
  std::map<std::string, Histogram> latency_;  // by route
  std::map<std::string, std::pair<std::string, double>> gauges_;
  std::map<std::string, std::pair<std::string, double>> counters_;
  std::atomic<int64_t> open_connections_{0};
};

}  // namespace samwaad::obs
