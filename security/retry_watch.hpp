#pragma once

// Who ignores Retry-After: a browser told to wait (429 with Retry-After) waits; a script
// hammering a route comes straight back. The caller passes the time in; nothing here reads a
// clock.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace seatgrab::security {

/// Counts, per key (an account), the requests refused while the key was still told to wait,
/// and reports a key once it came back early `limit` times with no more than a minute between
/// them (a script hammers on; a person reloading now and then, or two tabs crossing, starts
/// afresh). Thread-safe; bounded: beyond `max_keys` tracked keys, keys no longer told to wait
/// are forgotten.
class retry_watch {
public:
  using clock = std::chrono::steady_clock;

  /// Early requests further apart than this start the count afresh.
  static constexpr std::chrono::seconds forgive_after{60};

  explicit retry_watch(uint32_t limit = 5, size_t max_keys = 100'000);

  /// A request of `key` at `now` was refused and told to retry after `wait_s` seconds. True
  /// exactly once per key: at its `limit`th request before the wait it was last told ended.
  bool refused(std::string_view key, clock::time_point now, unsigned wait_s);

  /// How many keys are tracked.
  size_t size() const;

private:
  struct entry {
    clock::time_point until;      ///< the end of the wait last told
    clock::time_point last_early; ///< the last request before it
    uint32_t early = 0;           ///< such requests, each within a minute of the one before
    bool reported = false;
  };

  uint32_t limit_;
  size_t max_keys_;
  mutable std::mutex mtx_;
  std::unordered_map<std::string, entry> keys_;
};

} // namespace seatgrab::security
