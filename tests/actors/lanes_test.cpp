// The bridge lanes through which code that is not an actor asks actors (actors/lanes.hpp).

#include "actors/lanes.hpp"
#include "tests/support/lanes_fixture.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <doctest/doctest.h>

#include <algorithm>
#include <memory>
#include <vector>

namespace sg = seatgrab;
using namespace std::chrono_literals;

TEST_CASE("jobs posted to an idle lane run in order after one wake-up") {
  sg::test::lanes_fixture f{4};
  auto& ts = f.ts;
  auto& lanes = f.lanes;
  std::vector<int> ran;
  for (int i = 0; i < 10; ++i)
    lanes.post(2, [&ran, i](caf::event_based_actor*) { ran.push_back(i); });
  CHECK(ran.empty()); // nothing runs on the caller's thread
  ts.run();
  CHECK(ran == std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  CHECK(lanes.posted() == 10);
  CHECK(lanes.wakeups() == 1);
  // Idle again: the next job wakes the lane again.
  lanes.post(2, [&ran](caf::event_based_actor*) { ran.push_back(10); });
  ts.run();
  CHECK(ran.size() == 11);
  CHECK(lanes.wakeups() == 2);
}

TEST_CASE("a job asks an actor and its answer comes back to the same lane") {
  sg::test::lanes_fixture f{3};
  auto& ts = f.ts;
  auto& lanes = f.lanes;
  auto doubler = f.doubler();
  std::vector<std::pair<int, caf::actor_id>> answers;
  for (int i = 0; i < 6; ++i)
    lanes.post([&answers, doubler, i](caf::event_based_actor* self) {
      auto lane = self->id();
      self->request(doubler, 1s, i).then([&answers, self, lane](int y) {
        CHECK(self->id() == lane);
        answers.emplace_back(y, lane);
      });
    });
  ts.run();
  REQUIRE(answers.size() == 6);
  int sum = 0;
  for (auto& a : answers)
    sum += a.first;
  CHECK(sum == 2 * (0 + 1 + 2 + 3 + 4 + 5));
  // Round robin: all three lanes were used.
  std::vector<caf::actor_id> lanes_used;
  for (auto& a : answers)
    if (std::find(lanes_used.begin(), lanes_used.end(), a.second) == lanes_used.end())
      lanes_used.push_back(a.second);
  CHECK(lanes_used.size() == 3);
}

TEST_CASE("a delayed job runs once its delay has passed in virtual time") {
  sg::test::lanes_fixture f{2};
  auto& ts = f.ts;
  auto& lanes = f.lanes;
  ts.run();
  int runs = 0;
  lanes.post_after(1, 1s, [&runs](caf::event_based_actor*) { ++runs; });
  ts.run();
  CHECK(runs == 0);
  ts.advance(999ms);
  CHECK(runs == 0);
  ts.advance(1ms);
  CHECK(runs == 1);
  ts.advance(10s);
  CHECK(runs == 1); // once
}

TEST_CASE("stopped lanes drop what is queued and delayed, and run nothing posted later") {
  sg::test::lanes_fixture f{2};
  auto& ts = f.ts;
  auto& lanes = f.lanes;
  ts.run();
  auto held = std::make_shared<int>(0);
  int runs = 0;
  lanes.post_after(0, 1s, [held, &runs](caf::event_based_actor*) { ++runs; });
  ts.run(); // the timer is armed
  lanes.post(1, [held, &runs](caf::event_based_actor*) { ++runs; });
  CHECK(held.use_count() == 3);
  lanes.stop();
  CHECK(held.use_count() == 1); // what the jobs held is freed by stop
  lanes.post(1, [&runs](caf::event_based_actor*) { ++runs; });
  ts.advance(2s);
  CHECK(runs == 0);
  CHECK(ts.sys().registry().running() == 0); // the lanes' actors exited
}
