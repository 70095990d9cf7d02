// Tests of the independent verifier: a clean small on-sale passes with the right counts, and
// runs broken on purpose (a test hook writes the journal of a buggy node) are caught.
#include "domain/waiting_room.hpp"
#include "messages/payment.pb.h"
#include "messages/section.pb.h"
#include "messages/tickets.pb.h"
#include "messages/waiting_room.pb.h"
#include "persistence/store.hpp"
#include "scenarios/verify.hpp"
#include "tests/support/forge.hpp"
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
                                        sg::client_facts{"dev" + std::to_string(i)}));
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
                                         sg::hold_request{{}, {}, std::move(seats), {}, 0, {}, {}},
                                         tokens[static_cast<size_t>(i)], std::string{});
    REQUIRE_MESSAGE(r, sg::render(r));
    return r->hold_id;
  };
  auto h0 = hold(0, {"A-1-1", "A-1-2"});
  auto h1 = hold(1, {"B-1-1"});
  hold(2, {"B-2-2"}); // never bought: expires
  auto buy = [&](int i, const std::string& h) {
    auto o = node.call<sg::order_info>(node.session("fan" + std::to_string(i)), sg::atom::confirm_v,
                                       h, std::string{"4242424242424242"}, std::string{"k"});
    REQUIRE_MESSAGE(o, sg::render(o));
    return *o;
  };
  auto o0 = buy(0, h0);
  buy(1, h1);
  REQUIRE(node.call<sg::ticket_info>(node.box_office("gig"), sg::atom::refund_v, o0.tickets[1].id,
                                     std::string{"fan0"}, false, std::string{}));
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
  REQUIRE_FALSE(sg::test::forge_double_sale(node.db(), "gig", "A", "A-1-1", end_ms(node)));
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

