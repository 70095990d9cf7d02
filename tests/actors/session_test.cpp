// Tests of a fan's session actor and, through it, a fan's whole journey on one node: sign up,
// log in, queue, admission, hold, checkout, tickets, transfer, refund, gate. Also the
// per-account limit at hold time, admission checks, expired holds and passivation.
#include "actors/session.hpp"
#include "persistence/hold_index.hpp"
#include "persistence/keys.hpp"
#include "tests/support/node_fixture.hpp"

#include <caf/scoped_actor.hpp>
#include <doctest/doctest.h>

#include <filesystem>

using namespace std::chrono_literals;
using seatgrab::atom::get_v;
namespace sg = seatgrab;

namespace {

const std::string approve{"4242424242424242"};
const std::string decline{"4000000000000002"};

/// The small event, on sale at once, refundable for a day.
sg::event_info open_event(uint32_t limit = 8) {
  auto ev = sg::test::small_event();
  ev.max_tickets_per_account = limit;
  ev.refunds_until_ms = sg::test::test_epoch_ms + 24 * 3600 * 1000;
  return ev;
}

void add_event(sg::test::node_fixture& node, sg::event_info ev = open_event()) {
  REQUIRE(node.call<std::string>(node.catalog(), sg::atom::put_v, sg::atom::venue_v,
                                 sg::domain::to_json(sg::test::small_venue())));
  REQUIRE(node.call<std::string>(node.catalog(), sg::atom::put_v, std::move(ev)));
}

caf::expected<sg::hold_receipt> hold(sg::test::node_fixture& node, const std::string& account,
                                     std::vector<std::string> seats, const std::string& token) {
  return node.call<sg::hold_receipt>(node.session(account), sg::atom::hold_v, std::string{"gig"},
                                     sg::hold_request{{}, {}, std::move(seats), {}, 0, {}, {}},
                                     token, std::string{});
}

caf::expected<sg::order_info> buy(sg::test::node_fixture& node, const std::string& account,
                                  const std::string& hold_id, const std::string& card,
                                  const std::string& key) {
  auto out =
      node.call<sg::order_info>(node.session(account), sg::atom::confirm_v, hold_id, card, key);
  return out;
}

sg::seat_state status(sg::test::node_fixture& node, const std::string& seat) {
  return node.status(node.section("gig", seat.substr(0, 1)), seat);
}

} // namespace

