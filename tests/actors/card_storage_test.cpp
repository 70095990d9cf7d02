// Issue 13 finding 8: no card number on disk. A checkout through the box office with a real
// RocksDB store leaves no byte sequence of the card number anywhere in the data dir (journal,
// WAL, SST files); a journal of before tokens, holding a number, still replays and finishes
// its checkout without writing the number again.
#include "actors/box_office.hpp"
#include "messages/checkout.pb.h"
#include "messages/payment.pb.h"
#include "tests/support/node_fixture.hpp"

#include <caf/scoped_actor.hpp>
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <unistd.h>
#include <vector>

using namespace std::chrono_literals;
namespace sg = seatgrab;
namespace fs = std::filesystem;

namespace {

constexpr std::string_view card = "4111111111111111";

// The number of files under `dir` whose bytes contain `needle`.
size_t files_containing(const fs::path& dir, std::string_view needle) {
  size_t found = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file())
      continue;
    std::ifstream in{entry.path(), std::ios::binary};
    std::string bytes{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
    if (bytes.find(needle) != std::string::npos) {
      MESSAGE("card number found in " << entry.path());
      ++found;
    }
  }
  return found;
}

void hold(sg::test::node_fixture& node, const std::string& id, std::vector<std::string> seats) {
  REQUIRE(
      node.call<sg::hold_receipt>(node.event("gig"), sg::atom::hold_v,
                                  sg::hold_request{id, "alice", std::move(seats), {}, 0, {}, {}}));
}

caf::expected<sg::order_info> checkout(sg::test::node_fixture& node, const std::string& key,
                                       const std::string& hold_id, std::vector<std::string> seats) {
  std::vector<std::string> sections;
  std::vector<int64_t> prices;
  for (const auto& s : seats) {
    sections.push_back(s.substr(0, 1));
    prices.push_back(1000);
  }
  return node.call<sg::order_info>(node.box_office("gig"), sg::atom::confirm_v, key,
                                   std::string{"alice"}, hold_id, sections, seats, prices,
                                   std::string{card});
}

// Journal records of `kind` for "gig" whose payload contains the card number.
size_t records_containing(sg::test::node_fixture& node, const std::string& kind) {
  auto log = node.db().load(kind, "gig");
  REQUIRE(log);
  size_t n = 0;
  for (const auto& [seq, bytes] : log->tail)
    n += bytes.find(card) != std::string::npos ? 1 : 0;
  return n;
}

} // namespace

TEST_CASE("card storage: a checkout leaves no card number in the data dir") {
  auto dir = fs::temp_directory_path() / ("seatgrab-card-storage-" + std::to_string(getpid()));
  fs::remove_all(dir);
  {
    sg::test::node_fixture node(dir, sg::persistence::durability::fsync);
    node.add_small_event();
    hold(node, "h1", {"A-1-1", "B-1-1"});
    auto order = checkout(node, "k1", "h1", {"A-1-1", "B-1-1"});
    REQUIRE_MESSAGE(order, sg::render(order));
    CHECK(order->state == "completed");
    // A retry with the same key and card is the same order (the token is kept).
    auto again = checkout(node, "k1", "h1", {"A-1-1", "B-1-1"});
    REQUIRE_MESSAGE(again, sg::render(again));
    CHECK(again->id == order->id);
    hold(node, "h2", {"A-1-2"});
    REQUIRE(checkout(node, "k2", "h2", {"A-1-2"}));
    // Velocity: the ledger as journaled counts both payments of the card by its keyed hash.
    auto gw = sg::domain::simulated_gateway::make({});
    auto log = node.db().load("payment", "gig");
    REQUIRE(log);
    std::string fingerprint;
    for (const auto& [seq, bytes] : log->tail) {
      sg::pb::payment_event ev;
      REQUIRE(ev.ParseFromString(bytes));
      if (ev.has_authorized()) {
        CHECK(ev.authorized().card_last4() == "1111");
        fingerprint = ev.authorized().card_fingerprint();
      }
      REQUIRE_FALSE(gw->apply(ev));
    }
    CHECK(fingerprint == sg::domain::card_fingerprint(card, node.ctx()->card_key));
    CHECK(gw->authorizations_of_card(fingerprint, sg::test::test_epoch) == 2);
  }
  CHECK(files_containing(dir, card) == 0);
  fs::remove_all(dir);
}

TEST_CASE("card storage: a journal with a card number replays and never writes it again") {
  auto dir = fs::temp_directory_path() / ("seatgrab-card-legacy-" + std::to_string(getpid()));
  fs::remove_all(dir);
  {
    sg::test::node_fixture node(dir, sg::persistence::durability::fsync);
    node.add_small_event();
    hold(node, "h1", {"A-1-1", "B-1-1"});
    // A checkout begun by an earlier version: its started event holds the number itself.
    sg::pb::checkout_event ev;
    ev.set_version(1);
    ev.set_at_ms(sg::test::test_epoch.time_since_epoch().count());
    ev.set_order_id("o1");
    auto* x = ev.mutable_started();
    x->set_idempotency_key("k1");
    x->set_account("alice");
    x->set_event_id("gig");
    x->set_hold_id("h1");
    x->add_sections("A");
    x->add_sections("B");
    for (auto seat : {"A-1-1", "B-1-1"}) {
      auto* s = x->add_seats();
      s->set_seat_id(seat);
      s->set_price(1000);
    }
    x->set_total(2000);
    x->set_currency("EUR");
    x->set_payment_method(std::string{card});
    sg::persistence::write_set ws;
    ws.append("checkout", "gig", 1, ev.SerializeAsString());
    REQUIRE(node.db().write(ws, true));
  }
  {
    sg::test::node_fixture node(dir, sg::persistence::durability::fsync);
    // The client retries with its key: the same order, finished now.
    auto order = checkout(node, "k1", "h1", {"A-1-1", "B-1-1"});
    REQUIRE_MESSAGE(order, sg::render(order));
    CHECK(order->id == "o1");
    CHECK(order->state == "completed");
    CHECK(records_containing(node, "checkout") == 1); // the old record, no other
    CHECK(records_containing(node, "payment") == 0);
    CHECK(records_containing(node, "ticket") == 0);
  }
  fs::remove_all(dir);
}
