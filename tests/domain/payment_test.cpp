// Tests of the simulated payment provider: test cards, card validation, idempotent
// authorization, capture/void/refund transitions, seeded declines and timeouts, replay.
#include "domain/payment.hpp"
#include "messages/ec.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using seatgrab::ec;
using namespace seatgrab::domain;
namespace pb = seatgrab::pb;

namespace {

const time_point t0 = time_point{1'700'000'000'000ms};

// Mastercard test number: 16 digits, Luhn-valid, not one of the two special cards.
constexpr std::string_view other_card = "5555555555554444";

ec code_of(const caf::error& err) {
  REQUIRE(err.category() == caf::atom("seatgrab"));
  return static_cast<ec>(err.code());
}

simulated_gateway make_gateway(payment_settings settings = {}) {
  auto gw = simulated_gateway::make(settings);
  REQUIRE(gw);
  return std::move(*gw);
}

// Authorizes and expects an answer (approved or declined).
payment_result authorized(simulated_gateway& gw, std::string key, std::string_view card,
                          int64_t amount = 10'000) {
  auto res = gw.authorize(std::move(key), std::string{card}, amount, "EUR", t0);
  REQUIRE(res);
  return *res;
}

// Expects `res` to fail with `code`.
void check_fails(const caf::expected<payment_result>& res, ec code) {
  REQUIRE_FALSE(res);
  CHECK(code_of(res.error()) == code);
}

simulated_gateway replayed(const std::vector<pb::payment_event>& events,
                           payment_settings settings = {}) {
  auto gw = make_gateway(settings);
  for (const auto& ev : events)
    REQUIRE_FALSE(gw.apply(ev));
  return gw;
}

} // namespace

