#include "tests/support/node_fixture.hpp"

#include <doctest/doctest.h>

using namespace std::chrono_literals;
using seatgrab::atom::confirm_v;
using seatgrab::atom::extend_v;
using seatgrab::atom::get_v;
using seatgrab::atom::hold_v;
using seatgrab::atom::refund_v;
using seatgrab::atom::release_v;
using seatgrab::atom::seatmap_v;
namespace sg = seatgrab;

namespace {

sg::hold_request seats(std::string hold_id, std::string holder, std::vector<std::string> ids) {
  return sg::hold_request{std::move(hold_id), std::move(holder), std::move(ids), {}, 0, {}, {}};
}

} // namespace

TEST_CASE("a hold made at t is held at t+299s and free at t+300s, by its own timer") {
  sg::test::node_fixture node;
  node.add_small_event();
  auto sec = node.section("gig", "A");
  auto part = node.call<sg::hold_part>(sec, hold_v, seats("h1", "alice", {"A-1-1", "A-1-2"}));
  REQUIRE(part);
  CHECK(part->seats.size() == 2);
  CHECK(part->seats[0].price == 1000);
  CHECK(part->expires_at_ms == (sg::test::test_epoch + 300s).time_since_epoch().count());
  node.advance(299s);
  CHECK(node.status(sec, "A-1-1") == sg::seat_state::held);
  CHECK(node.status(sec, "A-1-2") == sg::seat_state::held);
  node.advance(1s);
  CHECK(node.status(sec, "A-1-1") == sg::seat_state::free);
  CHECK(node.status(sec, "A-1-2") == sg::seat_state::free);
  // The expiry was journaled: the section's journal ends with it.
  auto log = node.db().load("section", "gig/A");
  REQUIRE(log);
  sg::pb::section_event last;
  REQUIRE(last.ParseFromString(log->tail.back().second));
  CHECK(last.has_expired());
}

TEST_CASE("an expiry made stale by an extension releases nothing") {
  sg::test::node_fixture node;
  node.add_small_event();
  auto sec = node.section("gig", "A");
  REQUIRE(node.call<sg::hold_part>(sec, hold_v, seats("h1", "alice", {"A-1-1"})));
  node.advance(200s);
  auto ext = node.call<sg::hold_part>(sec, extend_v, std::string{"h1"}, std::string{"alice"});
  REQUIRE(ext);
  CHECK(ext->generation == 2);
  node.advance(100s); // t+300: the first timer fires, stale
  CHECK(node.status(sec, "A-1-1") == sg::seat_state::held);
  node.advance(199s); // t+499
  CHECK(node.status(sec, "A-1-1") == sg::seat_state::held);
  node.advance(1s); // t+500 = extension time + TTL
  CHECK(node.status(sec, "A-1-1") == sg::seat_state::free);
}

TEST_CASE("a section keeps one expiry timer, however many holds came and went") {
  sg::test::node_fixture node;
  node.add_small_event();
  node.ts().run();
  auto& timers = node.ts().sched().clock().schedule();
  const auto before = timers.size(); // the other actors' own timers (pacers, sweeps)
  auto sec = node.section("gig", "A");
  for (int i = 0; i < 40; ++i) {
    auto id = "h" + std::to_string(i);
    REQUIRE(node.call<sg::hold_part>(sec, hold_v, seats(id, "alice", {"A-1-1"})));
    REQUIRE(node.call<void>(sec, release_v, id, std::string{"alice"}));
    node.advance(1s);
  }
  // A timer a hold would leave 40 waiting out their 5 minutes.
  MESSAGE("pending timers: " << before << " before the holds, " << timers.size() << " after");
  CHECK(timers.size() <= before + 1);
  // The last hold still ends on time: at its own t + 300 s, not the first one's.
  REQUIRE(node.call<sg::hold_part>(sec, hold_v, seats("last", "bob", {"A-1-2"})));
  node.advance(299s);
  CHECK(node.status(sec, "A-1-2") == sg::seat_state::held);
  node.advance(1s);
  CHECK(node.status(sec, "A-1-2") == sg::seat_state::free);
  CHECK(timers.size() <= before);
}

TEST_CASE("holds of different ends expire each at its own time") {
  sg::test::node_fixture node;
  node.add_small_event();
  auto sec = node.section("gig", "A");
  REQUIRE(node.call<sg::hold_part>(sec, hold_v, seats("h1", "alice", {"A-1-1"})));
  node.advance(100s);
  REQUIRE(node.call<sg::hold_part>(sec, hold_v, seats("h2", "bob", {"A-1-2"})));
  node.advance(150s); // t+250: extend h1 past h2's end
  REQUIRE(node.call<sg::hold_part>(sec, extend_v, std::string{"h1"}, std::string{"alice"}));
  node.advance(150s); // t+400: h2 (t+100+300) ends, h1 (t+250+300) holds on
  CHECK(node.status(sec, "A-1-2") == sg::seat_state::free);
  CHECK(node.status(sec, "A-1-1") == sg::seat_state::held);
  node.advance(149s);
  CHECK(node.status(sec, "A-1-1") == sg::seat_state::held);
  node.advance(1s); // t+550
  CHECK(node.status(sec, "A-1-1") == sg::seat_state::free);
}

