// Tests of the box office actor: the checkout saga against the simulated gateway (approve,
// decline, timeout, expired hold, one order per key, a crash after every journal write), then
// what comes after the sale: tickets, transfer, refund, the gate, ownership and the limit.
#include "actors/box_office.hpp"
#include "domain/ticket.hpp"
#include "messages/payment.pb.h"
#include "tests/support/node_fixture.hpp"
#include "tests/support/process.hpp"

#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <set>

using namespace std::chrono_literals;
using seatgrab::atom::confirm_v;
using seatgrab::atom::hold_v;
namespace sg = seatgrab;

namespace {

const std::string approve{sg::domain::approving_card};
const std::string decline{sg::domain::declining_card};

/// Node settings with a payment provider and box office knobs.
sg::cluster::registry_options with(sg::domain::payment_settings pay,
                                   sg::actors::box_office_options box = {}) {
  sg::cluster::registry_options opts;
  opts.payments = pay;
  opts.box_office = std::move(box);
  return opts;
}

struct outcome {
  caf::error err;
  std::string order_id;
  std::vector<std::string> codes;
  sg::order_info order;
};

/// The checkout of `account`'s hold "h1" on seats A-1-1 and B-1-1.
auto args(const std::string& key, const std::string& card, const std::string& account = "alice",
          const std::string& hold_id = "h1") {
  return std::make_tuple(confirm_v, key, account, hold_id, std::vector<std::string>{"A", "B"},
                         std::vector<std::string>{"A-1-1", "B-1-1"},
                         std::vector<int64_t>{1000, 500}, card);
}

/// Sends `n` identical checkout requests, runs the node, and collects the answers.
std::vector<outcome> checkout(sg::test::node_fixture& node, const std::string& key,
                              const std::string& card, size_t n = 1) {
  auto co = node.box_office("gig");
  caf::scoped_actor self{node.ts().sys()};
  using handle = decltype(std::apply(
      [&](auto&&... xs) { return self->request(co, caf::infinite, xs...); }, args(key, card)));
  std::vector<handle> reqs;
  for (size_t i = 0; i < n; ++i)
    reqs.push_back(std::apply([&](auto&&... xs) { return self->request(co, caf::infinite, xs...); },
                              args(key, card)));
  node.ts().run();
  node.advance(1s); // retries after `unavailable`, if any
  std::vector<outcome> result;
  for (auto& req : reqs) {
    REQUIRE_FALSE(self->mailbox().empty()); // an answer is there: receive cannot block
    outcome out;
    req.receive(
        [&](sg::order_info& order) {
          out.order_id = order.id;
          for (const auto& t : order.tickets)
            out.codes.push_back(t.code);
          out.order = std::move(order);
        },
        [&](caf::error& err) { out.err = std::move(err); });
    result.push_back(std::move(out));
  }
  return result;
}

/// The payment ledger as the journal has it (replayed into a fresh simulated gateway).
sg::domain::simulated_gateway payments(sg::test::node_fixture& node) {
  auto gw = sg::domain::simulated_gateway::make({});
  REQUIRE(gw);
  auto log = node.db().load("payment", "gig");
  REQUIRE(log);
  for (auto& [seq, bytes] : log->tail) {
    sg::pb::payment_event ev;
    REQUIRE(ev.ParseFromString(bytes));
    REQUIRE_FALSE(gw->apply(ev));
  }
  return std::move(*gw);
}

/// The gate's offline verifier for "gig", from the box office's published keys.
sg::domain::gate_verifier gate_of(sg::test::node_fixture& node) {
  auto keys = node.call<sg::gate_keys>(node.box_office("gig"), sg::atom::get_v, sg::atom::gate_v);
  REQUIRE(keys);
  sg::security::ed25519_bytes pub{};
  REQUIRE(keys->public_key.size() == pub.size());
  std::copy(keys->public_key.begin(), keys->public_key.end(), pub.begin());
  std::optional<sg::domain::rotation_key> rot;
  if (!keys->rotation_key.empty()) {
    auto r = sg::domain::rotation_key::from_bytes(keys->rotation_key);
    REQUIRE(r);
    rot = std::move(*r);
  }
  sg::domain::gate_verifier gate{"gig", pub, std::move(rot)};
  for (const auto& [id, version] : keys->revoked)
    gate.revoke(id, version);
  return gate;
}

void hold(sg::test::node_fixture& node) {
  REQUIRE(node.call<sg::hold_receipt>(
      node.event("gig"), hold_v,
      sg::hold_request{"h1", "alice", {"A-1-1", "B-1-1"}, {}, 0, {}, {}}));
}

sg::seat_state status(sg::test::node_fixture& node, const std::string& sec,
                      const std::string& seat) {
  return node.status(node.section("gig", sec), seat);
}

} // namespace

