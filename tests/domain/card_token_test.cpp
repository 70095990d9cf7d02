// Issue 13 finding 8: card numbers are never stored. A card becomes a token, its last four
// digits and a keyed hash (HMAC-SHA256 under the node's card key); the provider's rules that
// looked at the number (the test cards, velocity) work on the hash.
#include "domain/payment.hpp"
#include "messages/ec.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace std::chrono_literals;
using seatgrab::ec;
using namespace seatgrab::domain;
namespace pb = seatgrab::pb;

namespace {

const time_point t0 = time_point{1'700'000'000'000ms};
const std::string key(32, 'k');
constexpr std::string_view other_card = "5555555555554444";

// Every byte the gateway queued for the journal.
std::string journal_bytes(simulated_gateway& gw) {
  std::string all;
  for (const auto& ev : gw.take_events())
    all += ev.SerializeAsString();
  return all;
}

} // namespace

TEST_CASE("card tokens: a token, the last four digits and a keyed hash, never the number") {
  auto a = tokenize_card(other_card, key);
  auto b = tokenize_card(other_card, key);
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->token.starts_with("tok_"));
  CHECK(a->token.size() == 36);
  CHECK(a->token != b->token); // random ids
  CHECK(a->last4 == "4444");
  CHECK(a->fingerprint.size() == 64);
  CHECK(a->fingerprint == b->fingerprint); // equal cards, equal hashes
  CHECK(a->fingerprint == card_fingerprint(other_card, key));
  CHECK(a->fingerprint != card_fingerprint(other_card, std::string(32, 'x'))); // keyed
  CHECK(a->fingerprint != card_fingerprint(approving_card, key));
  auto method = to_payment_method(*a);
  CHECK(method.find(other_card) == std::string::npos);
  CHECK(parse_payment_method(method) == *a);
  CHECK_FALSE(parse_payment_method(other_card));
  CHECK_FALSE(parse_payment_method("card:invalid"));
  CHECK_FALSE(parse_payment_method(method + "0"));
  for (auto bad : {"4242", "4242424242424241", "42424242424242a2", ""}) {
    auto t = tokenize_card(bad, key);
    REQUIRE_FALSE(t);
    CHECK(t.error() == ec::invalid_argument);
  }
}

TEST_CASE("card tokens: the provider's rules work on the keyed hash") {
  auto gw = simulated_gateway::make({}, key);
  REQUIRE(gw);
  auto approve = tokenize_card(approving_card, key).value();
  auto decline = tokenize_card(declining_card, key).value();
  auto other = tokenize_card(other_card, key).value();
  auto ok = gw->authorize("k1", to_payment_method(approve), 1000, "EUR", t0);
  REQUIRE(ok);
  CHECK(ok->status == payment_status::authorized);
  CHECK(ok->card_last4 == "4242");
  auto no = gw->authorize("k2", to_payment_method(decline), 1000, "EUR", t0);
  REQUIRE(no);
  CHECK(no->status == payment_status::declined);
  CHECK(no->decline_reason == "generic_decline");
  REQUIRE(gw->authorize("k3", to_payment_method(other), 1000, "EUR", t0 + 1s));
  // Velocity: attempts per card, counted by fingerprint, tokens differing.
  auto again = tokenize_card(other_card, key).value();
  REQUIRE(gw->authorize("k4", to_payment_method(again), 1000, "EUR", t0 + 2s));
  CHECK(gw->authorizations_of_card(other.fingerprint, t0) == 2);
  CHECK(gw->authorizations_of_card(other.fingerprint, t0 + 2s) == 1);
  CHECK(gw->authorizations_of_card(approve.fingerprint, t0) == 1);
  CHECK(gw->authorizations_of_card(card_fingerprint("4111111111111111", key), t0) == 0);
  auto bytes = journal_bytes(*gw);
  for (auto card : {approving_card, declining_card, other_card})
    CHECK(bytes.find(card) == std::string::npos);
  CHECK(bytes.find(other.fingerprint) != std::string::npos);
}

TEST_CASE("card tokens: a raw number (journals before tokens) still pays, and is not recorded") {
  auto gw = simulated_gateway::make({}, key);
  REQUIRE(gw);
  auto ok = gw->authorize("k1", std::string{other_card}, 1000, "EUR", t0);
  REQUIRE(ok);
  CHECK(ok->card_last4 == "4444");
  auto no = gw->authorize("k2", std::string{declining_card}, 1000, "EUR", t0);
  REQUIRE(no);
  CHECK(no->status == payment_status::declined);
  CHECK(gw->authorizations_of_card(card_fingerprint(other_card, key), t0) == 1);
  auto events = gw->take_events();
  std::string bytes;
  for (const auto& ev : events)
    bytes += ev.SerializeAsString();
  CHECK(bytes.find(other_card) == std::string::npos);
  CHECK(bytes.find(declining_card) == std::string::npos);
  // The events replay, with the fingerprints; events of before fingerprints too.
  auto copy = simulated_gateway::make({}, key);
  for (const auto& ev : events)
    REQUIRE_FALSE(copy->apply(ev));
  CHECK(*copy == *gw);
  auto old = events[0];
  old.mutable_authorized()->clear_card_fingerprint();
  old.mutable_authorized()->clear_card_token();
  auto fresh = simulated_gateway::make({});
  CHECK_FALSE(fresh->apply(old));
}