TEST_CASE("hold, confirm, refund through the section actor") {
  sg::test::node_fixture node;
  node.add_small_event();
  auto sec = node.section("gig", "B");
  REQUIRE(node.call<sg::hold_part>(sec, hold_v, seats("h1", "alice", {"B-1-1", "B-1-2"})));
  auto sale = node.call<sg::sale_receipt>(sec, confirm_v, std::string{"h1"}, std::string{"alice"},
                                          std::string{"o1"});
  REQUIRE(sale);
  CHECK(sale->total == 1000);
  node.advance(1h); // a sold seat never expires
  CHECK(node.status(sec, "B-1-1") == sg::seat_state::sold);
  REQUIRE(node.call<void>(sec, refund_v, std::string{"B-1-1"}, std::string{"o1"}));
  CHECK(node.status(sec, "B-1-1") == sg::seat_state::free);
  CHECK(node.status(sec, "B-1-2") == sg::seat_state::sold);
}

TEST_CASE("bad requests get a specific error and change nothing") {
  sg::test::node_fixture node;
  node.add_small_event();
  auto sec = node.section("gig", "A");
  REQUIRE(node.call<sg::hold_part>(sec, hold_v, seats("h1", "alice", {"A-1-1"})));
  auto before = node.call<sg::section_map>(sec, get_v, seatmap_v);
  REQUIRE(before);
  auto expect_error = [&](auto res, sg::ec code) {
    REQUIRE_FALSE(res);
    CHECK(res.error() == code);
    auto after = node.call<sg::section_map>(sec, get_v, seatmap_v);
    REQUIRE(after);
    CHECK(after->version == before->version);
  };
  SUBCASE("unknown seat") {
    expect_error(node.call<sg::hold_part>(sec, hold_v, seats("h2", "bob", {"A-9-9"})),
                 sg::ec::unknown_seat);
  }
  SUBCASE("the same seat twice") {
    expect_error(node.call<sg::hold_part>(sec, hold_v, seats("h2", "bob", {"A-1-2", "A-1-2"})),
                 sg::ec::duplicate_seat);
  }
  SUBCASE("more seats than allowed") {
    expect_error(
        node.call<sg::hold_part>(sec, hold_v,
                                 seats("h2", "bob", {"A-2-1", "A-2-2", "A-2-3", "A-2-4", "A-2-5"})),
        sg::ec::too_many_seats);
  }
  SUBCASE("a seat held by someone else") {
    auto res = node.call<sg::hold_part>(sec, hold_v, seats("h2", "bob", {"A-1-2", "A-1-1"}));
    expect_error(res, sg::ec::seat_taken);
    CHECK(sg::render(res.error()).find("A-1-1") != std::string::npos);
    CHECK(node.status(sec, "A-1-2") == sg::seat_state::free);
  }
  SUBCASE("confirm by someone who is not the holder") {
    expect_error(node.call<sg::sale_receipt>(sec, confirm_v, std::string{"h1"},
                                             std::string{"mallory"}, std::string{"o9"}),
                 sg::ec::not_holder);
  }
  SUBCASE("confirm after expiry") {
    node.advance(300s);
    before = node.call<sg::section_map>(sec, get_v, seatmap_v); // the expiry moved the version
    expect_error(node.call<sg::sale_receipt>(sec, confirm_v, std::string{"h1"},
                                             std::string{"alice"}, std::string{"o9"}),
                 sg::ec::hold_not_found);
  }
  SUBCASE("release of an unknown hold") {
    expect_error(node.call<void>(sec, release_v, std::string{"nope"}, std::string{"alice"}),
                 sg::ec::hold_not_found);
  }
  SUBCASE("refund of a seat that is not sold") {
    expect_error(node.call<void>(sec, refund_v, std::string{"A-1-1"}, std::string{"o1"}),
                 sg::ec::seat_not_sold);
  }
}

TEST_CASE("best available picks adjacent seats in one row") {
  sg::test::node_fixture node;
  auto ev = node.add_small_event();
  auto receipt =
      node.call<sg::hold_receipt>(ev, hold_v, sg::hold_request{"h1", "alice", {}, "A", 3, {}, {}});
  REQUIRE(receipt);
  REQUIRE(receipt->parts.size() == 1);
  REQUIRE(receipt->parts[0].seats.size() == 3);
  CHECK(receipt->total == 3000);
  auto row_of = [](const std::string& seat) { return seat.substr(0, seat.rfind('-')); };
  CHECK(row_of(receipt->parts[0].seats[0].seat) == row_of(receipt->parts[0].seats[2].seat));
  auto unknown =
      node.call<sg::hold_receipt>(ev, hold_v, sg::hold_request{"h2", "bob", {}, "Z", 2, {}, {}});
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error() == sg::ec::unknown_section);
}

TEST_CASE("a confirm retried after its reply was lost gets the same sale") {
  sg::test::node_fixture node;
  node.add_small_event();
  auto sec = node.section("gig", "A");
  REQUIRE(node.call<sg::hold_part>(sec, hold_v, seats("h1", "alice", {"A-1-1", "A-1-2"})));
  auto first = node.call<sg::sale_receipt>(sec, confirm_v, std::string{"h1"}, std::string{"alice"},
                                           std::string{"o1"});
  REQUIRE(first);
  auto again = node.call<sg::sale_receipt>(sec, confirm_v, std::string{"h1"}, std::string{"alice"},
                                           std::string{"o1"});
  REQUIRE(again);
  CHECK(again->total == first->total);
  CHECK(again->seats.size() == 2);
  // Another order id for the same (gone) hold is still refused.
  auto other = node.call<sg::sale_receipt>(sec, confirm_v, std::string{"h1"}, std::string{"alice"},
                                           std::string{"o2"});
  REQUIRE_FALSE(other);
  CHECK(other.error() == sg::ec::hold_not_found);
}