TEST_CASE("an approved card buys the held seats, with one signed ticket per seat") {
  sg::test::node_fixture node;
  node.add_small_event();
  hold(node);
  auto out = checkout(node, "k1", approve);
  REQUIRE(out.size() == 1);
  REQUIRE_MESSAGE(!out[0].err, sg::render(out[0].err));
  CHECK(out[0].order_id == "o1");
  CHECK(out[0].order.state == "completed");
  CHECK(out[0].order.total == 1500);
  REQUIRE(out[0].codes.size() == 2);
  CHECK(out[0].order.tickets[0].seat == "A-1-1");
  CHECK(out[0].order.tickets[0].owner == "alice");
  auto gate = gate_of(node);
  for (const auto& code : out[0].codes)
    CHECK(gate.check(code, sg::test::test_epoch_ms) == sg::domain::scan_result::valid);
  CHECK(status(node, "A", "A-1-1") == sg::seat_state::sold);
  CHECK(status(node, "B", "B-1-1") == sg::seat_state::sold);
  // A retry with the same key is the same order with the same tickets.
  auto again = checkout(node, "k1", approve);
  CHECK(again[0].order_id == "o1");
  CHECK(again[0].codes == out[0].codes);
}

TEST_CASE("a box office reaches the event actor again after it stopped and was restarted") {
  sg::test::node_fixture node;
  node.add_small_event();
  auto office = node.box_office("gig"); // live before the event actor stops
  auto first = node.event("gig");
  // Not exit_reason::kill: the registry is linked to its children, and kill cannot be trapped.
  caf::anon_send_exit(first, caf::exit_reason::user_shutdown);
  node.ts().run();
  hold(node); // the registry spawns the event actor again on this lookup
  CHECK(node.event("gig") != first);
  CHECK(node.box_office("gig") == office);
  auto out = checkout(node, "k1", approve);
  REQUIRE(out.size() == 1);
  REQUIRE_MESSAGE(!out[0].err, sg::render(out[0].err));
  CHECK(out[0].order.state == "completed");
  CHECK(status(node, "A", "A-1-1") == sg::seat_state::sold);
}

TEST_CASE("a declined card fails the order and leaves the seats held") {
  sg::test::node_fixture node;
  node.add_small_event();
  hold(node);
  auto out = checkout(node, "k1", decline);
  REQUIRE(out.size() == 1);
  CHECK(out[0].err == sg::ec::payment_declined);
  CHECK(status(node, "A", "A-1-1") == sg::seat_state::held);
  CHECK(status(node, "B", "B-1-1") == sg::seat_state::held);
}

TEST_CASE("an expired hold fails the order and voids the authorization") {
  sg::test::node_fixture node("mem-node", sg::persistence::durability::none);
  node.add_small_event();
  hold(node);
  node.advance(301s);
  auto out = checkout(node, "k1", approve);
  REQUIRE(out.size() == 1);
  // The section's expiry timer has already released the hold, so it reports the hold as gone;
  // before the timer fires it says hold_expired. Either way the order fails.
  CHECK((out[0].err == sg::ec::hold_expired || out[0].err == sg::ec::hold_not_found));
  CHECK(status(node, "A", "A-1-1") == sg::seat_state::free);
  // The payment was voided: replay the journal's payment ledger.
  auto gw = payments(node);
  auto p = gw.find("p1");
  REQUIRE(p);
  CHECK(p->status == sg::domain::payment_status::voided);
}