TEST_CASE("Stripe's test cards approve and decline") {
  auto gw = make_gateway({250ms, 0, 0, 1});
  auto ok = authorized(gw, "k1", approving_card, 12'345);
  CHECK(ok.payment_id == "p1");
  CHECK(ok.status == payment_status::authorized);
  CHECK(ok.amount_minor == 12'345);
  CHECK(ok.captured_minor == 0);
  CHECK(ok.currency == "EUR");
  CHECK(ok.card_last4 == "4242");
  CHECK(ok.decline_reason.empty());
  CHECK(ok.latency == 250ms);
  auto no = authorized(gw, "k2", declining_card);
  CHECK(no.payment_id == "p2");
  CHECK(no.status == payment_status::declined);
  CHECK(no.decline_reason == "generic_decline");
  CHECK(no.card_last4 == "0002");
  auto events = gw.take_events();
  REQUIRE(events.size() == 2);
  CHECK(events[0].version() == 1);
  CHECK(events[0].authorized().payment_id() == "p1");
  CHECK_FALSE(events[0].authorized().declined());
  CHECK(events[1].version() == 2);
  CHECK(events[1].authorized().declined());
  CHECK(gw.take_events().empty());
  // The journal keeps the last four digits only.
  for (const auto& ev : events)
    for (auto card : {approving_card, declining_card})
      CHECK(ev.SerializeAsString().find(card) == std::string::npos);
}

TEST_CASE("other Luhn-valid 16-digit cards approve by default") {
  auto gw = make_gateway();
  for (auto card : {other_card, std::string_view{"4000056655665556"}}) {
    CAPTURE(card);
    CHECK(authorized(gw, std::string{card}, card).status == payment_status::authorized);
  }
}

TEST_CASE("malformed cards, amounts, currencies and keys are invalid_argument") {
  auto gw = make_gateway();
  auto try_auth = [&](std::string key, std::string card, int64_t amount, std::string currency) {
    return gw.authorize(std::move(key), std::move(card), amount, std::move(currency), t0);
  };
  for (std::string card :
       {"", "424242424242424", "42424242424242424", "4242424242424241", "4242 4242 4242 4242",
        "424242424242424a", "-242424242424242", "4000000000000001"}) {
    CAPTURE(card);
    check_fails(try_auth("k", card, 1000, "EUR"), ec::invalid_argument);
  }
  for (int64_t amount : {int64_t{0}, int64_t{-1}, std::numeric_limits<int64_t>::min()})
    check_fails(try_auth("k", std::string{approving_card}, amount, "EUR"), ec::invalid_argument);
  for (std::string currency : {"", "eur", "EU", "EURO", "E1R", "Eur"})
    check_fails(try_auth("k", std::string{approving_card}, 1000, currency), ec::invalid_argument);
  check_fails(try_auth("", std::string{approving_card}, 1000, "EUR"), ec::invalid_argument);
  check_fails(try_auth(std::string("k\0", 2), std::string{approving_card}, 1000, "EUR"),
              ec::invalid_argument);
  check_fails(try_auth(std::string(256, 'k'), std::string{approving_card}, 1000, "EUR"),
              ec::invalid_argument);
  CHECK(gw.version() == 0);
  CHECK(gw.take_events().empty());
  CHECK_FALSE(gw.find("p1"));
}

TEST_CASE("authorize is idempotent by key") {
  auto gw = make_gateway();
  auto first = authorized(gw, "order-1", approving_card, 5000);
  REQUIRE(gw.take_events().size() == 1);
  auto again = authorized(gw, "order-1", approving_card, 5000);
  CHECK(again == first);
  CHECK(gw.take_events().empty());
  check_fails(gw.authorize("order-1", std::string{approving_card}, 5001, "EUR", t0),
              ec::invalid_argument);
  check_fails(gw.authorize("order-1", std::string{approving_card}, 5000, "USD", t0),
              ec::invalid_argument);
  // Declines are outcomes too: a retry sees the same decline, not a fresh draw.
  auto declined = authorized(gw, "order-2", declining_card, 5000);
  CHECK(authorized(gw, "order-2", declining_card, 5000) == declined);
  // Another key is another payment.
  CHECK(authorized(gw, "order-3", approving_card, 5000).payment_id == "p3");
  CHECK(gw.version() == 3);
}

TEST_CASE("capture, void and refund follow the payment's state machine") {
  auto gw = make_gateway();
  payment_gateway& api = gw; // the engine sees only the interface
  auto a = authorized(gw, "a", approving_card, 8000).payment_id;
  auto b = authorized(gw, "b", approving_card, 8000).payment_id;
  auto d = authorized(gw, "d", declining_card, 8000).payment_id;
  REQUIRE(gw.take_events().size() == 3);

  SUBCASE("authorized -> captured; a second capture returns it unchanged") {
    auto cap = api.capture(a, t0);
    REQUIRE(cap);
    CHECK(cap->status == payment_status::captured);
    CHECK(cap->captured_minor == 8000);
    CHECK(gw.take_events().size() == 1);
    auto again = api.capture(a, t0);
    REQUIRE(again);
    CHECK(*again == *cap);
    CHECK(gw.take_events().empty());
    check_fails(api.void_payment(a, t0), ec::invalid_argument);
  }
  SUBCASE("authorized -> voided; a second void returns it unchanged") {
    auto vo = api.void_payment(b, t0);
    REQUIRE(vo);
    CHECK(vo->status == payment_status::voided);
    CHECK(vo->captured_minor == 0);
    CHECK(gw.take_events().size() == 1);
    auto again = api.void_payment(b, t0);
    REQUIRE(again);
    CHECK(*again == *vo);
    CHECK(gw.take_events().empty());
    check_fails(api.capture(b, t0), ec::invalid_argument);
    check_fails(api.refund(b, 100, t0), ec::invalid_argument);
  }
  SUBCASE("authorized payments cannot be refunded; declined ones go nowhere") {
    check_fails(api.refund(a, 100, t0), ec::invalid_argument);
    check_fails(api.capture(d, t0), ec::invalid_argument);
    check_fails(api.void_payment(d, t0), ec::invalid_argument);
    check_fails(api.refund(d, 100, t0), ec::invalid_argument);
    CHECK(gw.find(a)->status == payment_status::authorized);
    CHECK(gw.find(d)->status == payment_status::declined);
    CHECK(gw.take_events().empty());
  }
  SUBCASE("unknown payments are not_found") {
    check_fails(api.capture("p99", t0), ec::not_found);
    check_fails(api.void_payment("p99", t0), ec::not_found);
    check_fails(api.refund("p99", 100, t0), ec::not_found);
    check_fails(api.capture("", t0), ec::not_found);
  }
}

TEST_CASE("a capture may take less than was authorized (a price that fell), never more") {
  auto gw = make_gateway();
  auto id = authorized(gw, "k", approving_card, 10'000).payment_id;
  check_fails(gw.capture(id, t0, 10'001), ec::invalid_argument);
  check_fails(gw.capture(id, t0, 0), ec::invalid_argument);
  CHECK(gw.find(id)->status == payment_status::authorized);
  auto cap = gw.capture(id, t0, 8'500);
  REQUIRE(cap);
  CHECK(gw.find(id)->captured_minor == 8'500);
  check_fails(gw.refund(id, 8'501, t0), ec::invalid_argument); // refunds up to what was taken
  CHECK(gw.refund(id, 8'500, t0));
}

TEST_CASE("partial refunds add up to the captured amount and no further") {
  auto gw = make_gateway();
  auto id = authorized(gw, "k", approving_card, 10'000).payment_id;
  REQUIRE(gw.capture(id, t0));
  check_fails(gw.refund(id, 0, t0), ec::invalid_argument);
  check_fails(gw.refund(id, -5, t0), ec::invalid_argument);
  check_fails(gw.refund(id, 10'001, t0), ec::invalid_argument);
  auto r1 = gw.refund(id, 3000, t0 + 1s);
  REQUIRE(r1);
  CHECK(r1->status == payment_status::captured); // partly refunded
  CHECK(r1->refunded_minor == 3000);
  check_fails(gw.refund(id, 7001, t0), ec::invalid_argument);
  auto r2 = gw.refund(id, 6999, t0 + 2s);
  REQUIRE(r2);
  CHECK(r2->status == payment_status::captured);
  CHECK(r2->refunded_minor == 9999);
  auto r3 = gw.refund(id, 1, t0 + 3s);
  REQUIRE(r3);
  CHECK(r3->status == payment_status::refunded);
  CHECK(r3->refunded_minor == 10'000);
  check_fails(gw.refund(id, 1, t0), ec::invalid_argument);
  check_fails(gw.capture(id, t0), ec::invalid_argument);
  check_fails(gw.void_payment(id, t0), ec::invalid_argument);
  auto events = gw.take_events();
  REQUIRE(events.size() == 5); // authorized, captured, three refunds
  CHECK(events[4].refunded().amount_minor() == 1);
}

TEST_CASE("seeded declines hit the configured rate and repeat for the same seed") {
  constexpr int draws = 2000;
  auto run = [&](uint64_t seed) {
    auto gw = make_gateway({0ms, 0.3, 0, seed});
    std::vector<bool> declined;
    for (int i = 0; i < draws; ++i)
      declined.push_back(authorized(gw, "order-" + std::to_string(i), other_card, 1000).status ==
                         payment_status::declined);
    return declined;
  };
  auto a = run(42);
  auto n = std::count(a.begin(), a.end(), true);
  CAPTURE(n);
  CHECK(std::abs(static_cast<double>(n) / draws - 0.3) <= 0.05);
  CHECK(run(42) == a);
  auto b = run(43);
  CHECK(b != a);
  auto m = std::count(b.begin(), b.end(), true);
  CHECK(std::abs(static_cast<double>(m) / draws - 0.3) <= 0.05);
  // The test cards ignore the rate.
  auto gw = make_gateway({0ms, 1.0, 0, 42});
  CHECK(authorized(gw, "x", approving_card).status == payment_status::authorized);
  CHECK(authorized(gw, "y", other_card).status == payment_status::declined);
  CHECK(authorized(gw, "z", other_card).decline_reason == "insufficient_funds");
}

TEST_CASE("a timeout records the outcome; a retry with the same key returns it") {
  auto gw = make_gateway({100ms, 0, 1.0, 7});
  auto first = gw.authorize("order-1", std::string{other_card}, 4200, "EUR", t0);
  check_fails(first, ec::unavailable);
  // Although the caller got no answer, the provider acted, and the journal says so.
  auto events = gw.take_events();
  REQUIRE(events.size() == 1);
  CHECK(events[0].authorized().timed_out());
  CHECK(events[0].authorized().payment_id() == "p1");
  REQUIRE(gw.find("p1"));
  auto retry = gw.authorize("order-1", std::string{other_card}, 4200, "EUR", t0 + 1s);
  REQUIRE(retry);
  CHECK(retry->payment_id == "p1");
  CHECK(retry->status == payment_status::authorized);
  CHECK(retry->latency == 100ms);
  CHECK(gw.take_events().empty());
  // The definite outcome can be acted on: here, released.
  REQUIRE(gw.void_payment("p1", t0 + 2s));
  // A retry must match the original request.
  check_fails(gw.authorize("order-1", std::string{other_card}, 4300, "EUR", t0),
              ec::invalid_argument);
  // The test cards never time out.
  CHECK(authorized(gw, "order-2", approving_card).status == payment_status::authorized);
  CHECK(authorized(gw, "order-3", declining_card).status == payment_status::declined);
}

TEST_CASE("a timed-out decline is a decline on retry") {
  auto gw = make_gateway({0ms, 1.0, 1.0, 7});
  check_fails(gw.authorize("k", std::string{other_card}, 100, "EUR", t0), ec::unavailable);
  auto retry = gw.authorize("k", std::string{other_card}, 100, "EUR", t0);
  REQUIRE(retry);
  CHECK(retry->status == payment_status::declined);
}

TEST_CASE("timeouts hit their rate independently of declines") {
  auto gw = make_gateway({0ms, 0.3, 0.2, 99});
  int timeouts = 0;
  int declines = 0;
  for (int i = 0; i < 2000; ++i) {
    auto key = "k" + std::to_string(i);
    auto res = gw.authorize(key, std::string{other_card}, 100, "EUR", t0);
    if (!res) {
      REQUIRE(code_of(res.error()) == ec::unavailable);
      ++timeouts;
      res = gw.authorize(key, std::string{other_card}, 100, "EUR", t0);
      REQUIRE(res);
    }
    declines += res->status == payment_status::declined ? 1 : 0;
  }
  CAPTURE(timeouts);
  CAPTURE(declines);
  CHECK(std::abs(timeouts / 2000.0 - 0.2) <= 0.05);
  CHECK(std::abs(declines / 2000.0 - 0.3) <= 0.05);
}

TEST_CASE("replaying the events rebuilds an equal ledger") {
  const payment_settings settings{0ms, 0.3, 0.2, 5};
  auto gw = make_gateway(settings);
  std::vector<pb::payment_event> journal;
  auto keep = [&] {
    for (auto& ev : gw.take_events())
      journal.push_back(std::move(ev));
  };
  std::vector<std::string> approved;
  for (int i = 0; i < 50; ++i) {
    auto key = "k" + std::to_string(i);
    auto res = gw.authorize(key, std::string{other_card}, 1000 + i, "EUR", t0 + i * 1s);
    keep(); // timeouts change the ledger too
    if (!res)
      res = gw.authorize(key, std::string{other_card}, 1000 + i, "EUR", t0 + i * 1s);
    REQUIRE(res);
    keep();
    if (res->status == payment_status::authorized)
      approved.push_back(res->payment_id);
  }
  REQUIRE(approved.size() >= 10);
  for (size_t i = 0; i < approved.size(); ++i) {
    if (i % 3 == 0) {
      REQUIRE(gw.void_payment(approved[i], t0 + 1h));
    } else {
      REQUIRE(gw.capture(approved[i], t0 + 1h));
      if (i % 3 == 2)
        REQUIRE(gw.refund(approved[i], 500, t0 + 2h));
    }
    keep();
  }
  for (uint64_t i = 0; i < journal.size(); ++i)
    CHECK(journal[i].version() == i + 1);
  auto copy = replayed(journal, settings);
  CHECK(copy == gw);
  for (size_t i = 1; i <= 50; ++i) {
    auto id = "p" + std::to_string(i);
    CHECK(copy.find(id) == gw.find(id));
  }
  auto prefix = journal;
  prefix.pop_back();
  CHECK_FALSE(replayed(prefix, settings) == gw);
  // The replayed ledger keeps working: known keys replay, new payments continue the ids.
  auto again = copy.authorize("k0", std::string{other_card}, 1000, "EUR", t0);
  REQUIRE(again);
  CHECK(again->payment_id == "p1");
  CHECK(authorized(copy, "new", approving_card).payment_id == "p51");
}

TEST_CASE("apply rejects events that do not fit, changing nothing") {
  auto gw = make_gateway();
  authorized(gw, "a", approving_card, 1000);
  authorized(gw, "b", declining_card, 1000);
  REQUIRE(gw.take_events().size() == 2);
  auto base = gw;
  auto next = [&] {
    pb::payment_event ev;
    ev.set_version(base.version() + 1);
    ev.set_at_ms(t0.time_since_epoch().count());
    return ev;
  };
  auto rejects = [&](const pb::payment_event& ev) {
    auto copy = base;
    auto err = copy.apply(ev);
    REQUIRE(err);
    CHECK(code_of(err) == ec::storage_corruption);
    CHECK(copy == base);
  };
  auto auth = [&](std::string id, std::string key) {
    auto ev = next();
    auto* x = ev.mutable_authorized();
    x->set_payment_id(std::move(id));
    x->set_idempotency_key(std::move(key));
    x->set_amount_minor(1000);
    x->set_currency("EUR");
    x->set_card_last4("4242");
    return ev;
  };
  rejects(next());          // no kind
  rejects(auth("p4", "c")); // not the next id
  rejects(auth("p3", "a")); // key already used
  auto stale = auth("p3", "c");
  stale.set_version(base.version());
  rejects(stale);
  auto captured = next();
  captured.mutable_captured()->set_payment_id("p2"); // declined
  captured.mutable_captured()->set_amount_minor(1000);
  rejects(captured);
  captured.mutable_captured()->set_payment_id("p1");
  captured.mutable_captured()->set_amount_minor(1001); // above the authorized amount
  rejects(captured);
  captured.mutable_captured()->set_amount_minor(0); // nothing
  rejects(captured);
  auto refunded = next();
  refunded.mutable_refunded()->set_payment_id("p1"); // not captured
  refunded.mutable_refunded()->set_amount_minor(1);
  rejects(refunded);
  auto copy = base;
  CHECK_FALSE(copy.apply(auth("p3", "c")));
}

TEST_CASE("settings are validated") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (auto s : {payment_settings{0ms, -0.1, 0, 1}, payment_settings{0ms, 1.1, 0, 1},
                 payment_settings{0ms, nan, 0, 1}, payment_settings{0ms, 0, 2, 1},
                 payment_settings{0ms, 0, nan, 1}, payment_settings{-1ms, 0, 0, 1}}) {
    auto gw = simulated_gateway::make(s);
    REQUIRE_FALSE(gw);
    CHECK(code_of(gw.error()) == ec::invalid_argument);
  }
  CHECK(simulated_gateway::make({0ms, 1, 1, 0}));
  CHECK(to_string(payment_status::refunded) == "refunded");
}
