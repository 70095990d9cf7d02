#pragma once

// A deterministic CAF actor system for tests: CAF's test coordinator runs every actor on the
// calling thread, and its clock is virtual, so delayed messages (hold expiry, pacer ticks)
// fire exactly when a test advances time. CAF's own test DSL (caf/test/dsl.hpp) is not used:
// its expect/allow macros crash under doctest.
//
// A trap worth knowing (CAF 0.17 + C++20): stateful_actor<S> constructs S from the actor
// pointer whenever std::is_constructible<S, actor*> holds, and in C++20 an aggregate
// `struct S { bool b = false; }` is constructible from a pointer (parenthesized aggregate
// init), so `b` starts out true. Give every actor state a user-declared constructor.

#include "messages/system_config.hpp"
#include "messages/type_ids.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include <chrono>

namespace seatgrab::test {

struct test_config : caf::actor_system_config {
  test_config() {
    set("scheduler.policy", caf::atom("testing"));
    set("logger.verbosity", caf::atom("quiet"));
    register_types(*this);
  }
};

/// Owns the configuration, the system and a handle on the coordinator.
class test_system {
public:
  test_system()
      : sys_(cfg_), sched_(dynamic_cast<caf::scheduler::test_coordinator&>(sys_.scheduler())) {}

  caf::actor_system& sys() noexcept { return sys_; }
  caf::scheduler::test_coordinator& sched() noexcept { return sched_; }

  /// Runs every pending message until no actor has work left.
  size_t run() { return sched_.run(); }

  /// Moves virtual time forward, fires due timeouts, then runs until idle.
  size_t advance(std::chrono::milliseconds d) {
    auto fired = sched_.advance_time(std::chrono::duration_cast<caf::timespan>(d));
    sched_.run();
    return fired;
  }

private:
  test_config cfg_;
  caf::actor_system sys_;
  caf::scheduler::test_coordinator& sched_;
};

} // namespace seatgrab::test
