#include "auth/rate_limiter.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace samwaad::auth {
namespace {

// Tokens in a bucket after refilling from `updated_ms` to `now_ms`. A clock that
// steps backwards refills nothing rather than draining the bucket.
double refilled(double tokens, int64_t updated_ms, double burst, double per_second,
                int64_t now_ms) {
  if (now_ms <= updated_ms || per_second <= 0) return std::min(tokens, burst);
  const double elapsed_s = static_cast<double>(now_ms - updated_ms) / 1000.0;
  return std::min(burst, tokens + elapsed_s * per_second);
}

// Whole seconds until one token is available; 0 if one is there now.
int retry_seconds(double tokens, double per_second) {
  if (tokens >= 1.0) return 0;
  // A bucket that never refills stays closed; say so with the largest wait.
  if (per_second <= 0) return std::numeric_limits<int>::max();
  // The epsilon absorbs float noise: 1 / (5 / 60.0) must be 12, not 13.
  const double wait = std::ceil((1.0 - tokens) / per_second - 1e-9);
  if (wait >= static_cast<double>(std::numeric_limits<int>::max())) {
    return std::numeric_limits<int>::max();
  }
  return std::max(1, static_cast<int>(wait));
}

}  // namespace

int RateLimiter::take(const std::string& key, const RateRule& rule, int64_t now_ms) {
  if (!enabled_) return 0;
  std::lock_guard lock(mutex_);
  auto [it, inserted] =
      buckets_.try_emplace(key, Bucket{rule.burst, now_ms, rule.burst, rule.per_second});
  Bucket& b = it->second;
  // The rule is whatever the caller passes now, so a changed limit applies at once.
  b.burst = rule.burst;
  b.per_second = rule.per_second;
  if (!inserted) {
    b.tokens = refilled(b.tokens, b.updated_ms, b.burst, b.per_second, now_ms);
    b.updated_ms = std::max(b.updated_ms, now_ms);
  }
  const int wait = retry_seconds(b.tokens, b.per_second);
  if (wait == 0) b.tokens -= 1.0;
  return wait;
}

int RateLimiter::peek(const std::string& key, const RateRule& rule, int64_t now_ms) {
  if (!enabled_) return 0;
  std::lock_guard lock(mutex_);
  auto it = buckets_.find(key);
  // No bucket means a full one; peeking must not create state.
  if (it == buckets_.end()) return retry_seconds(rule.burst, rule.per_second);
  const Bucket& b = it->second;
  return retry_seconds(refilled(b.tokens, b.updated_ms, rule.burst, rule.per_second, now_ms),
                       rule.per_second);
}

void RateLimiter::sweep(int64_t now_ms) {
  std::lock_guard lock(mutex_);
  // A full bucket behaves exactly like a missing one, so dropping it loses nothing.
  std::erase_if(buckets_, [now_ms](const auto& entry) {
    const Bucket& b = entry.second;
    return refilled(b.tokens, b.updated_ms, b.burst, b.per_second, now_ms) >= b.burst;
  });
}

std::size_t RateLimiter::size() const {
  std::lock_guard lock(mutex_);
  return buckets_.size();
}

}  // namespace samwaad::auth
