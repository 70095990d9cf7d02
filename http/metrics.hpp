#pragma once

// The edge's Prometheus metrics: answers counted by route and status, answer times as
// histograms, and the text exposition of `GET /metrics`.

#include "actors/call_stats.hpp"
#include "http/server.hpp"
#include "messages/admin.hpp"
#include "persistence/group_commit.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <iterator>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace seatgrab::http {

/// Counters and histograms of answered requests. Thread-safe.
class request_metrics {
public:
  /// Counts one answer of `route` ("METHOD /pattern" or "unmatched") with `status` that took
  /// `took`.
  void observe(const std::string& route, unsigned status, std::chrono::steady_clock::duration took);

  /// Counts one queue-status poll, answered from the room's board or by the room itself.
  void queue_poll(bool from_board) {
    (from_board ? board_polls_ : room_polls_).fetch_add(1, std::memory_order_relaxed);
  }

  /// Counts a challenge handed out with a guarded join's answer: "pow" or "step_up".
  void bot_challenge(std::string_view kind) {
    (kind == "pow" ? pow_challenges_ : step_ups_).fetch_add(1, std::memory_order_relaxed);
  }

  /// Counts a queue-status poll refused for its account's rate.
  void poll_throttled() { polls_throttled_.fetch_add(1, std::memory_order_relaxed); }

  /// The text exposition: requests and answer times, the journal writer's counters `journal`,
  /// the open connections of `srv` (if any), then `actor_part` (the per-event lines).
  std::string exposition(const persistence::group_commit_stats& journal, const server* srv,
                         const std::string& actor_part) const;

private:
  /// Latency buckets of the request histograms, in seconds.
  static constexpr double buckets_[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                        0.1,   0.25,   0.5,   1,    2.5,   5};
  static constexpr size_t bucket_count_ = std::size(buckets_);

  struct route_stats {
    std::map<unsigned, uint64_t> by_status;
    uint64_t bucket_hits[bucket_count_ + 1] = {}; // +Inf last
    double sum_s = 0;
    uint64_t count = 0;
  };

  mutable std::mutex mtx_;
  std::map<std::string, route_stats> stats_;
  std::atomic<uint64_t> board_polls_{0};
  std::atomic<uint64_t> room_polls_{0};
  std::atomic<uint64_t> pow_challenges_{0};
  std::atomic<uint64_t> step_ups_{0};
  std::atomic<uint64_t> polls_throttled_{0};
};

/// The exposition of the calls the edge made to actors, by where the actor lives (`local`, or
/// `remote`: one hop to another member).
std::string call_lines(const actors::call_stats& calls);

/// The exposition of what this member knows of each other member (up, last heartbeat, ping
/// round trip, pings and lookups forwarded).
std::string peer_lines(const std::vector<peer_state>& peers);

} // namespace seatgrab::http
