#pragma once

// Long-lived bridge actors for code that is not an actor (the edge's I/O threads, the
// scenario's driver) but must ask actors. A job runs inside a lane and may send requests there;
// their answers come back to the same lane. Spawning an actor per call (what the edge did)
// cost a spawn, a first scheduling and a teardown per request; a lane is woken once for all
// the jobs queued while it was idle.
//
// Why several lanes: CAF 0.17 keeps an actor's pending requests and their timeouts in
// structures searched linearly per actor, so one bridge with thousands of calls in flight
// spends its time finding the handler of each answer. Calls spread over many lanes keep
// each lane's list short.

#include "actors/call_stats.hpp"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <vector>

namespace caf {
class actor_system;
class event_based_actor;
class actor;
} // namespace caf

namespace seatgrab::actors {

/// A fixed set of bridge actors with a job queue each; thread-safe.
class lanes {
public:
  /// Work to do inside a lane: it may `request` and continue with `.then`.
  using job = std::function<void(caf::event_based_actor*)>;

  /// Spawns `n` (at least 1) lanes in `sys`.
  lanes(caf::actor_system& sys, size_t n);

  lanes(const lanes&) = delete;
  lanes& operator=(const lanes&) = delete;

  /// Stops the lanes (see `stop`).
  ~lanes();

  /// Runs `f` in lane `i % size()`: the calls of one key (a fan) keep their order.
  void post(size_t i, job f);

  /// Runs `f` in the next lane, round robin.
  void post(job f);

  /// Runs `f` in lane `i % size()` once `delay` has passed (a delayed message of the lane, so
  /// the test coordinator's virtual time drives it too). Long-lived work such as a stream's
  /// poll re-posts itself this way instead of living in an actor of its own.
  void post_after(size_t i, std::chrono::nanoseconds delay, job f);

  /// A lane for a caller that posts several times and wants one lane (round robin).
  size_t pick() { return next_.fetch_add(1, std::memory_order_relaxed); }

  /// Lanes there are.
  size_t size() const { return lanes_.size(); }

  /// Jobs posted so far.
  uint64_t posted() const { return posted_.load(std::memory_order_relaxed); }

  /// Times a lane was woken (at most once per job; fewer when jobs queue up while it works).
  uint64_t wakeups() const { return wakeups_.load(std::memory_order_relaxed); }

  /// How the calls made from the lanes went (http/bridge.hpp records them).
  call_stats& calls() { return calls_; }

  /// The lanes exit; jobs not yet run, and answers not yet in, are dropped. Idempotent; must
  /// come before the actor system awaits its actors.
  void stop();

private:
  struct lane;
  std::vector<std::shared_ptr<lane>> lanes_;
  std::atomic<size_t> next_{0};
  std::atomic<uint64_t> posted_{0};
  std::atomic<uint64_t> wakeups_{0};
  call_stats calls_;
};

} // namespace seatgrab::actors
