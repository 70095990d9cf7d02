// Tests of the ticket registry: issue (idempotent), ownership, transfer, refund policy, the
// online gate (valid, already_used, revoked), and replay of its journal.
#include "domain/ticket_registry.hpp"
#include "messages/ec.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

using seatgrab::ec;
using namespace seatgrab::domain;
using namespace std::chrono_literals;
using seatgrab::security::ed25519_key;

namespace {

const time_point t0{std::chrono::milliseconds{1'796'119'200'000}};

int64_t ms(time_point t) {
  return t.time_since_epoch().count();
}

ec code_of(const caf::error& err) {
  REQUIRE(err.category() == caf::atom("seatgrab"));
  return static_cast<ec>(err.code());
}

const ed25519_key& key() {
  static auto k = [] {
    auto x = ed25519_key::from_private_bytes(std::vector<uint8_t>(32, 5));
    REQUIRE(x);
    return *x;
  }();
  return k;
}

/// Alice's completed order "o1": A-1-1 at 1000 and B-1-1 at 500 cents.
order_view alice_order() {
  order_view o;
  o.order_id = "o1";
  o.account = "alice";
  o.event_id = "gig";
  o.hold_id = "h1";
  o.sections = {"A", "B"};
  o.seats = {{"A-1-1", 1000}, {"B-1-1", 500}};
  o.total = 1500;
  o.currency = "EUR";
  o.step = checkout_step::completed;
  o.payment_id = "pay_1";
  o.tickets = {{"o1-1", "A-1-1", 1}, {"o1-2", "B-1-1", 1}};
  o.created_at = t0;
  o.captured_at = t0 + 2s;
  o.updated_at = t0 + 2s;
  return o;
}

/// A registry with alice's order issued, recording every event for replay checks.
struct rig {
  ticket_registry reg{"gig", gate_verifier{"gig", key().public_bytes()}};
  std::vector<seatgrab::pb::ticket_event> log;

  rig() {
    auto ev = reg.issue(alice_order());
    REQUIRE(ev);
    REQUIRE(ev->has_value());
    log.push_back(**ev);
  }

  template <class T>
  void keep(const caf::expected<T>& ev) {
    REQUIRE_MESSAGE(ev, seatgrab::render(ev));
    log.push_back(*ev);
  }

  std::string code(const std::string& ticket_id, time_point now = t0 + 3s) {
    auto v = reg.find(ticket_id);
    REQUIRE(v);
    auto c = make_code(key(), v->payload(), nullptr, ms(now));
    REQUIRE(c);
    return *c;
  }

  scan_result scan(const std::string& code, time_point now = t0 + 1h) {
    auto out = reg.scan(code, now);
    if (out.event)
      log.push_back(*out.event);
    return out.result;
  }

  /// A fresh registry fed the log must equal the live one, ticket by ticket.
  void check_replay() {
    ticket_registry copy{"gig", gate_verifier{"gig", key().public_bytes()}};
    for (const auto& ev : log)
      REQUIRE_FALSE(copy.apply(ev));
    CHECK(copy.version() == reg.version());
    for (const auto* id : {"o1-1", "o1-2"})
      CHECK(copy.find(id) == reg.find(id));
    CHECK(copy.verifier().revocations() == reg.verifier().revocations());
    CHECK(copy.unreleased() == reg.unreleased());
  }
};

} // namespace

TEST_CASE("issuing an order's tickets gives the buyer version 1 of each, once") {
  rig r;
  auto mine = r.reg.owned_by("alice");
  REQUIRE(mine.size() == 2);
  CHECK(mine[0].ticket_id == "o1-1");
  CHECK(mine[0].seat_id == "A-1-1");
  CHECK(mine[0].price == 1000);
  CHECK(mine[0].version == 1);
  CHECK(mine[0].issued_at == t0 + 2s);
  CHECK(mine[1].buyer == "alice");
  CHECK(r.reg.issued("o1"));
  auto again = r.reg.issue(alice_order());
  REQUIRE(again);
  CHECK_FALSE(again->has_value());
  CHECK(r.reg.version() == 1);
  auto open = alice_order();
  open.order_id = "o2";
  open.step = checkout_step::capturing;
  CHECK(code_of(r.reg.issue(open).error()) == ec::invalid_argument);
  auto clash = alice_order();
  clash.order_id = "o2";
  CHECK(code_of(r.reg.issue(clash).error()) == ec::invalid_argument); // ticket ids taken
}

