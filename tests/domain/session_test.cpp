// Tests of a fan's session state: queue places, hold ids, live holds per event, orders, replay.
#include "domain/session.hpp"
#include "messages/ec.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <vector>

using seatgrab::ec;
using namespace seatgrab::domain;
using namespace std::chrono_literals;

namespace {

const time_point t0{std::chrono::milliseconds{1'796'119'200'000}};

ec code_of(const caf::error& err) {
  REQUIRE(err.category() == caf::atom("seatgrab"));
  return static_cast<ec>(err.code());
}

session_hold hold_of(const session_state& s, std::string event, int seats, time_point expires) {
  session_hold h{s.hold_id_prefix() + "x", std::move(event), {}, expires, {}};
  for (int i = 1; i <= seats; ++i)
    h.seats.push_back(session_seat{i % 2 ? "A" : "B", "A-1-" + std::to_string(i), 1000});
  return h;
}

} // namespace

TEST_CASE("a session remembers queue places, live holds per event and orders; replay agrees") {
  session_state s{"a7"};
  std::vector<seatgrab::pb::session_event> log;
  auto keep = [&](auto ev) {
    REQUIRE_MESSAGE(ev, seatgrab::render(ev));
    log.push_back(*ev);
  };
  auto q = s.queued("gig", 42, "dev-1", t0);
  REQUIRE(q);
  REQUIRE(q->has_value());
  log.push_back(**q);
  auto again = s.queued("gig", 42, "dev-1", t0 + 1s);
  REQUIRE(again);
  CHECK_FALSE(again->has_value()); // nothing new to journal
  CHECK(s.queue_place("gig") == std::pair<uint64_t, std::string>{42, "dev-1"});
  CHECK_FALSE(s.queue_place("other"));
  CHECK(code_of(s.queued("gig", 0, "dev-1", t0).error()) == ec::invalid_argument);

  CHECK(s.hold_id_prefix() == "a7-h1-");
  keep(s.held(hold_of(s, "gig", 2, t0 + 300s), t0));
  CHECK(s.find_hold("a7-h1-x")->sections() == std::vector<std::string>{"A", "B"});
  CHECK(s.hold_id_prefix() == "a7-h2-");
  keep(s.held(hold_of(s, "gig", 3, t0 + 310s), t0 + 10s));
  keep(s.held(hold_of(s, "other", 1, t0 + 300s), t0));
  auto stale = hold_of(s, "gig", 1, t0 + 300s);
  stale.hold_id = "a7-h1-x";
  CHECK(code_of(s.held(stale, t0).error()) == ec::invalid_argument);
  stale.hold_id = "a7-h4-"; // no suffix
  CHECK(code_of(s.held(stale, t0).error()) == ec::invalid_argument);
  CHECK(s.held_seats("gig", t0 + 299s) == 5);
  CHECK(s.held_seats("gig", t0 + 300s) == 3); // h1 expired
  CHECK(s.held_seats("gig", t0 + 310s) == 0);
  CHECK(s.live_holds(t0 + 305s).size() == 1);

  keep(s.hold_ended("a7-h2-x", "ordered", "o5", t0 + 20s));
  keep(s.hold_ended("a7-h3-x", "released", "", t0 + 20s));
  CHECK(code_of(s.hold_ended("a7-h2-x", "released", "", t0).error()) == ec::hold_not_found);
  CHECK(code_of(s.hold_ended("a7-h1-x", "ordered", "", t0).error()) == ec::invalid_argument);
  REQUIRE(s.orders().size() == 1);
  CHECK(s.orders()[0].event_id == "gig");
  CHECK(s.orders()[0].order_id == "o5");
  CHECK(s.order_of_hold("a7-h2-x")->order_id == "o5");
  CHECK_FALSE(s.order_of_hold("a7-h3-x"));
  CHECK(s.held_seats("gig", t0 + 20s) == 2);

  session_state copy{"a7"};
  for (const auto& ev : log)
    REQUIRE_FALSE(copy.apply(ev));
  CHECK(copy.version() == s.version());
  CHECK(copy.live_holds(t0) == s.live_holds(t0));
  CHECK(copy.orders() == s.orders());
  CHECK(copy.hold_id_prefix() == "a7-h4-");
  CHECK(copy.queue_place("gig") == s.queue_place("gig"));

  // Memory pruning drops expired holds only.
  s.forget_expired(t0 + 301s);
  CHECK_FALSE(s.find_hold("a7-h1-x"));
  CHECK(s.find_hold("a7-h2-x") == std::nullopt); // ordered: ended
  CHECK(s.hold_id_prefix() == "a7-h4-");         // ids are never reused

  // Replay refuses what does not fit.
  session_state fresh{"a7"};
  CHECK(code_of(fresh.apply(log[1])) == ec::storage_corruption);
  CHECK(fresh.version() == 0);
}

