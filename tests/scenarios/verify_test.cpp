// Tests of the independent verifier: a clean small on-sale passes with the right counts, and
// runs broken on purpose (a test hook writes the journal of a buggy node) are caught.
#include "domain/waiting_room.hpp"
#include "messages/section.pb.h"
#include "messages/tickets.pb.h"
#include "messages/waiting_room.pb.h"
#include "persistence/store.hpp"
#include "scenarios/verify.hpp"
#include "tests/support/node_fixture.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <numeric>

using namespace std::chrono_literals;
namespace sg = seatgrab;

namespace {

const int64_t epoch_ms = sg::test::test_epoch.time_since_epoch().count();

/// A small on-sale through the real actors: 4 fans queue (fifo), 3 get in, two buy, one hold
/// expires, one ticket is refunded.
void clean_run(sg::test::node_fixture& node) {
  auto ev = sg::test::small_event();
  ev.queue_mode = "fifo";
  ev.refunds_until_ms = epoch_ms + 86'400'000;
  REQUIRE(node.call<std::string>(node.catalog(), sg::atom::put_v, sg::atom::venue_v,
                                 sg::domain::to_json(sg::test::small_venue())));
  REQUIRE(node.call<std::string>(node.catalog(), sg::atom::put_v, ev));
  std::vector<std::string> tokens;
  for (int i = 0; i < 4; ++i) {
    auto fan = "fan" + std::to_string(i);
    REQUIRE(node.call<sg::queue_status>(node.session(fan), sg::atom::join_v, std::string{"gig"},
                                        "dev" + std::to_string(i)));
  }
  node.advance_seconds(2);
  for (int i = 0; i < 3; ++i) {
    auto st = node.call<sg::queue_status>(node.session("fan" + std::to_string(i)), sg::atom::get_v,
                                          sg::atom::queue_v, std::string{"gig"});
    REQUIRE(st);
    REQUIRE(st->state == "admitted");
    tokens.push_back(st->admission_token);
  }
  auto hold = [&](int i, std::vector<std::string> seats) {
    auto r = node.call<sg::hold_receipt>(node.session("fan" + std::to_string(i)), sg::atom::hold_v,
                                         std::string{"gig"},
                                         sg::hold_request{{}, {}, std::move(seats), {}, 0},
                                         tokens[static_cast<size_t>(i)], std::string{});
    REQUIRE_MESSAGE(r, sg::render(r.error()));
    return r->hold_id;
  };
  auto h0 = hold(0, {"A-1-1", "A-1-2"});
  auto h1 = hold(1, {"B-1-1"});
  hold(2, {"B-2-2"}); // never bought: expires
  auto buy = [&](int i, const std::string& h) {
    auto o = node.call<sg::order_info>(node.session("fan" + std::to_string(i)), sg::atom::confirm_v,
                                       h, std::string{"4242424242424242"}, std::string{"k"});
    REQUIRE_MESSAGE(o, sg::render(o.error()));
    return *o;
  };
  auto o0 = buy(0, h0);
  buy(1, h1);
  REQUIRE(node.call<sg::ticket_info>(node.box_office("gig"), sg::atom::refund_v, o0.tickets[1].id,
                                     std::string{"fan0"}, false));
  node.advance(301s); // the unbought hold expires
  node.ts().run();
}

/// Appends `ev` to the journal of `kind`/`entity` after its last record, as a buggy node would.
template <class Event>
void forge(sg::test::node_fixture& node, const std::string& kind, const std::string& entity,
           Event ev) {
  auto log = node.db().history(kind, entity);
  REQUIRE(log);
  auto seq = log->tail.empty() ? uint64_t{1} : log->tail.back().first + 1;
  ev.set_version(seq);
  sg::persistence::write_set ws;
  ws.append(kind, entity, seq, ev.SerializeAsString());
  REQUIRE(node.db().write(ws, true));
}

bool mentions(const sg::scenarios::verdict& v, const std::string& what) {
  return std::any_of(v.violations.begin(), v.violations.end(),
                     [&](const std::string& x) { return x.find(what) != std::string::npos; });
}

int64_t end_ms(sg::test::node_fixture& node) {
  return node.ctx()->clock.now(node.ts().sys().clock()).time_since_epoch().count();
}

} // namespace