TEST_CASE("another fan's ticket is not_found, exactly like an unknown one") {
  rig r;
  CHECK(r.reg.find_for("o1-1", "alice"));
  CHECK_FALSE(r.reg.find_for("o1-1", "bob"));
  CHECK(r.reg.owned_by("bob").empty());
  auto before = r.reg.version();
  CHECK(code_of(r.reg.transfer("o1-1", "bob", "carol", t0 + 1h).error()) == ec::not_found);
  CHECK(code_of(r.reg.transfer("nope", "alice", "carol", t0 + 1h).error()) == ec::not_found);
  CHECK(code_of(r.reg.refund("o1-1", "bob", false, t0 + 24h, t0 + 1h).error()) == ec::not_found);
  CHECK(r.reg.version() == before);
  CHECK(r.reg.find("o1-1")->owner == "alice");
}

TEST_CASE("a transfer moves the ticket to a new version and revokes the old code at once") {
  rig r;
  auto old_code = r.code("o1-1");
  CHECK(code_of(r.reg.transfer("o1-1", "alice", "alice", t0 + 1h).error()) == ec::invalid_argument);
  CHECK(code_of(r.reg.transfer("o1-1", "alice", "", t0 + 1h).error()) == ec::invalid_argument);
  r.keep(r.reg.transfer("o1-1", "alice", "bob", t0 + 1h));
  auto bobs = r.reg.find_for("o1-1", "bob");
  REQUIRE(bobs);
  CHECK(bobs->version == 2);
  CHECK(bobs->issued_at == t0 + 1h);
  CHECK_FALSE(r.reg.find_for("o1-1", "alice"));
  CHECK(r.reg.owned_by("alice").size() == 1);
  CHECK(r.reg.verifier().revoked_up_to("o1-1") == 1);
  CHECK(r.scan(old_code) == scan_result::revoked);
  auto new_code = r.code("o1-1", t0 + 1h);
  CHECK(r.scan(new_code) == scan_result::valid);
  CHECK(r.scan(new_code) == scan_result::already_used);
  // Alice cannot take it back, and Bob cannot pass on a used ticket.
  CHECK(code_of(r.reg.transfer("o1-1", "alice", "carol", t0 + 2h).error()) == ec::not_found);
  CHECK(code_of(r.reg.transfer("o1-1", "bob", "carol", t0 + 2h).error()) == ec::ticket_used);
  r.check_replay();
}

TEST_CASE("owners refund within the event's policy, operators always") {
  rig r;
  auto until = t0 + 24h;
  CHECK(code_of(r.reg.refund("o1-1", "alice", false, until, until).error()) == ec::refund_closed);
  CHECK(code_of(r.reg.refund("o1-1", "alice", false, time_point{}, t0 + 1h).error()) ==
        ec::refund_closed); // the epoch: no fan refunds at all
  auto code = r.code("o1-1");
  r.keep(r.reg.refund("o1-1", "alice", false, until, until - 1ms));
  auto v = r.reg.find("o1-1");
  CHECK(v->refunded);
  CHECK_FALSE(v->seat_released);
  CHECK(r.log.back().refunded().amount() == 1000);
  CHECK(r.reg.refunded_of("alice") == 1);
  CHECK(code_of(r.reg.refund("o1-1", "alice", false, until, t0 + 1h).error()) ==
        ec::ticket_refunded);
  CHECK(code_of(r.reg.transfer("o1-1", "alice", "bob", t0 + 1h).error()) == ec::ticket_refunded);
  CHECK(r.scan(code) == scan_result::revoked);
  // The seat goes back on sale once.
  REQUIRE(r.reg.unreleased().size() == 1);
  r.keep(r.reg.seat_released("o1-1", t0 + 25h));
  CHECK(r.reg.unreleased().empty());
  CHECK(r.reg.find("o1-1")->seat_released);
  CHECK(code_of(r.reg.seat_released("o1-1", t0 + 25h).error()) == ec::invalid_argument);
  // An operator refunds after the deadline, on the buyer's behalf.
  r.keep(r.reg.refund("o1-2", "op", true, until, t0 + 48h));
  CHECK(r.reg.refunded_of("alice") == 2);
  r.check_replay();
}

TEST_CASE("a used ticket cannot be refunded; forged and foreign codes are invalid") {
  rig r;
  auto code = r.code("o1-2");
  CHECK(r.scan(code) == scan_result::valid);
  CHECK(code_of(r.reg.refund("o1-2", "alice", false, t0 + 24h, t0 + 1h).error()) ==
        ec::ticket_used);
  CHECK(code_of(r.reg.refund("o1-2", "op", true, t0 + 24h, t0 + 1h).error()) == ec::ticket_used);
  auto tampered = code;
  tampered[5] = tampered[5] == 'A' ? 'B' : 'A';
  CHECK(r.scan(tampered) == scan_result::invalid);
  CHECK(r.scan("garbage") == scan_result::invalid);
  // Signed with the event's key but never issued: refused.
  ticket_payload fake{"o9-1", "gig", "A-2-2", "mallory", 1, ms(t0)};
  auto forged = make_code(key(), fake, nullptr, ms(t0));
  REQUIRE(forged);
  CHECK(r.scan(*forged) == scan_result::invalid);
  r.check_replay();
}