TEST_CASE("an authorization that times out is retried with the same key") {
  sg::domain::payment_settings pay;
  pay.timeout_rate = 1; // every first attempt times out
  sg::test::node_fixture node("mem-node", sg::persistence::durability::none, sg::test::test_epoch,
                              with(pay));
  node.add_small_event();
  hold(node);
  auto out = checkout(node, "k1", "4111111111111111");
  REQUIRE(out.size() == 1);
  REQUIRE_MESSAGE(!out[0].err, sg::render(out[0].err));
  CHECK(out[0].codes.size() == 2);
  CHECK(status(node, "A", "A-1-1") == sg::seat_state::sold);
}

TEST_CASE("concurrent requests with one idempotency key make one order") {
  sg::test::node_fixture node;
  node.add_small_event();
  hold(node);
  auto out = checkout(node, "k1", approve, 100);
  REQUIRE(out.size() == 100);
  std::set<std::string> ids;
  for (const auto& o : out) {
    CHECK_MESSAGE(!o.err, sg::render(o.err));
    ids.insert(o.order_id);
    CHECK(o.codes.size() == 2);
  }
  CHECK(ids == std::set<std::string>{"o1"});
}

TEST_CASE("a coordinator killed after any journal write resumes or compensates on restart") {
  for (uint32_t k = 1; k <= 8; ++k) {
    for (const auto& card : {approve, decline}) {
      CAPTURE(k);
      CAPTURE(card);
      auto dir = std::filesystem::temp_directory_path() /
                 ("seatgrab-checkout-crash-" + std::to_string(k) + "-" + card.substr(0, 4));
      std::filesystem::remove_all(dir);
      {
        sg::test::node_fixture node(dir, sg::persistence::durability::fsync, sg::test::test_epoch,
                                    with({}, sg::actors::box_office_options{k, 100ms, "EUR"}));
        node.add_small_event();
        hold(node);
        auto co = node.box_office("gig");
        std::apply([&](auto&&... xs) { caf::anon_send(co, xs...); }, args("k1", card));
        node.ts().run();
        // The hook stopped the coordinator after k writes (each holds one checkout event):
        // started, authorized|declined, seats_confirmed, captured, tickets_issued.
        auto log = node.db().load("checkout", "gig");
        REQUIRE(log);
        CHECK(log->tail.size() == std::min<size_t>(k, card == approve ? 5 : 2));
      }
      sg::test::node_fixture node(dir, sg::persistence::durability::fsync);
      node.advance(1s);
      auto out = checkout(node, "k1", card);
      REQUIRE(out.size() == 1);
      auto gw = payments(node);
      auto p = gw.find("p1");
      auto tickets = node.call<std::vector<sg::ticket_info>>(
          node.box_office("gig"), sg::atom::get_v, sg::atom::tickets_v, "alice");
      REQUIRE(tickets);
      CHECK(tickets->size() == (out[0].err ? 0u : 2u)); // tickets exactly when sold and paid
      if (!out[0].err) {
        // Completed: paid, seats sold, tickets.
        CHECK(card == approve);
        CHECK(out[0].codes.size() == 2);
        REQUIRE(p);
        CHECK(p->status == sg::domain::payment_status::captured);
        CHECK(status(node, "A", "A-1-1") == sg::seat_state::sold);
        CHECK(status(node, "B", "B-1-1") == sg::seat_state::sold);
      } else {
        // Failed: nothing charged, nothing sold.
        CHECK(out[0].err == sg::ec::payment_declined);
        if (p)
          CHECK(p->status != sg::domain::payment_status::captured);
        CHECK(status(node, "A", "A-1-1") != sg::seat_state::sold);
      }
      std::filesystem::remove_all(dir);
    }
  }
}

