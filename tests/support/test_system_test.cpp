#include "tests/support/test_system.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <doctest/doctest.h>

#include <chrono>

using namespace std::chrono_literals;

namespace {

// The user-declared constructor matters: CAF 0.17 constructs a state from the actor pointer
// when it can, and C++20 aggregates can be built from one (a first `bool` member would start
// out true). See the note in test_system.hpp.
struct alarm_state {
  alarm_state() = default;
  bool rang = false;
};

// Arms a delayed self-message on start and records when it arrives.
caf::behavior alarm_clock(caf::stateful_actor<alarm_state>* self, std::chrono::seconds delay) {
  self->delayed_send(self, delay, seatgrab::atom::expire_v);
  return {
      [=](seatgrab::atom::expire) { self->state.rang = true; },
      [=](seatgrab::atom::durable) { return self->state.rang; },
  };
}

} // namespace

TEST_CASE("delayed self-messages fire on virtual time, not before") {
  seatgrab::test::test_system ts;
  auto a = ts.sys().spawn(alarm_clock, std::chrono::seconds{300});
  ts.run();
  CHECK(ts.sched().has_pending_timeout());
  auto ask = [&] {
    caf::scoped_actor self{ts.sys()};
    bool rang = false;
    auto req = self->request(a, caf::infinite, seatgrab::atom::durable_v);
    ts.run();
    req.receive([&](bool r) { rang = r; }, [&](caf::error& err) { FAIL(caf::to_string(err)); });
    return rang;
  };
  ts.advance(299s);
  CHECK_FALSE(ask());
  ts.advance(1s);
  CHECK(ask());
  CHECK_FALSE(ts.sched().has_pending_timeout());
  caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  ts.run();
}
