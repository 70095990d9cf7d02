// Tests of `atom::status` on every kind of actor of a node: each names its kind and id, and its
// counters follow what happens (a hold makes a section's held go up and free go down, ...).
#include "tests/support/node_fixture.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace std::chrono_literals;
using seatgrab::atom::get_v;
namespace sg = seatgrab;

namespace {

sg::actor_status status_of(sg::test::node_fixture& node, const auto& hdl) {
  auto st = node.call<sg::actor_status>(hdl, sg::atom::status_v);
  REQUIRE_MESSAGE(st, sg::render(st));
  CHECK(st->mailbox == 0); // the test coordinator ran everything
  return *st;
}

} // namespace

TEST_CASE("the catalog, the registry and the event tell their kind, id and counts") {
  sg::test::node_fixture node;
  auto before = status_of(node, node.registry());
  CHECK(before.kind == "registry");
  CHECK(before.id == "node");
  CHECK(before.counter("events") == 0);
  auto live_before = before.counter("live_actors");
  CHECK(live_before >= 1); // the account registry
  auto catalog_before = status_of(node, node.catalog());
  CHECK(catalog_before.kind == "catalog");
  CHECK(catalog_before.counter("venues") == 0);
  CHECK(catalog_before.counter("events") == 0);
  auto ev = node.add_small_event();
  auto after = status_of(node, node.registry());
  CHECK(after.counter("events") == 1);
  CHECK(after.counter("live_actors") > live_before);
  auto catalog_after = status_of(node, node.catalog());
  CHECK(catalog_after.counter("venues") == 1);
  CHECK(catalog_after.counter("events") == 1);
  auto es = status_of(node, ev);
  CHECK(es.kind == "event");
  CHECK(es.id == "gig");
  CHECK(es.version == 0);
  CHECK(es.counter("sections") == 2);
  CHECK(es.counter("missing") == -1);
}

TEST_CASE("a section's counters follow holds, sales and releases") {
  sg::test::node_fixture node;
  auto ev = node.add_small_event();
  auto sec = node.section("gig", "A");
  auto s0 = status_of(node, sec);
  CHECK(s0.kind == "section");
  CHECK(s0.id == "gig/A");
  CHECK(s0.counter("free") == 12);
  CHECK(s0.counter("held") == 0);
  CHECK(s0.counter("sold") == 0);
  CHECK(s0.counter("live_holds") == 0);
  CHECK(s0.counter("next_expiry_ms") == 0);

  REQUIRE(node.call<sg::hold_receipt>(
      ev, sg::atom::hold_v, sg::hold_request{"h1", "fan", {"A-1-1", "A-1-2"}, {}, 0, {}, {}}));
  auto s1 = status_of(node, sec);
  CHECK(s1.version > s0.version);
  CHECK(s1.counter("free") == 10);
  CHECK(s1.counter("held") == 2);
  CHECK(s1.counter("live_holds") == 1);
  CHECK(s1.counter("next_expiry_ms") == sg::test::test_epoch_ms + 300'000);

  REQUIRE(node.call<sg::sale_receipt>(ev, sg::atom::confirm_v, std::string{"h1"},
                                      std::string{"fan"}, std::string{"o1"},
                                      std::vector<std::string>{"A"}));
  auto s2 = status_of(node, sec);
  CHECK(s2.counter("held") == 0);
  CHECK(s2.counter("sold") == 2);
  CHECK(s2.counter("live_holds") == 0);
  CHECK(s2.counter("next_expiry_ms") == 0);

  // A hold that lapses by itself gives its seats back.
  REQUIRE(node.call<sg::hold_receipt>(ev, sg::atom::hold_v,
                                      sg::hold_request{"h2", "fan", {"A-2-1"}, {}, 0, {}, {}}));
  CHECK(status_of(node, sec).counter("held") == 1);
  node.advance(301s);
  auto s3 = status_of(node, sec);
  CHECK(s3.counter("held") == 0);
  CHECK(s3.counter("free") == 10);
}

TEST_CASE("accounts, waiting room, session and box office count what they keep") {
  sg::test::node_fixture node;
  auto ev = sg::test::small_event();
  ev.max_tickets_per_account = 8;
  ev.refunds_until_ms = sg::test::test_epoch_ms + 24 * 3600 * 1000;
  REQUIRE(node.call<std::string>(node.catalog(), sg::atom::put_v, sg::atom::venue_v,
                                 sg::domain::to_json(sg::test::small_venue())));
  REQUIRE(node.call<std::string>(node.catalog(), sg::atom::put_v, ev));

  auto accounts = node.accounts();
  auto a0 = status_of(node, accounts);
  CHECK(a0.kind == "accounts");
  CHECK(a0.counter("accounts") == 0);
  CHECK(a0.counter("sessions") == 0);
  REQUIRE(node.call<sg::account_summary>(accounts, sg::atom::put_v, sg::atom::account_v,
                                         std::string{"fan@example.com"}, std::string{"pw pw pw"}));
  REQUIRE(node.call<sg::login_grant>(accounts, sg::atom::login_v, std::string{"fan@example.com"},
                                     std::string{"pw pw pw"}));
  auto a1 = status_of(node, accounts);
  CHECK(a1.version > a0.version);
  CHECK(a1.counter("accounts") == 1);
  CHECK(a1.counter("sessions") == 1);

  auto room = node.call<sg::waiting_room_actor>(node.registry(), get_v, sg::atom::queue_v,
                                                std::string{"gig"});
  REQUIRE(room);
  auto r0 = status_of(node, *room);
  CHECK(r0.kind == "queue");
  CHECK(r0.id == "gig");
  CHECK(r0.counter("admitted") == 0);
  CHECK(r0.counter("active") == 0);
  CHECK(r0.counter("paused") == 0);
  CHECK(r0.counter("rate_per_min") == ev.admission_per_min);
  auto token = node.admitted("fan");
  auto r1 = status_of(node, *room);
  CHECK(r1.counter("admitted") == 1);
  CHECK(r1.counter("active") == 1);
  CHECK(r1.counter("waiting") == 0);
  REQUIRE(node.call<void>(*room, sg::atom::pause_v));
  CHECK(status_of(node, *room).counter("paused") == 1);

  auto session = node.session("fan");
  auto s0 = status_of(node, session);
  CHECK(s0.kind == "session");
  CHECK(s0.id == "fan");
  CHECK(s0.counter("live_holds") == 0);
  CHECK(s0.counter("orders") == 0);
  auto held = node.call<sg::hold_receipt>(
      session, sg::atom::hold_v, std::string{"gig"},
      sg::hold_request{{}, {}, {"A-1-1", "B-1-1"}, {}, 0, {}, {}}, token, std::string{});
  REQUIRE(held);
  CHECK(status_of(node, session).counter("live_holds") == 1);

  auto office = node.box_office("gig");
  auto b0 = status_of(node, office);
  CHECK(b0.kind == "box_office");
  CHECK(b0.id == "gig");
  CHECK(b0.counter("orders") == 0);
  CHECK(b0.counter("tickets") == 0);
  REQUIRE(node.call<sg::order_info>(session, sg::atom::confirm_v, held->hold_id,
                                    std::string{"4242424242424242"}, std::string{"k1"}));
  auto b1 = status_of(node, office);
  CHECK(b1.version > b0.version);
  CHECK(b1.counter("orders") == 1);
  CHECK(b1.counter("open_orders") == 0);
  CHECK(b1.counter("tickets") == 2);
  auto s1 = status_of(node, session);
  CHECK(s1.counter("live_holds") == 0);
  CHECK(s1.counter("orders") == 1);
  CHECK(s1.version > s0.version);
}