namespace {

/// A node with alice's completed order "o1" (tickets o1-1 on A-1-1, o1-2 on B-1-1).
struct sold_node {
  sg::test::node_fixture node;
  sg::box_office_actor office;

  explicit sold_node(sg::event_info ev = sg::test::small_event(),
                     const std::filesystem::path& dir = "mem-node",
                     sg::persistence::durability mode = sg::persistence::durability::none)
      : node(dir, mode) {
    REQUIRE(node.call<std::string>(node.catalog(), sg::atom::put_v, sg::atom::venue_v,
                                   sg::domain::to_json(sg::test::small_venue())));
    REQUIRE(node.call<std::string>(node.catalog(), sg::atom::put_v, ev));
    hold(node);
    auto out = checkout(node, "k1", approve);
    REQUIRE_MESSAGE(!out[0].err, sg::render(out[0].err));
    office = node.box_office("gig");
  }

  /// The node on `dir`, where a sold_node ran, started again.
  explicit sold_node(const std::filesystem::path& dir)
      : node(dir, sg::persistence::durability::fsync), office(node.box_office("gig")) {}

  caf::expected<sg::ticket_info> ticket(const std::string& id, const std::string& account) {
    return node.call<sg::ticket_info>(office, sg::atom::get_v, sg::atom::ticket_v, id, account);
  }

  caf::expected<sg::ticket_info> transfer(const std::string& id, const std::string& from,
                                          const std::string& to, const std::string& key = {}) {
    return node.call<sg::ticket_info>(office, sg::atom::transfer_v, id, from, to, key);
  }

  caf::expected<sg::ticket_info> refund(const std::string& id, const std::string& by,
                                        bool as_operator = false, const std::string& key = {}) {
    return node.call<sg::ticket_info>(office, sg::atom::refund_v, id, by, as_operator, key);
  }

  std::string scan(const std::string& code) {
    auto res = node.call<sg::scan_info>(office, sg::atom::scan_v, code);
    REQUIRE(res);
    return res->result;
  }
};

sg::event_info refundable_event() {
  auto ev = sg::test::small_event();
  ev.refunds_until_ms = sg::test::test_epoch_ms + 24 * 3600 * 1000;
  return ev;
}

} // namespace

TEST_CASE("fan B cannot read, transfer or refund fan A's ticket or order") {
  sold_node s{refundable_event()};
  auto& node = s.node;
  CHECK(s.ticket("o1-1", "alice"));
  CHECK(s.ticket("o1-1", "bob").error() == sg::ec::not_found);
  CHECK(s.ticket("o9-9", "bob").error() == sg::ec::not_found); // the same answer as unknown
  CHECK(node.call<sg::order_info>(s.office, sg::atom::get_v, sg::atom::order_v, "o1", "alice"));
  CHECK(node.call<sg::order_info>(s.office, sg::atom::get_v, sg::atom::order_v, "o1", "bob")
            .error() == sg::ec::not_found);
  auto bobs = node.call<std::vector<sg::ticket_info>>(s.office, sg::atom::get_v,
                                                      sg::atom::tickets_v, "bob");
  REQUIRE(bobs);
  CHECK(bobs->empty());
  CHECK(s.transfer("o1-1", "bob", "bob").error() == sg::ec::not_found);
  CHECK(s.refund("o1-1", "bob").error() == sg::ec::not_found);
  // Nothing changed: alice still owns a valid, unrevoked ticket on a sold seat.
  auto t = s.ticket("o1-1", "alice");
  REQUIRE(t);
  CHECK(t->status == "valid");
  CHECK(t->version == 1);
  CHECK(gate_of(node).check(t->code, sg::test::test_epoch_ms) == sg::domain::scan_result::valid);
  CHECK(node.status(node.section("gig", "A"), "A-1-1") == sg::seat_state::sold);
}