TEST_CASE("a fan's journey: sign up, queue, hold, pay, tickets, transfer, refund, gate") {
  sg::test::node_fixture node;
  add_event(node);
  auto accounts = node.accounts();
  auto alice = node.call<sg::account_summary>(accounts, sg::atom::put_v, sg::atom::account_v,
                                              std::string{"alice@example.com"},
                                              std::string{"correct horse"});
  REQUIRE(alice);
  REQUIRE(node.call<sg::account_summary>(accounts, sg::atom::put_v, sg::atom::account_v,
                                         std::string{"bob@example.com"},
                                         std::string{"battery staple"}));
  auto login = node.call<sg::login_grant>(
      accounts, sg::atom::login_v, std::string{"alice@example.com"}, std::string{"correct horse"});
  REQUIRE(login);
  auto me = node.call<sg::auth_info>(accounts, get_v, sg::atom::session_v, login->token);
  REQUIRE(me);
  auto token = node.admitted(me->account);

  auto held = hold(node, me->account, {"A-1-1", "B-1-1"}, token);
  REQUIRE_MESSAGE(held, sg::render(held));
  CHECK(held->holder == "a1");
  CHECK(held->total == 1500);
  CHECK(held->hold_id.rfind("a1-h1-", 0) == 0);
  CHECK(status(node, "A-1-1") == sg::seat_state::held);
  auto mine =
      node.call<std::vector<sg::hold_receipt>>(node.session("a1"), get_v, sg::atom::holds_v);
  REQUIRE(mine);
  REQUIRE(mine->size() == 1);
  CHECK(mine->front().total == 1500);

  // A declined card keeps the hold; the fan pays with another card.
  CHECK(buy(node, "a1", held->hold_id, decline, "try-1").error() == sg::ec::payment_declined);
  CHECK(status(node, "A-1-1") == sg::seat_state::held);
  auto order = buy(node, "a1", held->hold_id, approve, "try-2");
  REQUIRE_MESSAGE(order, sg::render(order));
  CHECK(order->state == "completed");
  REQUIRE(order->tickets.size() == 2);
  CHECK(status(node, "A-1-1") == sg::seat_state::sold);
  CHECK(status(node, "B-1-1") == sg::seat_state::sold);
  // Checking out the hold again (a client retry) answers the same order.
  auto again = buy(node, "a1", held->hold_id, approve, "try-3");
  REQUIRE_MESSAGE(again, sg::render(again));
  CHECK(again->id == order->id);
  CHECK(again->tickets == order->tickets);
  auto room = node.call<sg::waiting_room_actor>(node.registry(), get_v, sg::atom::queue_v,
                                                std::string{"gig"});
  auto info = node.call<sg::queue_info>(*room, get_v, sg::atom::info_v);
  REQUIRE(info);
  CHECK(info->active == 0); // done shopping: the slot is free for the next fan

  // Tickets: alice gives one to bob by email; the old code stops at the gate at once.
  auto office = node.box_office("gig");
  auto bob = node.call<sg::account_summary>(accounts, get_v, sg::atom::account_v,
                                            std::string{"bob@example.com"});
  REQUIRE(bob);
  auto first = order->tickets[0];
  auto moved = node.call<sg::ticket_info>(office, sg::atom::transfer_v, first.id, std::string{"a1"},
                                          bob->id, std::string{});
  REQUIRE(moved);
  CHECK(node.call<sg::scan_info>(office, sg::atom::scan_v, first.code)->result == "revoked");
  CHECK(node.call<sg::scan_info>(office, sg::atom::scan_v, moved->code)->result == "valid");
  CHECK(node.call<sg::scan_info>(office, sg::atom::scan_v, moved->code)->result == "already_used");
  // Alice refunds the other: money back, seat on sale again.
  auto refunded = node.call<sg::ticket_info>(office, sg::atom::refund_v, order->tickets[1].id,
                                             std::string{"a1"}, false, std::string{});
  REQUIRE(refunded);
  node.ts().run();
  CHECK(status(node, "B-1-1") == sg::seat_state::free);
  auto order_now =
      node.call<sg::order_info>(office, get_v, sg::atom::order_v, order->id, std::string{"a1"});
  REQUIRE(order_now);
  CHECK(order_now->tickets[0].owner == bob->id);
  CHECK(order_now->tickets[1].status == "refunded");
}

TEST_CASE("the per-account limit holds at hold time: live holds plus bought tickets") {
  sg::test::node_fixture node;
  add_event(node, open_event(3));
  auto token = node.admitted("fan");
  auto h1 = hold(node, "fan", {"A-1-1", "A-1-2"}, token);
  REQUIRE(h1);
  CHECK(hold(node, "fan", {"A-2-1", "A-2-2"}, token).error() == sg::ec::ticket_limit);
  CHECK(status(node, "A-2-1") == sg::seat_state::free); // nothing held
  REQUIRE(buy(node, "fan", h1->hold_id, approve, "k1"));
  CHECK(hold(node, "fan", {"A-2-1", "A-2-2"}, token).error() == sg::ec::ticket_limit);
  auto h2 = hold(node, "fan", {"A-2-1"}, token);
  REQUIRE(h2);
  // Released holds stop counting; best-available requests count their quantity.
  REQUIRE(node.call<void>(node.session("fan"), sg::atom::release_v, h2->hold_id));
  CHECK(status(node, "A-2-1") == sg::seat_state::free);
  auto best = node.call<sg::hold_receipt>(node.session("fan"), sg::atom::hold_v, std::string{"gig"},
                                          sg::hold_request{{}, {}, {}, "B", 2, {}, {}}, token,
                                          std::string{});
  CHECK(best.error() == sg::ec::ticket_limit);
  best = node.call<sg::hold_receipt>(node.session("fan"), sg::atom::hold_v, std::string{"gig"},
                                     sg::hold_request{{}, {}, {}, "B", 1, {}, {}}, token,
                                     std::string{});
  REQUIRE_MESSAGE(best, sg::render(best));
  CHECK(hold(node, "fan", {"A-2-1"}, token).error() == sg::ec::ticket_limit);
  // Expired holds stop counting too (the admission lasts 10 minutes).
  node.advance(300s);
  CHECK(hold(node, "fan", {"A-2-1"}, token));
}