TEST_CASE("a revealed seed that is not the committed one is caught") {
  sg::test::node_fixture node;
  clean_run(node);
  auto shown =
      node.call<sg::queue_info>(node.waiting_room("gig"), sg::atom::get_v, sg::atom::info_v);
  REQUIRE(shown);
  REQUIRE(shown->seed_commitment.size() == 64);
  // The clean run: the revealed seed matches the kept seed and what the fans were shown.
  sg::scenarios::verify_options opts{end_ms(node), true, true};
  CHECK(sg::scenarios::verify(node.db(), opts).ok());
  opts.published_commitments["gig"] = shown->seed_commitment;
  CHECK(sg::scenarios::verify(node.db(), opts).ok());
  // Fans shown another commitment than the seed revealed.
  opts.published_commitments["gig"] = std::string(64, '0');
  CHECK(mentions(sg::scenarios::verify(node.db(), opts), "not to the published commitment 000"));
  // A room that reopens with a new seed after publishing the first one.
  sg::pb::waiting_room_event reopened;
  reopened.set_at_ms(end_ms(node));
  reopened.mutable_opened()->set_seed(std::string(32, 'x'));
  forge(node, "queue", "gig", reopened);
  auto v = sg::scenarios::verify(node.db(), {end_ms(node), true, true});
  CHECK(mentions(v, "not to the commitment " + shown->seed_commitment));
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

namespace {

/// The ticket journal of "gig": (ticket id, payment id) of every issued ticket, and the id of
/// every refunded one.
std::pair<std::vector<std::pair<std::string, std::string>>, std::vector<std::string>>
issued_and_refunded(sg::test::node_fixture& node) {
  auto log = node.db().history("ticket", "gig");
  REQUIRE(log);
  std::vector<std::pair<std::string, std::string>> issued;
  std::vector<std::string> refunded;
  for (const auto& [seq, bytes] : log->tail) {
    sg::pb::ticket_event ev;
    REQUIRE(ev.ParseFromString(bytes));
    if (ev.has_issued())
      for (const auto& s : ev.issued().seats())
        issued.emplace_back(s.ticket_id(), ev.issued().payment_id());
    if (ev.has_refunded())
      refunded.push_back(ev.refunded().ticket_id());
  }
  return {issued, refunded};
}

sg::pb::ticket_event admitted(const std::string& ticket, uint32_t version, int64_t at) {
  sg::pb::ticket_event ev;
  ev.set_at_ms(at);
  ev.mutable_admitted()->set_ticket_id(ticket);
  ev.mutable_admitted()->set_version(version);
  return ev;
}

} // namespace

TEST_CASE("a hold whose expiry is not hold_ttl_s after it, or stretched past "
          "max_hold_total_s, is caught") {
  sg::test::node_fixture node;
  clean_run(node);
  CHECK(sg::scenarios::verify(node.db(), {end_ms(node), true, true}).ok());
  auto at = end_ms(node);
  sg::pb::section_event held;
  held.set_at_ms(at);
  held.mutable_held()->set_hold_id("long");
  held.mutable_held()->set_holder("fan3");
  held.mutable_held()->add_seat_ids("A-2-6");
  held.mutable_held()->add_prices(1000);
  held.mutable_held()->set_expires_at_ms(at + 900'000); // hold_ttl_s is 300
  forge(node, "section", "gig/A", held);
  auto v = sg::scenarios::verify(node.db());
  CHECK(mentions(v, "hold long expires at " + std::to_string(at + 900'000) +
                        ", not hold_ttl_s (300 s) after"));
  held.mutable_held()->set_hold_id("ok");
  held.mutable_held()->set_seat_ids(0, "A-2-5");
  held.mutable_held()->set_expires_at_ms(at + 300'000);
  forge(node, "section", "gig/A", held);
  sg::pb::section_event extended;
  extended.set_at_ms(at + 290'000);
  extended.mutable_extended()->set_hold_id("ok");
  extended.mutable_extended()->set_expires_at_ms(at + 590'000); // max_hold_total_s 600: fine
  forge(node, "section", "gig/A", extended);
  v = sg::scenarios::verify(node.db());
  CHECK_FALSE(mentions(v, "hold ok"));
  extended.set_at_ms(at + 580'000);
  extended.mutable_extended()->set_expires_at_ms(at + 880'000); // past max_hold_total_s
  forge(node, "section", "gig/A", extended);
  v = sg::scenarios::verify(node.db());
  CHECK(mentions(v, "hold ok extended to " + std::to_string(at + 880'000) + ", not " +
                        std::to_string(at + 600'000)));
}

TEST_CASE("a ticket admitted twice, after its refund or at a revoked version is caught") {
  sg::test::node_fixture node;
  clean_run(node);
  auto [issued, refunded] = issued_and_refunded(node);
  REQUIRE(issued.size() == 3);
  REQUIRE(refunded.size() == 1);
  std::string valid;
  for (const auto& [id, payment] : issued)
    if (id != refunded[0] && valid.empty())
      valid = id;
  auto at = end_ms(node);
  forge(node, "ticket", "gig", admitted(valid, 1, at));
  CHECK(sg::scenarios::verify(node.db()).ok()); // once, at its version: fine
  forge(node, "ticket", "gig", admitted(valid, 1, at + 1));
  auto v = sg::scenarios::verify(node.db());
  CHECK(mentions(v, "ticket " + valid + " admitted twice"));
  forge(node, "ticket", "gig", admitted(refunded[0], 1, at + 2));
  v = sg::scenarios::verify(node.db());
  CHECK(mentions(v, "ticket " + refunded[0] + " admitted after its refund"));
  // A transfer makes version 2; version 1 is revoked.
  std::string other;
  for (const auto& [id, payment] : issued)
    if (id != refunded[0] && id != valid)
      other = id;
  sg::pb::ticket_event moved;
  moved.set_at_ms(at + 3);
  moved.mutable_transferred()->set_ticket_id(other);
  moved.mutable_transferred()->set_from("fan1");
  moved.mutable_transferred()->set_to("fan2");
  moved.mutable_transferred()->set_version(2);
  forge(node, "ticket", "gig", moved);
  forge(node, "ticket", "gig", admitted(other, 1, at + 4));
  v = sg::scenarios::verify(node.db());
  CHECK(mentions(v, "ticket " + other + " admitted at revoked version 1 (valid: 2)"));
}

TEST_CASE("a captured payment without a sale, and a sale without a captured payment, are "
          "caught") {
  sg::test::node_fixture node;
  clean_run(node);
  auto at = end_ms(node);
  // A payment taken for nothing: captured, never sold, never refunded.
  auto log = node.db().history("payment", "gig");
  REQUIRE(log);
  REQUIRE_FALSE(log->tail.empty());
  sg::pb::payment_event captured;
  captured.set_at_ms(at);
  captured.mutable_captured()->set_payment_id("p-lost");
  captured.mutable_captured()->set_amount_minor(700);
  forge(node, "payment", "gig", captured);
  auto v = sg::scenarios::verify(node.db());
  CHECK(mentions(v, "payment p-lost captured 700 matched by no sale and no refund"));
  // Tickets issued against a payment that was never captured (the seat is sold to it too).
  sg::pb::ticket_event issued;
  issued.set_at_ms(at);
  issued.mutable_issued()->set_order_id("o-free");
  issued.mutable_issued()->set_account("fan3");
  issued.mutable_issued()->set_payment_id("p-never");
  auto* seat = issued.mutable_issued()->add_seats();
  seat->set_ticket_id("t-free");
  seat->set_seat_id("B-2-1");
  seat->set_price(500);
  forge(node, "ticket", "gig", issued);
  v = sg::scenarios::verify(node.db());
  CHECK(mentions(v, "order o-free sold without a captured payment (p-never)"));
  // Off for a store taken mid-run (an order may be paid and not yet ticketed).
  v = sg::scenarios::verify(node.db(), {0, false, true});
  CHECK_FALSE(mentions(v, "p-lost"));
}

TEST_CASE("admissions above max_active_shoppers, above the rate, or twice for one account are "
          "caught") {
  sg::test::node_fixture node;
  auto ev = sg::test::small_event();
  ev.queue_mode = "fifo";
  ev.admission_per_min = 1; // at most 2 in a minute: 1, plus the carried tick quota and a bit
  ev.max_active_shoppers = 2;
  REQUIRE(node.call<std::string>(node.catalog(), sg::atom::put_v, sg::atom::venue_v,
                                 sg::domain::to_json(sg::test::small_venue())));
  REQUIRE(node.call<std::string>(node.catalog(), sg::atom::put_v, ev));
  auto at = end_ms(node);
  // Tickets 1..3 join, of accounts 11, 22, 11.
  uint64_t accounts[] = {11, 22, 11};
  auto log = node.db().history("queue", "gig");
  REQUIRE(log);
  bool opened_already = false; // the waiting room may have opened the queue on its start
  for (const auto& [seq, bytes] : log->tail) {
    sg::pb::waiting_room_event ev;
    REQUIRE(ev.ParseFromString(bytes));
    REQUIRE_FALSE(ev.has_joined());
    opened_already = opened_already || ev.has_opened();
  }
  for (uint64_t t = 1; t <= 3; ++t) {
    sg::pb::waiting_room_event joined;
    joined.set_at_ms(at);
    joined.mutable_joined()->set_ticket(t);
    joined.mutable_joined()->set_account(accounts[t - 1]);
    forge(node, "queue", "gig", joined);
  }
  if (!opened_already) {
    sg::pb::waiting_room_event opened;
    opened.set_at_ms(at);
    opened.mutable_opened()->set_seed(std::string(32, '\1'));
    forge(node, "queue", "gig", opened);
  }
  sg::pb::waiting_room_event tick;
  tick.set_at_ms(at + 1000);
  tick.mutable_tick()->add_admitted(1);
  tick.mutable_tick()->add_admitted(2);
  forge(node, "queue", "gig", tick);
  CHECK(sg::scenarios::verify(node.db()).ok()); // 2 at once, 2 in a minute: within
  tick.set_at_ms(at + 2000);
  tick.mutable_tick()->clear_admitted();
  tick.mutable_tick()->add_admitted(3);
  forge(node, "queue", "gig", tick);
  auto v = sg::scenarios::verify(node.db());
  CHECK(mentions(v, "3 admitted at once, above max_active_shoppers 2"));
  CHECK(mentions(v, "3 admitted within a minute, above the rate of 1 per minute"));
  CHECK(mentions(v, "ticket 3 admitted while ticket 1 of the same account is"));
}

namespace {

/// Copies every journal of `kinds` in `from` into `to`, as the member that owns them would
/// have written them.
void copy_journals(const sg::persistence::store& from, sg::persistence::store& to,
                   const std::vector<std::string>& kinds) {
  sg::persistence::write_set ws;
  for (const auto& kind : kinds) {
    auto entities = from.entities(kind);
    REQUIRE(entities);
    for (const auto& entity : *entities) {
      auto log = from.history(kind, entity);
      REQUIRE(log);
      for (const auto& rec : log->tail)
        ws.append(kind, entity, rec.first, rec.second);
    }
  }
  REQUIRE(to.write(ws, true));
}

std::unique_ptr<sg::persistence::store> member_store(const std::string& name) {
  auto db = sg::persistence::store::open({name, sg::persistence::durability::none});
  REQUIRE_MESSAGE(db, sg::render(db));
  return std::move(*db);
}

} // namespace

TEST_CASE("a cluster's journals, one store per member, are verified as one record") {
  sg::test::node_fixture node;
  clean_run(node);
  // As three members would hold them: sections on A, the box office's tickets and payments on
  // B, the waiting room (and its kept seed) on C; the catalog on every member.
  auto a = member_store("member-a");
  auto b = member_store("member-b");
  auto c = member_store("member-c");
  copy_journals(node.db(), *a, {"section", "event", "venue"});
  copy_journals(node.db(), *b, {"ticket", "payment", "event", "venue"});
  copy_journals(node.db(), *c, {"queue", "event", "venue"});
  auto seed = node.db().get(sg::persistence::column::meta, "queue-seed/gig");
  REQUIRE(seed);
  if (*seed) {
    sg::persistence::write_set ws;
    ws.put(sg::persistence::column::meta, "queue-seed/gig", **seed);
    REQUIRE(c->write(ws, true));
  }
  auto v = sg::scenarios::verify({a.get(), b.get(), c.get()}, {end_ms(node), true, true});
  CHECK_MESSAGE(v.ok(), (v.ok() ? "" : v.violations.front()));
  auto whole = sg::scenarios::verify(node.db(), {end_ms(node), true, true});
  CHECK(v.seats_sold == whole.seats_sold);
  CHECK(v.tickets_valid == whole.tickets_valid);
  CHECK(v.holds == whole.holds);
  CHECK(v.admissions == whole.admissions);
  CHECK(v.events == whole.events);

  // Without the box office's member, its sales have no tickets: the merge is what passes.
  auto partial = sg::scenarios::verify({a.get(), c.get()}, {end_ms(node), true, true});
  CHECK_FALSE(partial.ok());

  // A section journaled by two members had two owners at once.
  copy_journals(node.db(), *b, {"section"});
  auto twice = sg::scenarios::verify({a.get(), b.get(), c.get()}, {end_ms(node), true, true});
  CHECK(mentions(twice, "section/gig/A: journaled by 2 members"));
}

TEST_CASE("a hold, a join or an admission after the sale closed is caught") {
  sg::test::node_fixture node;
  clean_run(node);
  auto at = end_ms(node);
  sg::pb::section_event closed;
  closed.set_at_ms(at);
  closed.mutable_closed();
  forge(node, "section", "gig/A", closed);
  sg::pb::waiting_room_event room_closed;
  room_closed.set_at_ms(at);
  room_closed.mutable_closed();
  forge(node, "queue", "gig", room_closed);
  // Closed, and nothing after: clean.
  auto v = sg::scenarios::verify(node.db(), {at, true, true});
  CHECK_MESSAGE(v.ok(), (v.ok() ? "" : v.violations.front()));

  sg::pb::section_event held;
  held.set_at_ms(at + 1000);
  held.mutable_held()->set_hold_id("late");
  held.mutable_held()->set_holder("mallory");
  held.mutable_held()->add_seat_ids("A-2-2");
  held.mutable_held()->add_prices(0);
  held.mutable_held()->set_expires_at_ms(at + 1000 + 300'000);
  forge(node, "section", "gig/A", held);
  sg::pb::waiting_room_event joined;
  joined.set_at_ms(at + 1000);
  joined.mutable_joined()->set_ticket(99);
  joined.mutable_joined()->set_account(99);
  forge(node, "queue", "gig", joined);
  sg::pb::waiting_room_event tick;
  tick.set_at_ms(at + 2000);
  tick.mutable_tick()->add_admitted(99);
  forge(node, "queue", "gig", tick);
  v = sg::scenarios::verify(node.db());
  CHECK(mentions(v, "hold late placed after the sale closed"));
  CHECK(mentions(v, "ticket 99 joined after the sale closed"));
  CHECK(mentions(v, "admitted after the sale closed"));
}
