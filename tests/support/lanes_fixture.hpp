#pragma once

// Bridge lanes (actors/lanes.hpp) on the test coordinator, for the tests of the lanes and of
// the edge's calls through them.

#include "actors/lanes.hpp"
#include "tests/support/test_system.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>

#include <vector>

namespace seatgrab::test {

/// Lanes on the test coordinator, and actors for them to ask; all stopped before the system
/// goes (it waits for its actors, and nothing runs them after the test).
struct lanes_fixture {
  explicit lanes_fixture(size_t n) : lanes(ts.sys(), n) { ts.run(); }

  ~lanes_fixture() {
    lanes.stop();
    for (auto& a : others)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    ts.run();
  }

  /// An actor that answers `2 * x` to `x`.
  caf::actor doubler() {
    others.push_back(
        ts.sys().spawn([]() -> caf::behavior { return {[](int x) { return 2 * x; }}; }));
    ts.run();
    return others.back();
  }

  test_system ts;
  actors::lanes lanes;
  std::vector<caf::actor> others;
};

} // namespace seatgrab::test