TEST_CASE("holds need the fan's own admission token for the event") {
  sg::test::node_fixture node;
  add_event(node);
  CHECK(hold(node, "fan", {"A-1-1"}, "whatever").error() == sg::ec::admission_invalid);
  auto token = node.admitted("fan");
  auto other = node.admitted("other", "dev-2");
  CHECK(hold(node, "fan", {"A-1-1"}, other).error() == sg::ec::admission_mismatch);
  auto forged = token;
  forged.back() = forged.back() == 'A' ? 'B' : 'A';
  CHECK(hold(node, "fan", {"A-1-1"}, forged).error() == sg::ec::admission_invalid);
  CHECK(status(node, "A-1-1") == sg::seat_state::free);
  CHECK(hold(node, "fan", {"A-1-1"}, token));
}

TEST_CASE("checking out an expired hold is refused at once and charges nothing") {
  sg::test::node_fixture node;
  add_event(node);
  auto token = node.admitted("fan");
  auto h = hold(node, "fan", {"A-1-1"}, token);
  REQUIRE(h);
  node.advance(300s);
  CHECK(buy(node, "fan", h->hold_id, approve, "k1").error() == sg::ec::hold_expired);
  CHECK(node.db().load("payment", "gig")->tail.empty());
  CHECK(buy(node, "fan", h->hold_id, approve, "k1").error() == sg::ec::hold_not_found);
  CHECK(node.call<void>(node.session("fan"), sg::atom::release_v, h->hold_id).error() ==
        sg::ec::hold_not_found);
}

TEST_CASE("an idle session passivates and comes back from its journal") {
  sg::cluster::registry_options opts;
  opts.session.idle_timeout = 60s;
  sg::test::node_fixture node("mem-node", sg::persistence::durability::none, sg::test::test_epoch,
                              opts);
  add_event(node);
  auto token = node.admitted("fan");
  auto h = hold(node, "fan", {"A-1-1"}, token);
  REQUIRE(h);
  auto before = node.session("fan");
  caf::scoped_actor watcher{node.ts().sys()};
  watcher->monitor(before);
  node.advance(59s);
  CHECK(node.session("fan") == before); // a lookup is not a request: still idle 59 s
  bool down = false;
  auto check_down = [&] {
    watcher->receive([&](caf::down_msg& msg) { down = msg.source == before.address(); },
                     caf::after(std::chrono::seconds{0}) >> [] {});
  };
  check_down();
  CHECK_FALSE(down);
  node.advance(2s);
  node.ts().run();
  check_down();
  CHECK(down);
  auto after = node.session("fan");
  CHECK(after != before);
  // Everything came back: the queue place, the live hold, and the hold id sequence.
  auto st = node.call<sg::queue_status>(after, get_v, sg::atom::queue_v, std::string{"gig"});
  REQUIRE_MESSAGE(st, sg::render(st));
  CHECK(st->ticket == 1);
  auto holds = node.call<std::vector<sg::hold_receipt>>(after, get_v, sg::atom::holds_v);
  REQUIRE(holds);
  REQUIRE(holds->size() == 1);
  CHECK(holds->front().hold_id == h->hold_id);
  auto h2 = hold(node, "fan", {"A-1-2"}, token);
  REQUIRE(h2);
  CHECK(h2->hold_id.rfind("fan-h2-", 0) == 0);
  auto bought = buy(node, "fan", h->hold_id, approve, "k1");
  REQUIRE_MESSAGE(bought, sg::render(bought));
  CHECK(bought->tickets.size() == 1);
}

