#include "actors/checkout.hpp"
#include "domain/ticket.hpp"
#include "tests/support/node_fixture.hpp"

#include <caf/scoped_actor.hpp>
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

sg::security::ed25519_key test_key() {
  auto key = sg::security::ed25519_key::from_private_bytes(std::vector<uint8_t>(32, 9));
  REQUIRE(key);
  return *key;
}

/// A checkout coordinator on a node, sharing the node's journal writer and clock.
class checkout_rig {
public:
  explicit checkout_rig(sg::test::node_fixture& node, sg::actors::checkout_options opts = {},
                        sg::domain::payment_settings pay = {})
      : node_(node) {
    actor_ = sg::actors::spawn_checkout(node.ts().sys(), sg::test::small_event(), node.event("gig"),
                                        node.ctx(), pay, test_key(), std::move(opts));
    node.ts().run();
  }

  ~checkout_rig() {
    caf::anon_send_exit(actor_, caf::exit_reason::user_shutdown);
    node_.ts().run();
  }

  sg::checkout_actor actor() const { return actor_; }

private:
  sg::test::node_fixture& node_;
  sg::checkout_actor actor_;
};

struct outcome {
  caf::error err;
  std::string order_id;
  std::vector<std::string> codes;
};

/// The checkout of alice's hold "h1" on seats A-1-1 and B-1-1.
auto args(const std::string& key, const std::string& card) {
  return std::make_tuple(
      confirm_v, key, std::string{"alice"}, std::string{"h1"}, std::vector<std::string>{"A", "B"},
      std::vector<std::string>{"A-1-1", "B-1-1"}, std::vector<int64_t>{1000, 500}, card);
}

/// Sends `n` identical checkout requests, runs the node, and collects the answers.
std::vector<outcome> checkout(sg::test::node_fixture& node, const sg::checkout_actor& co,
                              const std::string& key, const std::string& card, size_t n = 1) {
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
        [&](std::string& id, std::vector<std::string>& codes) {
          out.order_id = std::move(id);
          out.codes = std::move(codes);
        },
        [&](caf::error& err) { out.err = std::move(err); });
    result.push_back(std::move(out));
  }
  return result;
}

void hold(sg::test::node_fixture& node) {
  REQUIRE(node.call<sg::hold_receipt>(node.event("gig"), hold_v,
                                      sg::hold_request{"h1", "alice", {"A-1-1", "B-1-1"}, {}, 0}));
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
  checkout_rig rig{node};
  auto out = checkout(node, rig.actor(), "k1", approve);
  REQUIRE(out.size() == 1);
  REQUIRE_MESSAGE(!out[0].err, sg::render(out[0].err));
  CHECK(out[0].order_id == "o1");
  REQUIRE(out[0].codes.size() == 2);
  sg::domain::gate_verifier gate{"gig", test_key().public_bytes()};
  auto now_ms = sg::test::test_epoch.time_since_epoch().count();
  for (const auto& code : out[0].codes)
    CHECK(gate.check(code, now_ms) == sg::domain::scan_result::valid);
  CHECK(status(node, "A", "A-1-1") == sg::seat_state::sold);
  CHECK(status(node, "B", "B-1-1") == sg::seat_state::sold);
  // A retry with the same key is the same order with the same tickets.
  auto again = checkout(node, rig.actor(), "k1", approve);
  CHECK(again[0].order_id == "o1");
  CHECK(again[0].codes == out[0].codes);
}

TEST_CASE("a declined card fails the order and leaves the seats held") {
  sg::test::node_fixture node;
  node.add_small_event();
  hold(node);
  checkout_rig rig{node};
  auto out = checkout(node, rig.actor(), "k1", decline);
  REQUIRE(out.size() == 1);
  CHECK(out[0].err == sg::ec::payment_declined);
  CHECK(status(node, "A", "A-1-1") == sg::seat_state::held);
  CHECK(status(node, "B", "B-1-1") == sg::seat_state::held);
}

TEST_CASE("an expired hold fails the order and voids the authorization") {
  sg::test::node_fixture node("mem-node", sg::persistence::durability::none);
  node.add_small_event();
  hold(node);
  checkout_rig rig{node};
  node.advance(301s);
  auto out = checkout(node, rig.actor(), "k1", approve);
  REQUIRE(out.size() == 1);
  // The section's expiry timer has already released the hold, so it reports the hold as gone;
  // before the timer fires it says hold_expired. Either way the order fails.
  CHECK((out[0].err == sg::ec::hold_expired || out[0].err == sg::ec::hold_not_found));
  CHECK(status(node, "A", "A-1-1") == sg::seat_state::free);
  // The payment was voided: replay the journal's payment ledger.
  auto gw = sg::domain::simulated_gateway::make({});
  REQUIRE(gw);
  auto log = node.db().load("payment", "gig");
  REQUIRE(log);
  for (auto& [seq, bytes] : log->tail) {
    sg::pb::payment_event ev;
    REQUIRE(ev.ParseFromString(bytes));
    REQUIRE_FALSE(gw->apply(ev));
  }
  auto p = gw->find("p1");
  REQUIRE(p);
  CHECK(p->status == sg::domain::payment_status::voided);
}

TEST_CASE("an authorization that times out is retried with the same key") {
  sg::test::node_fixture node;
  node.add_small_event();
  hold(node);
  sg::domain::payment_settings pay;
  pay.timeout_rate = 1; // every first attempt times out
  checkout_rig rig{node, {}, pay};
  auto out = checkout(node, rig.actor(), "k1", "4111111111111111");
  REQUIRE(out.size() == 1);
  REQUIRE_MESSAGE(!out[0].err, sg::render(out[0].err));
  CHECK(out[0].codes.size() == 2);
  CHECK(status(node, "A", "A-1-1") == sg::seat_state::sold);
}

TEST_CASE("concurrent requests with one idempotency key make one order") {
  sg::test::node_fixture node;
  node.add_small_event();
  hold(node);
  checkout_rig rig{node};
  auto out = checkout(node, rig.actor(), "k1", approve, 100);
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
        sg::test::node_fixture node(dir, sg::persistence::durability::fsync);
        node.add_small_event();
        hold(node);
        checkout_rig rig{node, sg::actors::checkout_options{k, 100ms, "EUR"}};
        std::apply([&](auto&&... xs) { caf::anon_send(rig.actor(), xs...); }, args("k1", card));
        node.ts().run();
        // The hook stopped the coordinator after k writes (each holds one checkout event):
        // started, authorized|declined, seats_confirmed, captured, tickets_issued.
        auto log = node.db().load("checkout", "gig");
        REQUIRE(log);
        CHECK(log->tail.size() == std::min<size_t>(k, card == approve ? 5 : 2));
      }
      sg::test::node_fixture node(dir, sg::persistence::durability::fsync);
      checkout_rig rig{node};
      node.advance(1s);
      auto out = checkout(node, rig.actor(), "k1", card);
      REQUIRE(out.size() == 1);
      auto gw = sg::domain::simulated_gateway::make({});
      REQUIRE(gw);
      auto log = node.db().load("payment", "gig");
      REQUIRE(log);
      for (auto& [seq, bytes] : log->tail) {
        sg::pb::payment_event ev;
        REQUIRE(ev.ParseFromString(bytes));
        REQUIRE_FALSE(gw->apply(ev));
      }
      auto p = gw->find("p1");
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