TEST_CASE("replay refuses events that do not fit") {
  rig r;
  ticket_registry fresh{"gig", gate_verifier{"gig", key().public_bytes()}};
  auto ev = r.reg.transfer("o1-1", "alice", "bob", t0 + 1h);
  REQUIRE(ev);
  CHECK(code_of(fresh.apply(*ev)) == ec::storage_corruption); // version 2 before 1
  REQUIRE_FALSE(fresh.apply(r.log.front()));
  auto wrong = *ev;
  wrong.mutable_transferred()->set_from("mallory");
  CHECK(code_of(fresh.apply(wrong)) == ec::storage_corruption);
  CHECK(fresh.version() == 1);
  CHECK(fresh.find("o1-1")->owner == "alice");
}

TEST_CASE("a transfer or refund with an idempotency key is found again by its key, after replay "
          "too") {
  rig r;
  CHECK(code_of(r.reg.transfer("o1-1", "alice", "bob", t0 + 1h, std::string(256, 'k')).error()) ==
        ec::invalid_argument);
  r.keep(r.reg.transfer("o1-1", "alice", "bob", t0 + 1h, "give"));
  CHECK(r.log.back().transferred().request_key() == "give");
  r.keep(r.reg.refund("o1-2", "alice", false, t0 + 24h, t0 + 2h, "back"));
  CHECK(r.log.back().refunded().request_key() == "back");
  // Bob passes the ticket on, with a key of his own that happens to be the same.
  r.keep(r.reg.transfer("o1-1", "bob", "carol", t0 + 3h, "give"));
  ticket_registry copy{"gig", gate_verifier{"gig", key().public_bytes()}};
  for (const auto& ev : r.log)
    REQUIRE_FALSE(copy.apply(ev));
  for (const auto* reg : {&r.reg, &copy}) {
    // Alice's retry: the ticket as her transfer left it, although it moved on since.
    auto again = reg->transferred_with("o1-1", "alice", "bob", "give");
    REQUIRE(again);
    REQUIRE(again->has_value());
    CHECK((*again)->owner == "bob");
    CHECK((*again)->version == 2);
    CHECK((*again)->issued_at == t0 + 1h);
    CHECK_FALSE((*again)->refunded);
    auto bobs = reg->transferred_with("o1-1", "bob", "carol", "give");
    REQUIRE(bobs);
    REQUIRE(bobs->has_value());
    CHECK((*bobs)->version == 3);
    // Another key, another account or no key: a new request.
    CHECK_FALSE(reg->transferred_with("o1-1", "alice", "bob", "give-2")->has_value());
    CHECK_FALSE(reg->transferred_with("o1-1", "carol", "bob", "give")->has_value());
    CHECK_FALSE(reg->transferred_with("o1-1", "alice", "bob", "")->has_value());
    CHECK_FALSE(reg->transferred_with("o1-2", "alice", "bob", "give")->has_value());
    // The key with another recipient: reused with another request.
    CHECK(code_of(reg->transferred_with("o1-1", "alice", "dave", "give").error()) ==
          ec::invalid_argument);
    auto refunded = reg->refunded_with("o1-2", "alice", "back");
    REQUIRE(refunded);
    CHECK(refunded->refunded);
    CHECK_FALSE(reg->refunded_with("o1-2", "alice", "give"));
    CHECK_FALSE(reg->refunded_with("o1-2", "op", "back"));
    CHECK_FALSE(reg->refunded_with("o1-1", "alice", "back"));
  }
  // Carol gives it back to Bob; Bob cannot use his key for a second transfer of the ticket.
  r.keep(r.reg.transfer("o1-1", "carol", "bob", t0 + 4h));
  CHECK(code_of(r.reg.transfer("o1-1", "bob", "carol", t0 + 5h, "give").error()) ==
        ec::invalid_argument);
  r.check_replay();
  // Replay refuses a key journaled twice for one account's transfers of a ticket.
  auto twice = r.log[3];
  twice.set_version(r.reg.version() + 1);
  twice.mutable_transferred()->set_from("bob");
  twice.mutable_transferred()->set_to("carol");
  twice.mutable_transferred()->set_version(5);
  CHECK(code_of(r.reg.apply(twice)) == ec::storage_corruption);
}