TEST_CASE("a hold retried with the same idempotency key is the same hold") {
  sg::test::node_fixture node;
  add_event(node);
  auto token = node.admitted("fan");
  auto ask = [&](std::vector<std::string> seats) {
    return node.call<sg::hold_receipt>(node.session("fan"), sg::atom::hold_v, std::string{"gig"},
                                       sg::hold_request{{}, {}, std::move(seats), {}, 0, {}, {}},
                                       token, std::string{"retry-me"});
  };
  auto first = ask({"A-1-1", "A-1-2"});
  REQUIRE_MESSAGE(first, sg::render(first));
  auto second = ask({"A-1-1", "A-1-2"});
  REQUIRE_MESSAGE(second, sg::render(second));
  CHECK(second->hold_id == first->hold_id);
  CHECK(second->total == first->total);
  auto holds =
      node.call<std::vector<sg::hold_receipt>>(node.session("fan"), get_v, sg::atom::holds_v);
  REQUIRE(holds);
  CHECK(holds->size() == 1); // one hold, not two
  // The id derives from the key, so even a session that lost its record meets the same hold
  // in the sections (which treat a repeated id as a retry).
  CHECK(first->hold_id.find("-k") != std::string::npos);
}

namespace {

/// Erases the session's newest journal record and stops the session: the disk as a crash
/// leaves it when the session's record of a hold had not been written yet (it follows the
/// answer to the fan, unawaited), and the session starts again from it on its next request.
void lose_newest_record(sg::test::node_fixture& node, const std::string& account) {
  auto log = node.db().load("session", account);
  REQUIRE(log);
  REQUIRE_FALSE(log->tail.empty());
  sg::pb::session_event last;
  REQUIRE(last.ParseFromString(log->tail.back().second));
  REQUIRE(last.has_held());
  sg::persistence::write_set ws;
  ws.erase(sg::persistence::column::journal,
           sg::persistence::journal_key("session", account, log->tail.back().first));
  REQUIRE(node.db().write(ws, true));
  caf::anon_send_exit(node.session(account), caf::exit_reason::kill);
  node.ts().run();
}

} // namespace

TEST_CASE("a hold answered before the session's record is on disk survives the record's loss") {
  sg::test::node_fixture node;
  add_event(node);
  auto token = node.admitted("fan");
  auto ask = [&](std::vector<std::string> seats, std::string key) {
    return node.call<sg::hold_receipt>(node.session("fan"), sg::atom::hold_v, std::string{"gig"},
                                       sg::hold_request{{}, {}, std::move(seats), {}, 0, {}, {}},
                                       token, std::move(key));
  };
  // Across two sections: each notes its part, the session needs both.
  auto first = ask({"A-1-1", "B-1-1"}, "two-sections");
  REQUIRE_MESSAGE(first, sg::render(first));
  CHECK_FALSE(first->replayed);
  lose_newest_record(node, "fan");
  auto holds =
      node.call<std::vector<sg::hold_receipt>>(node.session("fan"), get_v, sg::atom::holds_v);
  REQUIRE(holds);
  REQUIRE(holds->size() == 1);
  CHECK(holds->front().hold_id == first->hold_id);
  CHECK(holds->front().total == first->total);
  CHECK(holds->front().expires_at_ms == first->expires_at_ms);
  // The session knows the key again: a retry is answered from its record, as a replay.
  auto again = ask({"A-1-1", "B-1-1"}, "two-sections");
  REQUIRE_MESSAGE(again, sg::render(again));
  CHECK(again->hold_id == first->hold_id);
  CHECK(again->replayed);
  // A hold without a key, lost the same way.
  auto second = hold(node, "fan", {"A-1-2"}, token);
  REQUIRE_MESSAGE(second, sg::render(second));
  CHECK(second->hold_id.rfind("fan-h2-", 0) == 0);
  lose_newest_record(node, "fan");
  // The hold ids go on where they were, and both holds can be bought.
  auto third = hold(node, "fan", {"A-1-3"}, token);
  REQUIRE_MESSAGE(third, sg::render(third));
  CHECK(third->hold_id.rfind("fan-h3-", 0) == 0);
  for (const auto& id : {first->hold_id, second->hold_id}) {
    auto bought = buy(node, "fan", id, approve, "k-" + id);
    REQUIRE_MESSAGE(bought, sg::render(bought));
  }
  CHECK(status(node, "A-1-1") == sg::seat_state::sold);
  CHECK(status(node, "B-1-1") == sg::seat_state::sold);
  CHECK(status(node, "A-1-2") == sg::seat_state::sold);
  // Bought and released holds leave no note behind; the live one keeps its own.
  REQUIRE(node.call<void>(node.session("fan"), sg::atom::release_v, third->hold_id));
  auto notes = sg::persistence::hold_notes(node.db(), "fan");
  REQUIRE(notes);
  CHECK(notes->empty());
}

