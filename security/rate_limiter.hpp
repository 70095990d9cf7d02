#pragma once

// A per-key request limiter: the generic cell rate algorithm (GCRA). The caller passes the time
// in; nothing here reads a clock.

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace seatgrab::security {

/// Limits each key (e.g. a client address) to `per_s` requests a second with bursts of up to
/// `burst` requests above that rate: an idle key passes `burst + 1` at once. Thread-safe.
class rate_limiter {
public:
  using clock = std::chrono::steady_clock;

  /// `per_s <= 0` admits everything. Beyond `max_keys` tracked keys, keys that are all caught up
  /// are forgotten, so the map stays bounded by the clients active within one burst.
  rate_limiter(double per_s, double burst, size_t max_keys = 100'000);

  /// 0 if a request of `key` at `now` may pass (and counts it); otherwise the whole seconds to
  /// wait before asking again (at least 1).
  unsigned admit(std::string_view key, clock::time_point now);

  /// How many keys are tracked.
  size_t size() const;

private:
  double per_s_;
  double burst_;
  size_t max_keys_;
  mutable std::mutex mtx_;
  /// Theoretical arrival time of each key's next request.
  std::unordered_map<std::string, clock::time_point> tat_;
};

} // namespace seatgrab::security
