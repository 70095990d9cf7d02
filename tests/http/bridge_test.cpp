// The edge's calls into the actors (http/bridge.hpp): jobs on the node's long-lived lanes, not
// an actor spawned per request (issue 14).

#include "http/bridge.hpp"
#include "tests/support/lanes_fixture.hpp"

#include <caf/actor_registry.hpp>
#include <caf/send.hpp>
#include <doctest/doctest.h>

#include <optional>
#include <vector>

namespace sg = seatgrab;

TEST_CASE("a hundred edge calls spawn no actor and all get their answers") {
  sg::test::lanes_fixture f{4};
  auto& ts = f.ts;
  auto& lanes = f.lanes;
  auto doubler = f.doubler();
  auto running = ts.sys().registry().running();
  std::vector<int> answers;
  for (int i = 0; i < 100; ++i)
    sg::http::ask<int>(
        lanes, doubler,
        [&answers](caf::expected<int> x) {
          REQUIRE(x);
          answers.push_back(*x);
        },
        i);
  // Before the lanes, each call had spawned an actor that lived until its answer came.
  CHECK(ts.sys().registry().running() == running);
  ts.run();
  REQUIRE(answers.size() == 100);
  CHECK(answers.front() == 0);
  CHECK(answers.back() == 198);
  CHECK(lanes.wakeups() == 4); // one per lane: the calls queued while it was idle
  // Counted and timed as calls to this node's actors; none went to another member.
  CHECK(lanes.calls().local().count == 100);
  CHECK(lanes.calls().local().failed == 0);
  CHECK(lanes.calls().remote().count == 0);
  uint64_t in_buckets = 0;
  for (const auto& b : lanes.calls().local().buckets)
    in_buckets += b;
  CHECK(in_buckets == 100);
}

TEST_CASE("an edge call to an actor that is gone gets the error") {
  sg::test::lanes_fixture f{1};
  auto& ts = f.ts;
  auto& lanes = f.lanes;
  auto doubler = f.doubler();
  caf::anon_send_exit(doubler, caf::exit_reason::user_shutdown);
  ts.run();
  std::optional<caf::expected<int>> got;
  sg::http::ask<int>(
      lanes, doubler, [&got](caf::expected<int> x) { got = std::move(x); }, 1);
  ts.run();
  REQUIRE(got);
  CHECK_FALSE(*got);
  CHECK(lanes.calls().local().failed == 1);
}