TEST_CASE("an expired hold's notes go with it") {
  sg::test::node_fixture node;
  add_event(node);
  auto token = node.admitted("fan");
  REQUIRE(hold(node, "fan", {"A-1-1", "B-1-1"}, token));
  auto notes = sg::persistence::hold_notes(node.db(), "fan");
  REQUIRE(notes);
  CHECK(notes->size() == 2);
  node.advance(301s);
  node.ts().run();
  notes = sg::persistence::hold_notes(node.db(), "fan");
  REQUIRE(notes);
  CHECK(notes->empty());
}

TEST_CASE("a refunded ticket stops counting toward the limit within the count's 10 s") {
  sg::test::node_fixture node;
  add_event(node, open_event(1));
  auto token = node.admitted("fan");
  auto h = hold(node, "fan", {"A-1-1"}, token);
  REQUIRE(h);
  auto order = buy(node, "fan", h->hold_id, approve, "k1");
  REQUIRE_MESSAGE(order, sg::render(order));
  // The session counts its own order at once.
  CHECK(hold(node, "fan", {"A-1-2"}, token).error() == sg::ec::ticket_limit);
  REQUIRE(node.call<sg::ticket_info>(node.box_office("gig"), sg::atom::refund_v,
                                     order->tickets[0].id, std::string{"fan"}, false,
                                     std::string{}));
  node.ts().run();
  node.advance(10s);
  auto again = hold(node, "fan", {"A-1-2"}, token);
  CHECK_MESSAGE(again, sg::render(again));
}

TEST_CASE("a session places its holds in the sections itself while the event's rules are "
          "published on its node, and through the event actor otherwise") {
  sg::test::node_fixture node;
  add_event(node);
  auto token = node.admitted("fan");
  auto placed_by_event = [&node] {
    auto st = node.call<sg::actor_status>(node.event("gig"), sg::atom::status_v);
    REQUIRE(st);
    return st->counter("holds_placed");
  };
  REQUIRE(node.ctx()->hold_rules->find("gig"));
  // Two sections, all or nothing: one seat taken makes the whole hold fail, nothing kept.
  auto both = hold(node, "fan", {"A-1-1", "B-1-1"}, token);
  REQUIRE_MESSAGE(both, sg::render(both));
  CHECK(both->parts.size() == 2);
  auto taken = hold(node, "fan", {"A-1-2", "B-1-1"}, token);
  REQUIRE_FALSE(taken);
  CHECK(taken.error() == sg::ec::seat_taken);
  CHECK(status(node, "A-1-2") == sg::seat_state::free);
  CHECK(placed_by_event() == 0);
  // Without the rules (the event lives on another node): the event actor places it.
  auto rules = node.ctx()->hold_rules->find("gig");
  node.ctx()->hold_rules->erase("gig", rules.get());
  auto one = hold(node, "fan", {"A-1-2"}, token);
  REQUIRE_MESSAGE(one, sg::render(one));
  CHECK(status(node, "A-1-2") == sg::seat_state::held);
  CHECK(placed_by_event() == 1);
}