TEST_CASE("a hold made with an idempotency key is found by it, also after replay") {
  session_state s{"a7"};
  auto h = hold_of(s, "gig", 1, t0 + 300s);
  h.key = "client-key-1";
  auto ev = s.held(h, t0);
  REQUIRE(ev);
  CHECK(s.hold_for_key("client-key-1") == h.hold_id);
  CHECK_FALSE(s.hold_for_key("other"));
  auto again = hold_of(s, "gig", 1, t0 + 300s);
  again.key = "client-key-1";
  CHECK(code_of(s.held(again, t0).error()) == ec::invalid_argument); // one hold per key
  session_state copy{"a7"};
  REQUIRE_FALSE(copy.apply(*ev));
  CHECK(copy.hold_for_key("client-key-1") == h.hold_id);
  CHECK(copy.find_hold(h.hold_id)->key == "client-key-1");
}

TEST_CASE("a session remembers its newest idempotency keys only, and replay forgets the same") {
  session_state s{"a7"};
  std::vector<seatgrab::pb::session_event> log;
  std::vector<std::string> ids;
  for (size_t i = 0; i < session_state::max_keys + 10; ++i) {
    auto h = hold_of(s, "gig", 1, t0 + 300s);
    h.key = "k" + std::to_string(i);
    auto ev = s.held(h, t0);
    REQUIRE(ev);
    log.push_back(*ev);
    ids.push_back(h.hold_id);
  }
  CHECK_FALSE(s.hold_for_key("k0"));
  CHECK_FALSE(s.hold_for_key("k9"));
  CHECK(s.hold_for_key("k10") == ids[10]);
  CHECK(s.hold_for_key("k" + std::to_string(session_state::max_keys + 9)) == ids.back());
  session_state copy{"a7"};
  for (const auto& ev : log)
    REQUIRE_FALSE(copy.apply(ev));
  CHECK_FALSE(copy.hold_for_key("k9"));
  CHECK(copy.hold_for_key("k10") == ids[10]);
}

namespace {

/// A section's note of its part of hold `hold_id`, which spans `sections`.
seatgrab::pb::hold_note note_of(const std::string& hold_id, const std::string& section,
                                std::vector<std::string> seats, time_point expires,
                                const std::vector<std::string>& sections,
                                const std::string& key = {}) {
  seatgrab::pb::hold_note n;
  n.set_hold_id(hold_id);
  n.set_event_id("gig");
  n.set_section(section);
  for (auto& s : seats) {
    auto& x = *n.add_seats();
    x.set_seat_id(std::move(s));
    x.set_price(1500);
    x.set_section(section);
  }
  n.set_expires_at_ms(expires.time_since_epoch().count());
  n.set_key(key);
  for (const auto& s : sections)
    n.add_sections(s);
  return n;
}

} // namespace

TEST_CASE("the sections' notes give back the one hold the journal lacks, if every part is noted") {
  session_state s{"a7"};
  auto known = s.held(hold_of(s, "gig", 1, t0 + 5min), t0);
  REQUIRE(known);
  auto next = s.hold_id_prefix() + "r1";
  std::vector<seatgrab::pb::hold_note> notes{
      // A hold the journal has: not again.
      note_of("a7-h1-x", "A", {"A-1-1"}, t0 + 5min, {"A"}),
      // Not the next hold id: a hold never answered (its parts expire).
      note_of("a7-h7-zz", "A", {"A-9-9"}, t0 + 5min, {"A"}),
  };
  CHECK_FALSE(s.unrecorded_hold(notes));
  // Only one of its two sections noted its part: the fan was never answered.
  notes.push_back(note_of(next, "B", {"B-2-2", "B-2-1"}, t0 + 5min, {"A", "B"}, "key-1"));
  CHECK_FALSE(s.unrecorded_hold(notes));
  // Both noted: the hold, seats in the order of its sections, the earliest expiry, the key.
  notes.push_back(note_of(next, "A", {"A-2-1"}, t0 + 5min - 1s, {"A", "B"}, "key-1"));
  auto h = s.unrecorded_hold(notes);
  REQUIRE(h);
  CHECK(h->hold_id == next);
  CHECK(h->event_id == "gig");
  CHECK(h->key == "key-1");
  CHECK(h->expires_at == t0 + 5min - 1s);
  REQUIRE(h->seats.size() == 3);
  CHECK(h->seats[0] == session_seat{"A", "A-2-1", 1500});
  CHECK(h->seats[1] == session_seat{"B", "B-2-2", 1500});
  CHECK(h->seats[2] == session_seat{"B", "B-2-1", 1500});
  // Recording it makes it known: the notes give nothing more.
  REQUIRE(s.held(*h, t0));
  CHECK(s.hold_for_key("key-1") == next);
  CHECK_FALSE(s.unrecorded_hold(notes));
}
