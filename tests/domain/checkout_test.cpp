// Tests of the checkout saga state machine: the happy path, declines, timeouts, an expired hold,
// idempotent begin, a crash after every step (resume or compensate), replay and ownership. A
// small executor plays the coordinator actor against the simulated gateway and a section.
#include "domain/checkout.hpp"
#include "domain/payment.hpp"
#include "domain/section_state.hpp"
#include "domain/ticket.hpp"
#include "messages/ec.hpp"
#include "security/ticket_signature.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using seatgrab::ec;
using namespace seatgrab::domain;
namespace pb = seatgrab::pb;
namespace security = seatgrab::security;

namespace {

const time_point t0 = time_point{1'700'000'000'000ms};

constexpr std::string_view other_card = "5555555555554444";

ec code_of(const caf::error& err) {
  REQUIRE(err.category() == caf::atom("seatgrab"));
  return static_cast<ec>(err.code());
}

section_config small_section() {
  section_config cfg;
  cfg.event_id = "ev1";
  cfg.section_id = "s1";
  for (uint32_t i = 1; i <= 4; ++i)
    cfg.seats.push_back(seat_info{"A" + std::to_string(i), "A", i, i, 5'000});
  cfg.hold_ttl = 300'000ms;
  cfg.max_hold_total = 600'000ms;
  return cfg;
}

checkout_request request_for(std::string_view card, std::string key = "k1") {
  checkout_request req;
  req.idempotency_key = std::move(key);
  req.account = "fanA";
  req.event_id = "ev1";
  req.hold_id = "h1";
  req.sections = {"s1"};
  req.seats = {{"A1", 5'000}, {"A2", 5'000}};
  req.total = 10'000;
  req.currency = "EUR";
  req.payment_method = std::string{card};
  return req;
}

const security::ed25519_key& signing_key() {
  static const auto key = [] {
    auto k = security::ed25519_key::generate();
    REQUIRE(k);
    return *k;
  }();
  return key;
}

// The signed code of a ticket of an order: deterministic (Ed25519, issued at the capture time),
// so issuing again after a crash gives the same code.
std::string code_for(const order_view& order, const issued_ticket& t) {
  ticket_payload payload{t.ticket_id, order.event_id,
                         t.seat_id,   order.account,
                         t.version,   order.captured_at.time_since_epoch().count()};
  auto code = make_code(signing_key(), payload, nullptr, payload.issued_at_ms);
  REQUIRE(code);
  return *code;
}

// Plays the coordinator actor: performs each next action against the gateway and the section,
// reports the result to the checkout state and journals every event of all three.
struct executor {
  checkout_state co{"ev1"};
  simulated_gateway gw;
  section_state sec;
  time_point now = t0;
  std::vector<pb::checkout_event> co_log;
  std::vector<pb::payment_event> gw_log;
  std::vector<pb::section_event> sec_log;
  // Sizes of gw_log and sec_log when each checkout event was journaled.
  std::vector<std::pair<size_t, size_t>> ext_at;
  std::map<std::string, std::string> codes; // ticket id -> signed code
  int authorize_calls = 0;

  static simulated_gateway make_gateway(payment_settings settings) {
    auto gw = simulated_gateway::make(settings);
    REQUIRE(gw);
    return std::move(*gw);
  }

  static section_state make_section() {
    auto st = section_state::make(small_section());
    REQUIRE(st);
    return std::move(*st);
  }

  explicit executor(payment_settings settings = {})
      : gw(make_gateway(settings)), sec(make_section()) {
    // nop
  }

  // fanA holds A1 and A2 as hold h1 at t0.
  void place_hold() {
    auto res = sec.hold("h1", "fanA", {"A1", "A2"}, t0);
    REQUIRE(res);
    REQUIRE(res->event);
    sec_log.push_back(*res->event);
  }

  void journal(caf::expected<pb::checkout_event> ev) {
    REQUIRE(ev);
    co_log.push_back(*ev);
    ext_at.emplace_back(gw_log.size(), sec_log.size());
  }

  std::string begin(checkout_request req) {
    auto res = co.begin(std::move(req), now);
    REQUIRE(res);
    if (res->event)
      journal(*res->event);
    return res->order_id;
  }

  void take_gateway_events() {
    for (auto& ev : gw.take_events())
      gw_log.push_back(std::move(ev));
  }

  // Performs the next action of `order_id`; false if there is none.
  bool step(const std::string& order_id) {
    auto view = co.find(order_id);
    REQUIRE(view);
    switch (co.next_action(order_id)) {
    case checkout_action::authorize: {
      auto p = co.payment_for(order_id);
      REQUIRE(p);
      ++authorize_calls;
      auto res = gw.authorize(p->idempotency_key, p->payment_method, p->amount, p->currency, now);
      take_gateway_events();
      if (!res) {
        CHECK(code_of(res.error()) == ec::unavailable); // timeout: retry later
        return true;
      }
      if (res->status == payment_status::declined)
        journal(co.declined(order_id, res->decline_reason, now));
      else
        journal(co.authorized(order_id, res->payment_id, now));
      return true;
    }
    case checkout_action::confirm_seats: {
      auto sold_to_order = [&] {
        return std::all_of(view->seats.begin(), view->seats.end(), [&](const auto& s) {
          auto seat = sec.seat(s.first);
          return seat && seat->status == seat_status::sold && seat->order_id == order_id;
        });
      };
      if (sold_to_order()) { // confirmed before a crash, answer lost
        journal(co.seats_confirmed(order_id, {}, now));
        return true;
      }
      auto res = sec.confirm(view->hold_id, view->account, order_id, now);
      if (!res) {
        journal(co.seats_refused(order_id, code_of(res.error()), now));
        return true;
      }
      sec_log.push_back(res->event);
      journal(co.seats_confirmed(order_id, {}, now));
      return true;
    }
    case checkout_action::capture: {
      auto res = gw.capture(view->payment_id, now);
      take_gateway_events();
      REQUIRE(res);
      journal(co.captured(order_id, now));
      return true;
    }
    case checkout_action::issue_tickets: {
      auto tickets = co.tickets_to_issue(order_id);
      for (const auto& t : tickets)
        codes[t.ticket_id] = code_for(*view, t);
      journal(co.tickets_issued(order_id, std::move(tickets), now));
      return true;
    }
    case checkout_action::void_payment: {
      auto res = gw.void_payment(view->payment_id, now);
      take_gateway_events();
      REQUIRE(res);
      journal(co.voided(order_id, now));
      return true;
    }
    case checkout_action::none:
      return false;
    }
    return false;
  }

  // Resumes every open order until none is left.
  void run() {
    for (int i = 0; i < 100; ++i) {
      auto open = co.pending();
      if (open.empty())
        return;
      for (const auto& [order_id, action] : open)
        step(order_id);
    }
    FAIL("checkout did not finish");
  }

  // A fresh executor whose journals hold exactly the first `n_co`, `n_gw` and `n_sec` events
  // of this one, as if the node crashed then and recovered.
  executor recovered(size_t n_co, size_t n_gw, size_t n_sec) const {
    executor result{gw.settings()};
    result.now = now;
    for (size_t i = 0; i < n_co; ++i) {
      REQUIRE(!result.co.apply(co_log[i]));
      result.co_log.push_back(co_log[i]);
      result.ext_at.push_back(ext_at[i]);
    }
    // The ticket store is rebuilt from the journaled tickets.
    for (size_t i = 1; i <= result.co.size(); ++i)
      if (auto view = result.co.find("o" + std::to_string(i)))
        for (const auto& t : view->tickets)
          result.codes[t.ticket_id] = code_for(*view, t);
    for (size_t i = 0; i < n_gw; ++i) {
      REQUIRE(!result.gw.apply(gw_log[i]));
      result.gw_log.push_back(gw_log[i]);
    }
    for (size_t i = 0; i < n_sec; ++i) {
      REQUIRE(!result.sec.apply(sec_log[i]));
      result.sec_log.push_back(sec_log[i]);
    }
    return result;
  }
};

// Ids of the gateway payments authorized for `order_id`, from the gateway's journal.
std::vector<std::string> payments_of(const executor& ex, const std::string& order_id) {
  auto p = ex.co.payment_for(order_id);
  REQUIRE(p);
  std::vector<std::string> result;
  for (const auto& ev : ex.gw_log)
    if (ev.has_authorized() && ev.authorized().idempotency_key() == p->idempotency_key)
      result.push_back(ev.authorized().payment_id());
  return result;
}

bool any_seat_sold_to(const executor& ex, const std::string& order_id) {
  auto seats = ex.sec.seats();
  return std::any_of(seats.begin(), seats.end(), [&](const seat_view& s) {
    return s.status == seat_status::sold && s.order_id == order_id;
  });
}

// The saga's end state: completed with everything done, or failed with full compensation.
void check_final(const executor& ex, const std::string& order_id) {
  auto view = ex.co.find(order_id);
  REQUIRE(view);
  CHECK(ex.co.next_action(order_id) == checkout_action::none);
  auto payments = payments_of(ex, order_id);
  CHECK(payments.size() <= 1); // one key, one payment, however often retried
  if (view->step == checkout_step::completed) {
    REQUIRE(payments.size() == 1);
    CHECK(payments.front() == view->payment_id);
    auto p = ex.gw.find(view->payment_id);
    REQUIRE(p);
    CHECK(p->status == payment_status::captured);
    CHECK(p->captured_minor == view->total);
    for (const auto& [seat_id, price] : view->seats) {
      auto seat = ex.sec.seat(seat_id);
      REQUIRE(seat);
      CHECK(seat->status == seat_status::sold);
      CHECK(seat->order_id == order_id);
      CHECK(seat->price == price);
    }
    REQUIRE(view->tickets.size() == view->seats.size());
    std::set<std::string> ticket_seats;
    gate_verifier gate{"ev1", signing_key().public_bytes()};
    for (const auto& t : view->tickets) {
      ticket_seats.insert(t.seat_id);
      auto i = ex.codes.find(t.ticket_id);
      REQUIRE(i != ex.codes.end());
      ticket_payload payload;
      CHECK(gate.check(i->second, view->captured_at.time_since_epoch().count(), &payload) ==
            scan_result::valid);
      CHECK(payload.seat_id == t.seat_id);
      CHECK(payload.owner == view->account);
    }
    CHECK(ticket_seats.size() == view->seats.size());
  } else {
    REQUIRE(view->step == checkout_step::failed);
    CHECK(view->failure != ec::none);
    CHECK(view->tickets.empty());
    CHECK(!any_seat_sold_to(ex, order_id));
    for (const auto& id : payments) {
      auto p = ex.gw.find(id);
      REQUIRE(p);
      CHECK((p->status == payment_status::voided || p->status == payment_status::declined));
      CHECK(p->captured_minor == 0);
    }
  }
  // Never captured without tickets, never tickets without sold seats.
  for (const auto& ev : ex.gw_log)
    if (ev.has_captured())
      CHECK(view->step == checkout_step::completed);
  if (!view->tickets.empty())
    CHECK(any_seat_sold_to(ex, order_id));
}

// Everything the queries tell, so two states compare as values.
struct fingerprint {
  uint64_t version = 0;
  std::vector<std::pair<std::string, checkout_action>> pending;
  std::vector<order_view> orders;
  friend bool operator==(const fingerprint&, const fingerprint&) = default;
};

fingerprint fingerprint_of(const checkout_state& st) {
  fingerprint result{st.version(), st.pending(), {}};
  for (size_t i = 1; i <= st.size(); ++i) {
    auto view = st.find("o" + std::to_string(i));
    REQUIRE(view);
    result.orders.push_back(*view);
  }
  return result;
}

} // namespace

TEST_SUITE("checkout") {

  TEST_CASE("an approved card completes the checkout") {
    executor ex;
    ex.place_hold();
    auto order_id = ex.begin(request_for(approving_card));
    CHECK(order_id == "o1");
    CHECK(ex.co.next_action(order_id) == checkout_action::authorize);
    ex.run();
    auto view = ex.co.find(order_id);
    REQUIRE(view);
    CHECK(view->step == checkout_step::completed);
    CHECK(view->failure == ec::none);
    CHECK(ex.co_log.size() == 5); // started, authorized, seats_confirmed, captured, tickets_issued
    CHECK(ex.co.pending().empty());
    check_final(ex, order_id);
  }

  TEST_CASE("a declined card fails the checkout and leaves the seats held") {
    executor ex;
    ex.place_hold();
    auto order_id = ex.begin(request_for(declining_card));
    ex.run();
    auto view = ex.co.find(order_id);
    REQUIRE(view);
    CHECK(view->step == checkout_step::failed);
    CHECK(view->failure == ec::payment_declined);
    CHECK(!view->decline_reason.empty());
    CHECK(view->payment_id.empty());
    for (const auto& seat_id : {"A1", "A2"}) {
      auto seat = ex.sec.seat(seat_id);
      REQUIRE(seat);
      CHECK(seat->status == seat_status::held);
      CHECK(seat->hold_id == "h1");
    }
    CHECK(std::none_of(ex.gw_log.begin(), ex.gw_log.end(),
                       [](const pb::payment_event& ev) { return ev.has_captured(); }));
    check_final(ex, order_id);
  }

  TEST_CASE("an authorization timeout leaves the order authorizing until a retry") {
    executor ex{payment_settings{0ms, 0.0, 1.0, 7}};
    ex.place_hold();
    auto order_id = ex.begin(request_for(other_card));
    REQUIRE(ex.step(order_id));
    CHECK(ex.authorize_calls == 1);
    CHECK(ex.gw_log.size() == 1); // the provider acted although the caller got no answer
    CHECK(ex.gw_log.front().authorized().timed_out());
    CHECK(ex.co_log.size() == 1); // nothing journaled for the checkout
    CHECK(ex.co.find(order_id)->step == checkout_step::authorizing);
    CHECK(ex.co.next_action(order_id) == checkout_action::authorize);
    ex.run();
    CHECK(ex.authorize_calls == 2);
    CHECK(ex.co.find(order_id)->step == checkout_step::completed);
    CHECK(payments_of(ex, order_id).size() == 1);
    check_final(ex, order_id);
  }

  TEST_CASE("a hold that expires while paying voids the authorization") {
    executor ex;
    ex.place_hold();
    auto order_id = ex.begin(request_for(approving_card));
    ex.now = t0 + 400'000ms;    // past the hold's expires_at, the timer has not fired yet
    REQUIRE(ex.step(order_id)); // authorize
    CHECK(ex.co.find(order_id)->step == checkout_step::confirming_seats);
    REQUIRE(ex.step(order_id)); // confirm: refused
    auto view = ex.co.find(order_id);
    CHECK(view->step == checkout_step::voiding);
    CHECK(view->failure == ec::none); // not failed yet
    CHECK(ex.co.next_action(order_id) == checkout_action::void_payment);
    ex.run();
    view = ex.co.find(order_id);
    CHECK(view->step == checkout_step::failed);
    CHECK(view->failure == ec::hold_expired);
    auto p = ex.gw.find(view->payment_id);
    REQUIRE(p);
    CHECK(p->status == payment_status::voided);
    CHECK(p->captured_minor == 0);
    CHECK(!any_seat_sold_to(ex, order_id));
    check_final(ex, order_id);
  }

  TEST_CASE("begin is idempotent by key") {
    executor ex;
    ex.place_hold();
    auto first = ex.co.begin(request_for(approving_card), t0);
    REQUIRE(first);
    REQUIRE(first->event);
    CHECK(first->event->has_started());
    CHECK(first->event->version() == 1);
    auto again = ex.co.begin(request_for(approving_card), t0 + 1s);
    REQUIRE(again);
    CHECK(again->order_id == first->order_id);
    CHECK(!again->event);
    CHECK(ex.co.version() == 1);
    SUBCASE("the same key with another request is refused") {
      auto before = fingerprint_of(ex.co);
      auto other = request_for(approving_card);
      other.seats.pop_back();
      other.total = 5'000;
      auto res = ex.co.begin(other, t0);
      REQUIRE(!res);
      CHECK(code_of(res.error()) == ec::invalid_argument);
      CHECK(fingerprint_of(ex.co) == before);
      auto card = ex.co.begin(request_for(other_card), t0);
      REQUIRE(!card);
      CHECK(code_of(card.error()) == ec::invalid_argument);
      CHECK(fingerprint_of(ex.co) == before);
    }
    SUBCASE("100 retries give one order") {
      for (int i = 0; i < 100; ++i) {
        auto res = ex.co.begin(request_for(approving_card), t0 + std::chrono::seconds{i});
        REQUIRE(res);
        CHECK(res->order_id == first->order_id);
        CHECK(!res->event);
      }
      CHECK(ex.co.size() == 1);
      CHECK(ex.co.version() == 1);
      CHECK(ex.co.order_for_key("k1") == first->order_id);
    }
    SUBCASE("retries of a finished order return it") {
      ex.co_log.push_back(*first->event);
      ex.run();
      auto res = ex.co.begin(request_for(approving_card), t0);
      REQUIRE(res);
      CHECK(res->order_id == first->order_id);
      CHECK(!res->event);
      CHECK(ex.co.find(res->order_id)->step == checkout_step::completed);
    }
  }

  TEST_CASE("malformed requests are refused") {
    checkout_state co{"ev1"};
    auto refused = [&](checkout_request req) {
      auto res = co.begin(std::move(req), t0);
      REQUIRE(!res);
      CHECK(code_of(res.error()) == ec::invalid_argument);
      CHECK(co.version() == 0);
    };
    auto req = request_for(approving_card);
    req.total = 9'999;
    refused(req);
    req = request_for(approving_card);
    req.event_id = "ev2";
    refused(req);
    req = request_for(approving_card);
    req.seats.push_back(req.seats.front());
    req.total = 15'000;
    refused(req);
    req = request_for(approving_card);
    req.currency = "eur";
    refused(req);
    req = request_for(approving_card);
    req.payment_method.clear();
    refused(req);
    req = request_for(approving_card);
    req.sections.clear();
    refused(req);
    req = request_for(approving_card);
    req.idempotency_key.clear();
    refused(req);
  }

  TEST_CASE("results in the wrong step are refused and change nothing") {
    checkout_state co{"ev1"};
    auto begun = co.begin(request_for(approving_card), t0);
    REQUIRE(begun);
    auto id = begun->order_id;
    auto before = fingerprint_of(co);
    auto wrong = [&](caf::expected<pb::checkout_event> res) {
      REQUIRE(!res);
      CHECK(code_of(res.error()) == ec::invalid_argument);
      CHECK(fingerprint_of(co) == before);
    };
    wrong(co.seats_confirmed(id, {}, t0));
    wrong(co.seats_refused(id, ec::hold_expired, t0));
    wrong(co.captured(id, t0)); // never captured before seats are confirmed
    wrong(co.tickets_issued(id, co.tickets_to_issue(id), t0)); // never completed without capture
    wrong(co.voided(id, t0));
    auto unknown = co.captured("o99", t0);
    REQUIRE(!unknown);
    CHECK(code_of(unknown.error()) == ec::not_found);
    REQUIRE(co.authorized(id, "p1", t0));
    before = fingerprint_of(co);
    wrong(co.authorized(id, "p2", t0));
    wrong(co.declined(id, "card_declined", t0));
    wrong(co.captured(id, t0));
    wrong(co.seats_refused(id, ec::none, t0));
    REQUIRE(co.seats_confirmed(id, {}, t0));
    before = fingerprint_of(co);
    wrong(co.voided(id, t0)); // a void is only for an uncaptured authorization after a refusal
    wrong(co.seats_refused(id, ec::hold_expired, t0));
    REQUIRE(co.captured(id, t0));
    before = fingerprint_of(co);
    auto tickets = co.tickets_to_issue(id);
    REQUIRE(tickets.size() == 2);
    CHECK(tickets[0] == issued_ticket{"o1-1", "A1", 1});
    CHECK(tickets[1] == issued_ticket{"o1-2", "A2", 1});
    auto forged = tickets;
    forged.pop_back();
    wrong(co.tickets_issued(id, forged, t0));
    REQUIRE(co.tickets_issued(id, tickets, t0));
    CHECK(co.find(id)->step == checkout_step::completed);
    CHECK(co.next_action(id) == checkout_action::none);
  }

  TEST_CASE("apply refuses events that do not fit") {
    executor ex;
    ex.place_hold();
    auto order_id = ex.begin(request_for(approving_card));
    ex.run();
    REQUIRE(ex.co_log.size() == 5);
    checkout_state fresh{"ev1"};
    auto corrupt = [&](const pb::checkout_event& ev) {
      auto before = fingerprint_of(fresh);
      auto err = fresh.apply(ev);
      REQUIRE(err);
      CHECK(code_of(err) == ec::storage_corruption);
      CHECK(fingerprint_of(fresh) == before);
    };
    corrupt(ex.co_log[1]); // gap: no started order
    auto renamed = ex.co_log[0];
    renamed.set_order_id("o7");
    corrupt(renamed);
    REQUIRE(!fresh.apply(ex.co_log[0]));
    corrupt(ex.co_log[0]); // version repeats
    auto dup = ex.co_log[0];
    dup.set_version(2);
    dup.set_order_id("o2");
    corrupt(dup);             // same idempotency key again
    auto skip = ex.co_log[3]; // captured before authorized
    skip.set_version(2);
    corrupt(skip);
    auto refused = ex.co_log[2];
    refused.mutable_seats_refused()->set_reason("no_such_error");
    REQUIRE(!fresh.apply(ex.co_log[1]));
    refused.set_version(3);
    corrupt(refused);
    auto no_kind = ex.co_log[2];
    no_kind.clear_kind();
    corrupt(no_kind);
    for (size_t i = 2; i < ex.co_log.size(); ++i)
      REQUIRE(!fresh.apply(ex.co_log[i]));
    CHECK(fresh.find(order_id) == ex.co.find(order_id));
  }

  TEST_CASE("a crash after any step resumes or compensates") {
    auto crash_everywhere = [](std::string_view card, std::chrono::milliseconds pay_delay,
                               checkout_step expected) {
      executor full;
      full.place_hold();
      const auto base = std::make_pair(full.gw_log.size(), full.sec_log.size());
      auto order_id = full.begin(request_for(card));
      full.now = t0 + pay_delay;
      full.run();
      REQUIRE(full.co.find(order_id)->step == expected);
      check_final(full, order_id);
      const auto n = full.co_log.size();
      for (size_t k = 0; k <= n; ++k) {
        // External effects as journaled with the k-th checkout event, and additionally those of
        // the next action whose result was lost in the crash.
        auto at_k = k == 0 ? base : full.ext_at[k - 1];
        auto before_next = k < n ? full.ext_at[k] : at_k;
        for (auto ext : {at_k, before_next}) {
          CAPTURE(k);
          CAPTURE(ext.first);
          CAPTURE(ext.second);
          auto ex = full.recovered(k, ext.first, ext.second);
          if (k == 0) {
            CHECK(ex.co.pending().empty());
            CHECK(ex.co.size() == 0);
            ex.now = t0;
            auto again = ex.begin(request_for(card)); // the client retries
            CHECK(again == order_id);
            ex.now = t0 + pay_delay;
          }
          ex.run();
          auto view = ex.co.find(order_id);
          REQUIRE(view);
          CHECK(view->step == expected);
          check_final(ex, order_id);
          auto a = ex.co.find(order_id);
          auto b = full.co.find(order_id);
          REQUIRE(a);
          REQUIRE(b);
          CHECK(a->step == b->step);
          CHECK(a->failure == b->failure);
          CHECK(a->payment_id == b->payment_id);
          CHECK(a->tickets == b->tickets);
          CHECK(ex.codes == full.codes); // re-issued tickets are the same tickets
        }
      }
    };
    SUBCASE("approved") {
      crash_everywhere(approving_card, 0ms, checkout_step::completed);
    }
    SUBCASE("hold expired while paying") {
      crash_everywhere(approving_card, 400'000ms, checkout_step::failed);
    }
    SUBCASE("declined") {
      crash_everywhere(declining_card, 0ms, checkout_step::failed);
    }
  }

  TEST_CASE("replaying the journal gives the same state") {
    executor ex{payment_settings{0ms, 0.0, 1.0, 3}};
    REQUIRE(ex.sec.hold("h1", "fanA", {"A1", "A2"}, t0));
    REQUIRE(ex.sec.hold("h2", "fanB", {"A3"}, t0));
    REQUIRE(ex.sec.hold("h3", "fanC", {"A4"}, t0));
    auto o1 = ex.begin(request_for(approving_card, "ka"));
    auto b = request_for(declining_card, "kb");
    b.account = "fanB";
    b.hold_id = "h2";
    b.seats = {{"A3", 5'000}};
    b.total = 5'000;
    auto o2 = ex.begin(b);
    auto c = request_for(other_card, "kc"); // times out first
    c.account = "fanC";
    c.hold_id = "h3";
    c.seats = {{"A4", 5'000}};
    c.total = 5'000;
    auto o3 = ex.begin(c);
    REQUIRE(ex.step(o1));
    REQUIRE(ex.step(o1));
    REQUIRE(ex.step(o3)); // timed out
    auto check_replay = [&] {
      checkout_state fresh{"ev1"};
      for (const auto& ev : ex.co_log)
        REQUIRE(!fresh.apply(ev));
      CHECK(fingerprint_of(fresh) == fingerprint_of(ex.co));
      for (const auto& id : {o1, o2, o3})
        CHECK(fresh.next_action(id) == ex.co.next_action(id));
    };
    check_replay(); // mid-flight
    CHECK(ex.co.pending().size() == 3);
    ex.run();
    check_replay();
    CHECK(ex.co.find(o1)->step == checkout_step::completed);
    CHECK(ex.co.find(o2)->failure == ec::payment_declined);
    CHECK(ex.co.find(o3)->step == checkout_step::completed);
    CHECK(ex.co.version() == ex.co_log.size());
  }

  TEST_CASE("a fan cannot read another fan's order") {
    checkout_state co{"ev1"};
    auto res = co.begin(request_for(approving_card), t0);
    REQUIRE(res);
    CHECK(co.find_for(res->order_id, "fanA"));
    CHECK(!co.find_for(res->order_id, "fanB"));
    CHECK(!co.find_for(res->order_id, ""));
    CHECK(!co.find_for("o2", "fanA"));
  }

  TEST_CASE("the seats' charges: at most their locked prices, and what is captured") {
    checkout_state co{"ev1"};
    std::vector<pb::checkout_event> log;
    auto begun = co.begin(request_for(approving_card), t0);
    REQUIRE(begun);
    log.push_back(*begun->event);
    auto id = begun->order_id;
    auto auth = co.authorized(id, "p1", t0);
    REQUIRE(auth);
    log.push_back(*auth);
    auto before = fingerprint_of(co);
    auto refused = [&](std::vector<std::pair<std::string, int64_t>> charged) {
      auto res = co.seats_confirmed(id, charged, t0);
      REQUIRE(!res);
      CHECK(code_of(res.error()) == ec::invalid_argument);
      CHECK(fingerprint_of(co) == before);
    };
    refused({{"A1", 5'001}, {"A2", 4'000}}); // above the lock
    refused({{"A1", 4'000}});                // a seat missing
    refused({{"A1", 4'000}, {"A1", 4'000}}); // a seat twice
    refused({{"A1", 4'000}, {"A9", 4'000}}); // another seat
    refused({{"A1", -1}, {"A2", 4'000}});
    auto ev = co.seats_confirmed(id, {{"A2", 4'500}, {"A1", 4'000}}, t0); // any order
    REQUIRE(ev);
    log.push_back(*ev);
    auto view = co.find(id);
    REQUIRE(view);
    using seats_t = std::vector<std::pair<std::string, int64_t>>;
    CHECK(view->seats == seats_t{{"A1", 4'000}, {"A2", 4'500}});
    CHECK(view->total == 8'500);
    CHECK(view->locked_total == 10'000);
    CHECK(co.payment_for(id)->amount == 10'000); // authorized at the locked prices
    // A replay keeps the charges; a journal charging above the lock is corrupt.
    checkout_state replayed{"ev1"};
    for (const auto& e : log)
      REQUIRE(!replayed.apply(e));
    CHECK(replayed.find(id)->seats == view->seats);
    checkout_state tampered{"ev1"};
    REQUIRE(!tampered.apply(log[0]));
    REQUIRE(!tampered.apply(log[1]));
    auto over = log[2];
    over.mutable_seats_confirmed()->mutable_seats(0)->set_price(5'001);
    auto err = tampered.apply(over);
    REQUIRE(err);
    CHECK(code_of(err) == ec::storage_corruption);
  }

} // TEST_SUITE
