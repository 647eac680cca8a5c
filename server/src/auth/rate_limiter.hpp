// In-memory token-bucket rate limiting keyed by strings ("login:ip:1.2.3.4").
// Per node: with several nodes each enforces its own budget, which bounds abuse
// without a shared round trip on every request.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace samwaad::auth {

struct RateRule {
  double burst = 0;       // bucket capacity
  double per_second = 0;  // refill rate
};

class RateLimiter {
 public:
  explicit RateLimiter(bool enabled = true) : enabled_(enabled) {}

  // Takes one token for `key` under `rule`. Returns 0 when allowed, otherwise
  // the whole seconds (>= 1) until a token is available (for Retry-After).
  int take(const std::string& key, const RateRule& rule, int64_t now_ms);
  // Seconds until allowed without taking a token (0 if allowed now).
  int peek(const std::string& key, const RateRule& rule, int64_t now_ms);
  // Forgets full buckets, so memory stays bounded by recent abusers.
  void sweep(int64_t now_ms);
  std::size_t size() const;
  bool enabled() const { return enabled_; }

 private:
  struct Bucket {
    double tokens;
    int64_t updated_ms;
    double burst;
    double per_second;
  };
  bool enabled_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace samwaad::auth