TEST_CASE("a clean on-sale passes every check, with the right counts") {
  sg::test::node_fixture node;
  clean_run(node);
  auto v = sg::scenarios::verify(node.db(), {end_ms(node), true, true});
  CHECK_MESSAGE(v.ok(), (v.ok() ? "" : v.violations.front()));
  CHECK(v.seats_sold == 2); // A-1-1 and B-1-1 (A-1-2 was refunded)
  CHECK(v.seats_held == 0);
  CHECK(v.tickets_valid == 2);
  CHECK(v.holds == 3);
  CHECK(v.expiries == 1);
  CHECK(v.admissions == 4);
  CHECK(v.sold.at("gig|A-1-1") == "o1");
}

TEST_CASE("a double-sold seat is caught") {
  sg::test::node_fixture node;
  clean_run(node);
  // The hook: section A holds and sells A-1-1 again, to another order.
  REQUIRE_FALSE(sg::scenarios::forge_double_sale(node.db(), "gig", "A", "A-1-1", end_ms(node)));
  auto v = sg::scenarios::verify(node.db());
  CHECK_FALSE(v.ok());
  CHECK(mentions(v, "A-1-1 held while not free"));
  CHECK(mentions(v, "A-1-1 sold twice"));
  CHECK(mentions(v, "section/gig/A/")); // the record at fault is named
}

TEST_CASE("a sale without a ticket, and a hold sold after its expiry, are caught") {
  sg::test::node_fixture node;
  clean_run(node);
  sg::pb::section_event held;
  held.set_at_ms(end_ms(node));
  held.mutable_held()->set_hold_id("late");
  held.mutable_held()->set_holder("fan3");
  held.mutable_held()->add_seat_ids("A-2-6");
  held.mutable_held()->add_prices(1000);
  held.mutable_held()->set_expires_at_ms(end_ms(node) + 1000);
  forge(node, "section", "gig/A", held);
  sg::pb::section_event sold;
  sold.set_at_ms(end_ms(node) + 1000); // at the expiry: too late
  sold.mutable_sold()->set_hold_id("late");
  sold.mutable_sold()->set_order_id("o77");
  forge(node, "section", "gig/A", sold);
  auto v = sg::scenarios::verify(node.db());
  CHECK(mentions(v, "hold late sold after its expiry"));
  CHECK(mentions(v, "gig|A-2-6 is sold with 0 valid tickets"));
}

TEST_CASE("a hold outliving its expiry, and an admission out of order, are caught") {
  sg::test::node_fixture node;
  clean_run(node);
  sg::pb::section_event held;
  held.set_at_ms(end_ms(node) - 10'000);
  held.mutable_held()->set_hold_id("stuck");
  held.mutable_held()->set_holder("fan3");
  held.mutable_held()->add_seat_ids("B-2-6");
  held.mutable_held()->add_prices(500);
  held.mutable_held()->set_expires_at_ms(end_ms(node) - 5'000);
  forge(node, "section", "gig/B", held);
  // Tickets 5 and 6 join; 6 is let in first, then 9, who never joined.
  for (uint64_t t : {5, 6}) {
    sg::pb::waiting_room_event joined;
    joined.set_at_ms(end_ms(node));
    joined.mutable_joined()->set_ticket(t);
    forge(node, "queue", "gig", joined);
  }
  sg::pb::waiting_room_event tick;
  tick.set_at_ms(end_ms(node));
  tick.mutable_tick()->add_admitted(6);
  forge(node, "queue", "gig", tick);
  auto v = sg::scenarios::verify(node.db(), {end_ms(node), true, true});
  CHECK(mentions(v, "hold stuck outlived its expiry"));
  CHECK(mentions(v, "ticket 6 let in before ticket 5"));
  tick.mutable_tick()->set_admitted(0, 9);
  forge(node, "queue", "gig", tick);
  v = sg::scenarios::verify(node.db(), {end_ms(node), true, true});
  CHECK(mentions(v, "ticket 9 let in")); // before ticket 5, who still waits
}

TEST_CASE("the published shuffle is recomputed independently of the waiting room's code") {
  std::string seed(32, '\0');
  for (size_t i = 0; i < seed.size(); ++i)
    seed[i] = static_cast<char>(i * 7 + 3);
  std::vector<uint64_t> tickets(1000);
  std::iota(tickets.begin(), tickets.end(), uint64_t{1});
  sg::domain::waiting_room_seed raw{};
  std::copy(seed.begin(), seed.end(), raw.begin());
  CHECK(sg::scenarios::published_shuffle(seed, tickets) == sg::domain::shuffle_order(tickets, raw));
  CHECK(sg::scenarios::published_shuffle(seed, tickets) != tickets);
}