TEST_CASE("a transferred ticket's old code is refused online at once, offline after a sync") {
  sold_node s;
  auto old = s.ticket("o1-1", "alice");
  REQUIRE(old);
  auto offline = gate_of(s.node); // a gate device synced before the transfer
  s.node.advance(1h);
  auto moved = s.transfer("o1-1", "alice", "bob");
  REQUIRE_MESSAGE(moved, sg::render(moved));
  CHECK(moved->owner == "bob");
  CHECK(moved->version == 2);
  CHECK(moved->code != old->code);
  CHECK(s.ticket("o1-1", "alice").error() == sg::ec::not_found);
  CHECK(s.ticket("o1-1", "bob")->code == moved->code);
  auto now_ms = sg::test::test_epoch_ms + 3600 * 1000;
  // Offline: the old device still accepts the old code until it syncs its revocation list.
  CHECK(offline.check(old->code, now_ms) == sg::domain::scan_result::valid);
  auto synced = gate_of(s.node);
  CHECK(synced.check(old->code, now_ms) == sg::domain::scan_result::revoked);
  CHECK(synced.check(moved->code, now_ms) == sg::domain::scan_result::valid);
  // Online: refused at once; the new code admits once.
  CHECK(s.scan(old->code) == "revoked");
  CHECK(s.scan(moved->code) == "valid");
  CHECK(s.scan(moved->code) == "already_used");
  CHECK(s.scan(moved->code + "x") == "invalid");
  CHECK(s.transfer("o1-1", "bob", "carol").error() == sg::ec::ticket_used);
}

TEST_CASE("a refund pays back, revokes the ticket and puts the seat back on sale") {
  sold_node s{refundable_event()};
  auto& node = s.node;
  auto code = s.ticket("o1-1", "alice")->code;
  auto refunded = s.refund("o1-1", "alice");
  REQUIRE_MESSAGE(refunded, sg::render(refunded));
  CHECK(refunded->status == "refunded");
  CHECK(refunded->code.empty());
  node.ts().run();
  CHECK(node.status(node.section("gig", "A"), "A-1-1") == sg::seat_state::free);
  CHECK(node.status(node.section("gig", "B"), "B-1-1") == sg::seat_state::sold);
  CHECK(s.scan(code) == "revoked");
  CHECK(s.refund("o1-1", "alice").error() == sg::ec::ticket_refunded);
  // The money: the payment ledger in the journal shows 1000 of 1500 refunded.
  auto gw = payments(node);
  CHECK(gw.find("p1")->refunded_minor == 1000);
  // The refunded seat sells again, to someone else.
  REQUIRE(node.call<sg::hold_receipt>(node.event("gig"), hold_v,
                                      sg::hold_request{"h2", "bob", {"A-1-1"}, {}, 0, {}, {}}));
  // After the policy's deadline only an operator may refund.
  node.advance(25h);
  CHECK(s.refund("o1-2", "alice").error() == sg::ec::refund_closed);
  auto by_op = s.refund("o1-2", "op", true);
  REQUIRE(by_op);
  CHECK(by_op->owner == "alice");
  node.ts().run();
  CHECK(node.status(node.section("gig", "B"), "B-1-1") == sg::seat_state::free);
}

TEST_CASE("an event without a refund policy refunds only through an operator; used is final") {
  sold_node s;
  CHECK(s.refund("o1-1", "alice").error() == sg::ec::refund_closed);
  CHECK(s.scan(s.ticket("o1-2", "alice")->code) == "valid");
  CHECK(s.refund("o1-2", "op", true).error() == sg::ec::ticket_used);
  CHECK(s.refund("o1-1", "op", true));
}

