#include "tests/support/node_fixture.hpp"

#include <doctest/doctest.h>

using namespace std::chrono_literals;
using seatgrab::atom::confirm_v;
using seatgrab::atom::get_v;
using seatgrab::atom::hold_v;
using seatgrab::atom::release_v;
using seatgrab::atom::seatmap_v;
namespace sg = seatgrab;

TEST_CASE("a hold across sections is placed whole, with one receipt") {
  sg::test::node_fixture node;
  auto ev = node.add_small_event();
  auto receipt = node.call<sg::hold_receipt>(
      ev, hold_v, sg::hold_request{"h1", "alice", {"A-1-1", "B-2-6", "A-1-2"}, {}, 0, {}, {}});
  REQUIRE(receipt);
  CHECK(receipt->parts.size() == 2);
  CHECK(receipt->total == 1000 + 500 + 1000);
  CHECK(node.status(node.section("gig", "A"), "A-1-2") == sg::seat_state::held);
  CHECK(node.status(node.section("gig", "B"), "B-2-6") == sg::seat_state::held);
  auto sale = node.call<sg::sale_receipt>(ev, confirm_v, std::string{"h1"}, std::string{"alice"},
                                          std::string{"o1"}, std::vector<std::string>{"A", "B"});
  REQUIRE(sale);
  CHECK(sale->total == 2500);
  CHECK(sale->seats.size() == 3);
  CHECK(node.status(node.section("gig", "B"), "B-2-6") == sg::seat_state::sold);
}

TEST_CASE("if one section refuses, what other sections took is given back") {
  sg::test::node_fixture node;
  auto ev = node.add_small_event();
  REQUIRE(node.call<sg::hold_receipt>(
      ev, hold_v, sg::hold_request{"h0", "bob", {"B-1-1", "B-1-2"}, {}, 0, {}, {}}));
  auto res = node.call<sg::hold_receipt>(
      ev, hold_v,
      sg::hold_request{"h1", "alice", {"A-1-1", "A-1-2", "B-1-2", "B-1-1"}, {}, 0, {}, {}});
  REQUIRE_FALSE(res);
  CHECK(res.error() == sg::ec::seat_taken);
  auto text = sg::render(res.error());
  CHECK(text.find("B-1-1") != std::string::npos);
  CHECK(text.find("B-1-2") != std::string::npos);
  node.ts().run(); // let the compensating release through
  CHECK(node.status(node.section("gig", "A"), "A-1-1") == sg::seat_state::free);
  CHECK(node.status(node.section("gig", "A"), "A-1-2") == sg::seat_state::free);
  CHECK(node.status(node.section("gig", "B"), "B-1-1") == sg::seat_state::held);
}

TEST_CASE("a sale across sections is all or nothing") {
  sg::test::node_fixture node;
  auto ev = node.add_small_event();
  REQUIRE(node.call<sg::hold_receipt>(
      ev, hold_v, sg::hold_request{"h1", "alice", {"A-1-1", "B-1-1"}, {}, 0, {}, {}}));
  // The B part is released behind the coordinator's back, so confirming it fails.
  REQUIRE(node.call<void>(node.section("gig", "B"), release_v, std::string{"h1"},
                          std::string{"alice"}));
  auto sale = node.call<sg::sale_receipt>(ev, confirm_v, std::string{"h1"}, std::string{"alice"},
                                          std::string{"o1"}, std::vector<std::string>{"A", "B"});
  REQUIRE_FALSE(sale);
  CHECK(sale.error() == sg::ec::hold_not_found);
  node.ts().run(); // let the compensating refund through
  CHECK(node.status(node.section("gig", "A"), "A-1-1") == sg::seat_state::free);
}

TEST_CASE("request validation happens before any section is touched") {
  sg::test::node_fixture node;
  auto ev = node.add_small_event();
  auto unknown = node.call<sg::hold_receipt>(
      ev, hold_v, sg::hold_request{"h1", "alice", {"A-1-1", "Q-1-1"}, {}, 0, {}, {}});
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error() == sg::ec::unknown_seat);
  auto dup = node.call<sg::hold_receipt>(
      ev, hold_v, sg::hold_request{"h1", "alice", {"A-1-1", "B-1-1", "A-1-1"}, {}, 0, {}, {}});
  REQUIRE_FALSE(dup);
  CHECK(dup.error() == sg::ec::duplicate_seat);
  auto map = node.call<sg::event_map>(ev, get_v, seatmap_v);
  REQUIRE(map);
  CHECK(map->version == 0);
  CHECK(map->sections.size() == 2);
  CHECK(map->sections[0].seats.size() == 12);
}

TEST_CASE("the catalog refuses bad venues and events, naming the field") {
  sg::test::node_fixture node;
  node.add_small_event();
  auto bad_json = node.call<std::string>(node.catalog(), sg::atom::put_v, sg::atom::venue_v,
                                         std::string{"{\"id\": 1}"});
  REQUIRE_FALSE(bad_json);
  CHECK(bad_json.error() == sg::ec::invalid_input);
  auto ev = sg::test::small_event();
  ev.id = "other";
  ev.hold_ttl_s = 0;
  auto bad_ttl = node.call<std::string>(node.catalog(), sg::atom::put_v, ev);
  REQUIRE_FALSE(bad_ttl);
  CHECK(sg::render(bad_ttl.error()).find("hold_ttl_s") != std::string::npos);
  auto changed = sg::test::small_event();
  changed.name = "Another name";
  auto clash = node.call<std::string>(node.catalog(), sg::atom::put_v, changed);
  REQUIRE_FALSE(clash);
  CHECK(clash.error() == sg::ec::already_exists);
  auto events = node.call<std::vector<sg::event_info>>(node.catalog(), get_v, sg::atom::events_v);
  REQUIRE(events);
  CHECK(events->size() == 1);
}

TEST_CASE("a sale across sections retried with the same order is the same sale") {
  sg::test::node_fixture node;
  auto ev = node.add_small_event();
  REQUIRE(node.call<sg::hold_receipt>(
      ev, hold_v, sg::hold_request{"h1", "alice", {"A-1-1", "B-1-1"}, {}, 0, {}, {}}));
  auto confirm = [&] {
    return node.call<sg::sale_receipt>(ev, confirm_v, std::string{"h1"}, std::string{"alice"},
                                       std::string{"o1"}, std::vector<std::string>{"A", "B"});
  };
  auto first = confirm();
  REQUIRE(first);
  auto again = confirm();
  REQUIRE(again);
  CHECK(again->total == first->total);
  CHECK(again->seats.size() == 2);
  node.ts().run();
  CHECK(node.status(node.section("gig", "A"), "A-1-1") == sg::seat_state::sold);
  CHECK(node.status(node.section("gig", "B"), "B-1-1") == sg::seat_state::sold);
}
