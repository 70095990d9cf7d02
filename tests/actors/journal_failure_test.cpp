// A section actor whose journal write fails (a full disk under RocksDB, injected): the request
// fails with the cause, the actor's memory never runs ahead of its journal (it stops, and a
// write it makes before it stops is refused), and once the fault is gone and the writer has
// resumed, a new activation from the journal takes holds again.

#include "actors/section.hpp"
#include "messages/ec.hpp"
#include "persistence/group_commit.hpp"
#include "persistence/store.hpp"
#include "tests/support/faulty_node.hpp"

#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <doctest/doctest.h>

#include <filesystem>
#include <unistd.h>

namespace sg = seatgrab;
namespace pst = seatgrab::persistence;
using sg::atom::hold_v;

namespace {

sg::domain::section_config four_seats() {
  sg::domain::section_config cfg;
  cfg.event_id = "ev";
  cfg.section_id = "s";
  for (uint32_t i = 1; i <= 4; ++i)
    cfg.seats.push_back(sg::domain::seat_info{"A" + std::to_string(i), "A", i, i, 5'000});
  return cfg;
}

sg::hold_request hold_of(std::string id, std::string seat) {
  return sg::hold_request{std::move(id), "fan", {std::move(seat)}, {}, 0, {}, {}};
}

/// The answer to a request sent earlier through `self`, after the system ran.
template <class Req>
caf::error outcome(Req& req) {
  caf::error result = caf::make_error(sg::ec::unavailable, "no reply");
  req.receive([&](sg::hold_part&) { result = caf::error{}; },
              [&](caf::error& err) { result = std::move(err); });
  return result;
}

} // namespace

TEST_CASE("a failed journal write stops the section; nothing it did after is journaled") {
  sg::test::faulty_node node{"seatgrab-journal-failure"};
  auto& ts = node.ts;
  auto& fe = node.fe;
  auto& writer = node.writer;
  const auto& ctx = node.ctx;
  {
    auto sec = sg::actors::spawn_section(ts.sys(), four_seats(), ctx);
    ts.run();
    caf::scoped_actor self{ts.sys()};
    auto first = self->request(sec, caf::infinite, hold_v, hold_of("h1", "A1"));
    ts.run();
    REQUIRE_FALSE(outcome(first));

    // The disk fills: the hold of A2 fails. Before the section sees its durable message (and
    // stops), the fault is gone and the writer resumed; its hold of A3 builds on the failed
    // one in memory and must not reach the journal.
    fe.sw->fail_append = true;
    auto second = self->request(sec, caf::infinite, hold_v, hold_of("h2", "A2"));
    auto third = self->request(sec, caf::infinite, hold_v, hold_of("h3", "A3"));
    ts.sched().run_once(); // the hold of A2 only
    fe.sw->fail_append = false;
    REQUIRE(writer.try_recover());
    ts.run();
    CHECK(sg::ec_of(outcome(second)) == sg::ec::storage_full);
    CHECK(outcome(third));
    // The journal holds exactly the first hold, with no gap: it loads.
    auto log = node.db->load("section", "ev/s");
    REQUIRE(log);
    CHECK(log->last_seq() == 1);

    // A new activation recovers from the journal: A1 held, A2 and A3 free, holds taken again.
    auto again = sg::actors::spawn_section(ts.sys(), four_seats(), ctx);
    ts.run();
    auto fourth = self->request(again, caf::infinite, hold_v, hold_of("h4", "A2"));
    ts.run();
    CHECK_FALSE(outcome(fourth));
    auto taken = self->request(again, caf::infinite, hold_v, hold_of("h5", "A1"));
    ts.run();
    CHECK(sg::ec_of(outcome(taken)) == sg::ec::seat_taken);
    log = node.db->load("section", "ev/s");
    REQUIRE(log);
    CHECK(log->last_seq() == 2);
    caf::anon_send_exit(again, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(sec, caf::exit_reason::user_shutdown);
    ts.run();
  }
}