TEST_CASE("the per-account limit counts open and completed orders, minus refunds") {
  auto ev = refundable_event();
  ev.max_tickets_per_account = 3;
  sold_node s{ev}; // alice has 2
  auto& node = s.node;
  auto count = [&] {
    auto n = node.call<uint32_t>(s.office, sg::atom::get_v, sg::atom::count_v, "alice");
    REQUIRE(n);
    return *n;
  };
  CHECK(count() == 2);
  REQUIRE(node.call<sg::hold_receipt>(
      node.event("gig"), hold_v,
      sg::hold_request{"h2", "alice", {"A-2-1", "A-2-2"}, {}, 0, {}, {}}));
  auto second = node.call<sg::order_info>(
      s.office, confirm_v, std::string{"k2"}, std::string{"alice"}, std::string{"h2"},
      std::vector<std::string>{"A"}, std::vector<std::string>{"A-2-1", "A-2-2"},
      std::vector<int64_t>{1000, 1000}, approve);
  CHECK(second.error() == sg::ec::ticket_limit);
  CHECK(node.status(node.section("gig", "A"), "A-2-1") == sg::seat_state::held); // untouched
  REQUIRE(s.refund("o1-1", "alice"));
  CHECK(count() == 1);
  second = node.call<sg::order_info>(s.office, confirm_v, std::string{"k2"}, std::string{"alice"},
                                     std::string{"h2"}, std::vector<std::string>{"A"},
                                     std::vector<std::string>{"A-2-1", "A-2-2"},
                                     std::vector<int64_t>{1000, 1000}, approve);
  REQUIRE_MESSAGE(second, sg::render(second));
  CHECK(count() == 3);
}

TEST_CASE("rotating codes: the code changes every 15 s and a screenshot stops working") {
  auto ev = sg::test::small_event();
  ev.rotating_codes = true;
  sold_node s{ev};
  auto shot = s.ticket("o1-1", "alice")->code;
  auto gate = gate_of(s.node);
  CHECK(gate.check(shot, sg::test::test_epoch_ms) == sg::domain::scan_result::valid);
  s.node.advance(45s);
  auto fresh = s.ticket("o1-1", "alice")->code;
  CHECK(fresh != shot);
  CHECK(s.scan(shot) == "invalid");
  CHECK(s.scan(fresh) == "valid");
}

TEST_CASE("tickets, transfers, refunds and admissions survive a restart") {
  auto dir = std::filesystem::temp_directory_path() / "seatgrab-box-office-restart";
  std::filesystem::remove_all(dir);
  std::string code, bob_code;
  {
    sg::test::node_fixture node(dir, sg::persistence::durability::fsync);
    REQUIRE(node.call<std::string>(node.catalog(), sg::atom::put_v, sg::atom::venue_v,
                                   sg::domain::to_json(sg::test::small_venue())));
    REQUIRE(node.call<std::string>(node.catalog(), sg::atom::put_v, refundable_event()));
    hold(node);
    auto out = checkout(node, "k1", approve);
    REQUIRE(!out[0].err);
    code = out[0].codes[0];
    auto office = node.box_office("gig");
    auto moved =
        node.call<sg::ticket_info>(office, sg::atom::transfer_v, std::string{"o1-1"},
                                   std::string{"alice"}, std::string{"bob"}, std::string{});
    REQUIRE(moved);
    bob_code = moved->code;
    REQUIRE(node.call<sg::scan_info>(office, sg::atom::scan_v, bob_code)->result == "valid");
    REQUIRE(node.call<sg::ticket_info>(office, sg::atom::refund_v, std::string{"o1-2"},
                                       std::string{"alice"}, false, std::string{}));
  }
  sg::test::node_fixture node(dir, sg::persistence::durability::fsync);
  auto office = node.box_office("gig");
  CHECK(node.call<sg::scan_info>(office, sg::atom::scan_v, code)->result == "revoked");
  CHECK(node.call<sg::scan_info>(office, sg::atom::scan_v, bob_code)->result == "already_used");
  auto bobs = node.call<sg::ticket_info>(office, sg::atom::get_v, sg::atom::ticket_v,
                                         std::string{"o1-1"}, std::string{"bob"});
  REQUIRE(bobs);
  CHECK(bobs->status == "used");
  auto alices = node.call<std::vector<sg::ticket_info>>(office, sg::atom::get_v,
                                                        sg::atom::tickets_v, "alice");
  REQUIRE(alices);
  REQUIRE(alices->size() == 1);
  CHECK(alices->front().status == "refunded");
  CHECK(node.status(node.section("gig", "B"), "B-1-1") == sg::seat_state::free);
  std::filesystem::remove_all(dir);
}

