#pragma once

// How the calls made through the bridge lanes went, split by whether the actor called lives on
// this node or on another member (one hop over the cluster): counts, failures and answer times
// as histogram buckets. Lock-free; the edge's /metrics reads it.

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace seatgrab::actors {

class call_stats {
public:
  /// Upper bounds of the answer-time buckets, in seconds (+Inf follows).
  static constexpr std::array<double, 12> bounds{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                 0.05,   0.1,   0.25,   0.5,   1,    5};

  /// The figures of one side (local or remote).
  struct side {
    std::array<std::atomic<uint64_t>, bounds.size() + 1> buckets{}; ///< not cumulative
    std::atomic<uint64_t> count{0};
    std::atomic<uint64_t> failed{0};
    std::atomic<uint64_t> sum_ns{0};
  };

  /// One call, to another member's actor (`remote`) or this node's, that took `took`.
  void observe(bool remote, std::chrono::nanoseconds took, bool failure) {
    auto& s = remote ? remote_ : local_;
    double secs = std::chrono::duration<double>(took).count();
    size_t b = 0;
    while (b < bounds.size() && secs > bounds[b])
      ++b;
    s.buckets[b].fetch_add(1, std::memory_order_relaxed);
    s.count.fetch_add(1, std::memory_order_relaxed);
    s.sum_ns.fetch_add(static_cast<uint64_t>(took.count()), std::memory_order_relaxed);
    if (failure)
      s.failed.fetch_add(1, std::memory_order_relaxed);
  }

  const side& local() const { return local_; }
  const side& remote() const { return remote_; }

private:
  side local_;
  side remote_;
};

} // namespace seatgrab::actors