TEST_CASE("a retry with the key of a transfer or refund made before a restart gets the same "
          "answer and makes no second change") {
  // The edge stores a keyed answer in a later write than the change it answers, so a crash in
  // between leaves the change without the answer: only the box office can tell the retry.
  sg::test::temp_dir tmp{"seatgrab-box-office-retry-"};
  auto dir = tmp / "data";
  sg::ticket_info moved, refunded;
  {
    sold_node s{refundable_event(), dir, sg::persistence::durability::fsync};
    s.node.advance(1h);
    auto m = s.transfer("o1-1", "alice", "bob", "give");
    REQUIRE_MESSAGE(m, sg::render(m.error()));
    moved = *m;
    auto r = s.refund("o1-2", "alice", false, "back");
    REQUIRE_MESSAGE(r, sg::render(r.error()));
    refunded = *r;
  } // the answers are lost with the node: the journal is all that remains
  sold_node s{dir};
  s.node.advance(2h);
  auto again = s.transfer("o1-1", "alice", "bob", "give");
  REQUIRE_MESSAGE(again, sg::render(again.error()));
  CHECK(*again == moved);
  CHECK(s.ticket("o1-1", "bob")->version == 2); // one transfer
  // Another key is another request, and the same key with another recipient is refused.
  CHECK(s.transfer("o1-1", "alice", "bob", "give-2").error() == sg::ec::not_found);
  CHECK(s.transfer("o1-1", "alice", "carol", "give").error() == sg::ec::invalid_argument);
  // Keys belong to the caller: bob's own transfer with the same key is a new one, and alice's
  // retry still answers what her transfer did.
  auto onward = s.transfer("o1-1", "bob", "carol", "give");
  REQUIRE_MESSAGE(onward, sg::render(onward.error()));
  CHECK(onward->version == 3);
  CHECK(*s.transfer("o1-1", "alice", "bob", "give") == moved);
  CHECK(s.ticket("o1-1", "carol")->version == 3);
  auto back = s.refund("o1-2", "alice", false, "back");
  REQUIRE_MESSAGE(back, sg::render(back.error()));
  CHECK(*back == refunded);
  CHECK(s.refund("o1-2", "alice", false, "back-2").error() == sg::ec::ticket_refunded);
  // One refund of the B-1-1 ticket's 500 in the payment ledger.
  CHECK(payments(s.node).find("p1")->refunded_minor == 500);
}

TEST_CASE("codes for an order the box office is not answering change nothing") {
  sg::test::node_fixture node;
  node.add_small_event();
  // Codes nobody asked for: before the order exists, and for an order id never made.
  caf::anon_send(node.box_office("gig"), sg::atom::ticket_v, std::string{"o1"},
                 std::vector<std::string>{"forged-1", "forged-2"}, caf::error{});
  caf::anon_send(node.box_office("gig"), sg::atom::ticket_v, std::string{"o9"},
                 std::vector<std::string>{"forged"}, caf::error{});
  node.ts().run();
  hold(node);
  auto out = checkout(node, "k1", approve);
  REQUIRE(out.size() == 1);
  REQUIRE_MESSAGE(!out[0].err, sg::render(out[0].err));
  REQUIRE(out[0].codes.size() == 2);
  // The codes signed off the box office are the ones its gate keys verify.
  auto gate = gate_of(node);
  for (const auto& code : out[0].codes) {
    CHECK(code.rfind("forged", 0) == std::string::npos);
    CHECK(gate.check(code, sg::test::test_epoch_ms) == sg::domain::scan_result::valid);
  }
  // And the same as a later read of the order signs on the box office itself.
  auto order = node.call<sg::order_info>(node.box_office("gig"), sg::atom::get_v, sg::atom::order_v,
                                         std::string{"o1"}, std::string{"alice"});
  REQUIRE(order);
  REQUIRE(order->tickets.size() == 2);
  CHECK(order->tickets[0].code == out[0].codes[0]);
  CHECK(order->tickets[1].code == out[0].codes[1]);
}
