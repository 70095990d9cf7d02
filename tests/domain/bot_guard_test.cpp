// The bot guard's rules, each at its threshold and in shadow and off modes: joins per address
// prefix (GCRA), accounts per device, the risk bands (base, harder proof of work, step-up,
// shadow), the load-following difficulty, the card's purchases, tickets and declines; an
// account flagged for polling through its 429s, weighed at checkout; rejoins, replay and
// corrupt journals.
#include "domain/bot_guard.hpp"
#include "messages/ec.hpp"
#include "security/fingerprint.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using seatgrab::bot_rules;
using seatgrab::bot_verdict;
using seatgrab::client_facts;
using seatgrab::ec;
using seatgrab::rule_mode;
using namespace seatgrab::domain;
namespace pb = seatgrab::pb;
namespace sec = seatgrab::security;

namespace {

const time_point t0 = time_point{1'700'000'000'000ms};

/// A browser's join: its own device, a prefix of its own, the base work solved at a phone's
/// pace.
client_facts person(int i, uint32_t bits = 0) {
  client_facts f;
  f.device = "d-person-" + std::to_string(i);
  f.device_class = 1000 + static_cast<uint64_t>(i);
  f.prefix = "10." + std::to_string(i / 256) + "." + std::to_string(i % 256) + ".0/24";
  f.pow_bits = bits;
  f.pow_solve_ms = bits ? 300 : -1;
  return f;
}

bot_rules rules_with(uint32_t base_bits = 0) {
  bot_rules r;
  r.pow_base_bits = base_bits;
  return r;
}

/// Applies `ev` (made by the guard's own operation) and returns its decision.
seatgrab::bot_decision decided(const caf::expected<pb::bot_event>& ev) {
  REQUIRE_MESSAGE(ev, seatgrab::render(ev));
  return bot_guard::decision_of(*ev);
}

bool has_reason(const seatgrab::bot_decision& d, const std::string& r) {
  return std::find(d.reasons.begin(), d.reasons.end(), r) != d.reasons.end();
}

/// Journals every event a guard makes, to replay them.
struct journaled {
  bot_guard g;
  std::vector<pb::bot_event> log;

  seatgrab::bot_decision join(const std::string& account, const client_facts& f, time_point t) {
    auto ev = g.join(account, f, t);
    REQUIRE_MESSAGE(ev, seatgrab::render(ev));
    log.push_back(*ev);
    return bot_guard::decision_of(*ev);
  }
  seatgrab::bot_decision checkout(const std::string& account, uint64_t card, uint32_t seats,
                                  time_point t) {
    auto ev = g.checkout(account, card, seats, t);
    REQUIRE_MESSAGE(ev, seatgrab::render(ev));
    log.push_back(*ev);
    return bot_guard::decision_of(*ev);
  }
  void paid(const std::string& account, uint64_t card, uint32_t reserved, uint32_t bought,
            bool declined, time_point t) {
    auto ev = g.paid(account, card, reserved, bought, declined, t);
    REQUIRE_MESSAGE(ev, seatgrab::render(ev));
    log.push_back(*ev);
  }
};

} // namespace

TEST_CASE("a prefix joins 20 at once, then one every 3 s; the 21st waits and is told how long") {
  bot_guard g{"gig", rules_with(), 8};
  auto f = person(1);
  for (int i = 0; i < 20; ++i) {
    f.device = "d-" + std::to_string(i); // devices rotated from one prefix
    auto d = decided(g.join("acct-" + std::to_string(i), f, t0));
    CHECK_MESSAGE(d.verdict != bot_verdict::throttle, "join ", i);
  }
  f.device = "d-20";
  auto d = decided(g.join("acct-20", f, t0));
  CHECK(d.verdict == bot_verdict::throttle);
  CHECK(d.retry_after_s == 3);
  CHECK(has_reason(d, "prefix_joins"));
  // A throttled join does not count: 3 s later one more passes, and only one.
  CHECK(decided(g.join("acct-20", f, t0 + 3s)).verdict != bot_verdict::throttle);
  f.device = "d-21";
  CHECK(decided(g.join("acct-21", f, t0 + 3s)).verdict == bot_verdict::throttle);
  // Another prefix is not affected.
  CHECK(decided(g.join("other", person(2), t0)).verdict == bot_verdict::allow);
}

TEST_CASE("prefix joins in shadow mode are counted, not enforced; off, not even counted") {
  for (auto mode : {rule_mode::shadow, rule_mode::off}) {
    auto r = rules_with();
    r.prefix_joins_per_min = 1;
    r.prefix_burst = 1;
    r.modes["prefix_joins"] = mode;
    bot_guard g{"gig", r, 8};
    auto f = person(1);
    CHECK(decided(g.join("a", f, t0)).verdict == bot_verdict::allow);
    f.device = "d-other";
    auto d = decided(g.join("b", f, t0));
    CHECK(d.verdict != bot_verdict::throttle);
    CHECK(has_reason(d, "shadow:prefix_joins") == (mode == rule_mode::shadow));
  }
}

TEST_CASE("a device serves two accounts of an event; the third is refused") {
  bot_guard g{"gig", rules_with(), 8};
  auto f = person(1);
  CHECK(decided(g.join("a", f, t0)).verdict == bot_verdict::allow);
  auto second = decided(g.join("b", f, t0 + 1s));
  CHECK(second.score == risk_weights::device_shared);
  CHECK(has_reason(second, "risk:device_shared"));
  CHECK(second.verdict == bot_verdict::allow); // 30 at base 0: nothing harder to ask
  auto third = decided(g.join("c", f, t0 + 2s));
  CHECK(third.verdict == bot_verdict::refuse);
  CHECK(has_reason(third, "device_accounts"));
  // In shadow mode the third passes, counted.
  auto r = rules_with();
  r.modes["device_accounts"] = rule_mode::shadow;
  bot_guard s{"gig", r, 8};
  REQUIRE(decided(s.join("a", f, t0)).verdict == bot_verdict::allow);
  REQUIRE(decided(s.join("b", f, t0)).verdict == bot_verdict::allow);
  auto counted = decided(s.join("c", f, t0));
  CHECK(counted.verdict != bot_verdict::refuse);
  CHECK(has_reason(counted, "shadow:device_accounts"));
}

TEST_CASE("the risk score picks the challenge: base, harder work, step-up, shadow") {
  bot_guard g{"gig", rules_with(16), 8};
  // Below 30: the base challenge, which a join without work is asked for.
  auto plain = person(1);
  plain.pow_bits = 0;
  auto asked = decided(g.join("p1", plain, t0));
  CHECK(asked.verdict == bot_verdict::challenge);
  CHECK(asked.difficulty == 16);
  CHECK(decided(g.join("p1", person(1, 16), t0)).verdict == bot_verdict::allow);
  // 30..59 (no signals: 25, a language mismatch: 15 -> 40): four bits more.
  auto odd = person(2, 16);
  odd.anomalies = sec::no_signals | sec::language_mismatch;
  auto harder = decided(g.join("p2", odd, t0));
  CHECK(harder.score == 40);
  CHECK(harder.verdict == bot_verdict::challenge);
  CHECK(harder.difficulty == 20);
  odd.pow_bits = 20;
  odd.pow_solve_ms = 5000;
  CHECK(decided(g.join("p2", odd, t0 + 5s)).verdict == bot_verdict::allow);
  // 60..80 (a script's headers 45 + a language mismatch 15 -> 60): the step-up, and nothing
  // else passes.
  auto script = person(3, 20);
  script.anomalies = sec::script_headers | sec::language_mismatch;
  script.pow_solve_ms = 5000;
  auto step = decided(g.join("p3", script, t0));
  CHECK(step.score == 60);
  CHECK(step.verdict == bot_verdict::step_up);
  CHECK(step.difficulty == 20); // the work to bring along with the answer
  // A passed step-up answers the step-up, never the work.
  script.step_up_passed = true;
  script.pow_bits = 0;
  auto work = decided(g.join("p3", script, t0 + 30s));
  CHECK(work.verdict == bot_verdict::challenge);
  CHECK(work.difficulty == 20);
  script.pow_bits = 20;
  CHECK(decided(g.join("p3", script, t0 + 31s)).verdict == bot_verdict::allow);
  // Above 80 (a tool's agent 50 + no signals 25 + too fast 40 -> 100): shadowed, with a
  // ticket that looks like the next one and a place that never moves.
  auto tool = person(4, 16);
  tool.anomalies = sec::automation_agent | sec::no_signals;
  tool.pow_solve_ms = 0;
  auto shadowed = decided(g.join("bot", tool, t0));
  CHECK(shadowed.score == 100);
  CHECK(shadowed.verdict == bot_verdict::shadow);
  CHECK(shadowed.shadow_ticket == 4); // three joins were let in before
  auto place = g.shadow_of(shadowed.shadow_ticket, "bot");
  REQUIRE(place);
  CHECK(place->position == 4);
  CHECK_FALSE(g.shadow_of(shadowed.shadow_ticket, "p1"));
  // Joining again changes nothing: the same ticket.
  auto again = decided(g.join("bot", person(9, 16), t0 + 10s));
  CHECK(again.verdict == bot_verdict::shadow);
  CHECK(again.shadow_ticket == shadowed.shadow_ticket);
}

TEST_CASE("at each band's edge: 29 base, 30 harder, 59 harder, 60 step-up, 80 step-up, 81 shadow") {
  auto r = rules_with(16);
  // Edges moved onto the weights' sums: 25 (no signals) and 65 (script + too fast) are tested
  // above; here the thresholds themselves move.
  auto facts = person(1, 16);
  facts.anomalies = sec::no_signals; // 25
  auto at = [&](uint32_t harder, uint32_t step, uint32_t shadow) {
    r.harder_at = harder;
    r.step_up_at = step;
    r.shadow_above = shadow;
    bot_guard g{"gig", r, 8};
    return decided(g.join("a", facts, t0)).verdict;
  };
  CHECK(at(26, 60, 80) == bot_verdict::allow);     // 25 < 26: base
  CHECK(at(25, 60, 80) == bot_verdict::challenge); // 25 >= 25: harder work
  CHECK(at(20, 26, 80) == bot_verdict::challenge); // below the step-up
  CHECK(at(20, 25, 80) == bot_verdict::step_up);   // at the step-up
  CHECK(at(20, 25, 25) == bot_verdict::step_up);   // not above the shadow line
  CHECK(at(20, 24, 24) == bot_verdict::shadow);    // above it
}

TEST_CASE("the risk rule in shadow mode asks nothing beyond the base and says what it would") {
  auto r = rules_with(16);
  r.modes["risk"] = rule_mode::shadow;
  bot_guard g{"gig", r, 8};
  auto tool = person(1, 16);
  tool.anomalies = sec::automation_agent | sec::no_signals;
  tool.pow_solve_ms = 0;
  auto d = decided(g.join("bot", tool, t0));
  CHECK(d.verdict == bot_verdict::allow);
  CHECK(d.score == 100);
  CHECK(has_reason(d, "shadow:shadowed"));
}

TEST_CASE("a proof of work back faster than a phone could is noticed, from 14 bits up") {
  // With a script's headers it is enough to shadow: a browser shows neither.
  client_facts f = person(1, 16);
  f.anomalies = sec::script_headers;
  f.pow_solve_ms = 2;
  CHECK(score_of(f, {}).score == 85);
  // A phone: 300,000 hashes/s; 16 bits take 218 ms on average, a tenth is 21.8 ms.
  CHECK(solved_too_fast(16, 21));
  CHECK_FALSE(solved_too_fast(16, 22));
  CHECK_FALSE(solved_too_fast(13, 0));
  CHECK(solved_too_fast(14, 5));
  CHECK_FALSE(solved_too_fast(16, -1));
}

TEST_CASE("accounts of one device class crowding one prefix raise the score past three") {
  auto r = rules_with();
  r.prefix_burst = 100;
  r.prefix_joins_per_min = 100;
  bot_guard g{"gig", r, 8};
  auto f = person(1);
  std::vector<uint32_t> scores;
  for (int i = 0; i < 7; ++i) {
    f.device = "rotated-" + std::to_string(i);
    scores.push_back(decided(g.join("a" + std::to_string(i), f, t0 + i * 1s)).score);
  }
  CHECK(scores == std::vector<uint32_t>{0, 0, 0, 0, 15, 30, 45});
  // Capped at 45.
  f.device = "rotated-7";
  CHECK(decided(g.join("a7", f, t0 + 10s)).score == 45);
}

TEST_CASE("the base proof of work follows the joins of the last minute, up to its cap") {
  auto r = rules_with(14);
  r.pow_max_bits = 16;
  r.load_step_per_min = 10;
  r.modes["prefix_joins"] = rule_mode::off;
  r.modes["risk"] = rule_mode::off;
  bot_guard g{"gig", r, 8};
  CHECK(g.difficulty(t0) == 14);
  auto join_n = [&](int n, time_point t) {
    for (int i = 0; i < n; ++i) {
      auto f = person(i, 16);
      f.device = "load-" + std::to_string(t.time_since_epoch().count()) + "-" + std::to_string(i);
      decided(g.join(f.device, f, t));
    }
  };
  join_n(9, t0);
  CHECK(g.load_per_min(t0) == 9);
  CHECK(g.difficulty(t0) == 14);
  join_n(1, t0 + 1s);
  CHECK(g.difficulty(t0 + 1s) == 15); // at the step
  join_n(10, t0 + 2s);
  CHECK(g.difficulty(t0 + 2s) == 16); // a doubling more
  join_n(40, t0 + 3s);
  CHECK(g.difficulty(t0 + 3s) == 16); // the cap
  // A minute later the load is gone.
  CHECK(g.load_per_min(t0 + 64s) == 0);
  CHECK(g.difficulty(t0 + 64s) == 14);
}

TEST_CASE("a card makes 3 purchases an hour; the 4th waits until one is an hour old") {
  bot_guard g{"gig", rules_with(), 100};
  for (int i = 0; i < 3; ++i)
    CHECK(decided(g.checkout("a" + std::to_string(i), 42, 1, t0 + i * 1s)).verdict ==
          bot_verdict::allow);
  auto d = decided(g.checkout("a3", 42, 1, t0 + 3s));
  CHECK(d.verdict == bot_verdict::throttle);
  CHECK(has_reason(d, "card_purchases"));
  // GCRA at 3/h, burst 3: the next one conforms 20 min after the first.
  CHECK(d.retry_after_s == 20 * 60 - 3);
  CHECK(decided(g.checkout("a3", 42, 1, t0 + 20min)).verdict == bot_verdict::allow);
  // Another card is not affected.
  CHECK(decided(g.checkout("a4", 43, 1, t0 + 3s)).verdict == bot_verdict::allow);
}

TEST_CASE("a card buys the event's ticket limit across all accounts, pending ones counted") {
  auto r = rules_with();
  r.card_purchases_per_hour = 100;
  journaled j{bot_guard{"gig", r, 4}, {}};
  CHECK(j.checkout("a", 7, 2, t0).verdict == bot_verdict::allow);
  CHECK(j.checkout("b", 7, 2, t0).verdict == bot_verdict::allow); // 4 pending
  auto over = j.checkout("c", 7, 1, t0);
  CHECK(over.verdict == bot_verdict::refuse);
  CHECK(has_reason(over, "card_tickets"));
  // One checkout failed (its seats were gone): its seats no longer count.
  j.paid("b", 7, 2, 0, false, t0 + 1s);
  CHECK(j.checkout("c", 7, 1, t0 + 2s).verdict == bot_verdict::allow);
  j.paid("a", 7, 2, 2, false, t0 + 3s);
  j.paid("c", 7, 1, 1, false, t0 + 3s);
  CHECK(j.checkout("d", 7, 2, t0 + 4s).verdict == bot_verdict::refuse); // 3 bought + 2
  CHECK(j.checkout("d", 7, 1, t0 + 4s).verdict == bot_verdict::allow);  // 3 + 1 = 4
  // An explicit limit wins over the event's.
  r.card_tickets = 1;
  bot_guard one{"gig", r, 4};
  CHECK(decided(one.checkout("a", 7, 2, t0)).verdict == bot_verdict::refuse);
  // Replayed, the counts are the same: the next decisions agree.
  auto rr = rules_with();
  rr.card_purchases_per_hour = 100;
  bot_guard fresh{"gig", rr, 4};
  for (const auto& ev : j.log)
    REQUIRE_MESSAGE(!fresh.apply(ev), "replay of event ", ev.version());
  CHECK(decided(fresh.checkout("e", 7, 1, t0 + 5s)).verdict ==
        decided(j.g.checkout("e", 7, 1, t0 + 5s)).verdict);
  CHECK(fresh.version() == j.g.version());
}

TEST_CASE("three declines of a card in ten minutes hold it back until the window passes") {
  auto r = rules_with();
  r.card_purchases_per_hour = 100;
  bot_guard g{"gig", r, 100};
  for (int i = 0; i < 3; ++i) {
    REQUIRE(decided(g.checkout("a", 9, 1, t0 + i * 1s)).verdict == bot_verdict::allow);
    REQUIRE(g.paid("a", 9, 1, 0, true, t0 + i * 1s));
  }
  auto d = decided(g.checkout("a", 9, 1, t0 + 5s));
  CHECK(d.verdict == bot_verdict::throttle);
  CHECK(has_reason(d, "card_declines"));
  CHECK(d.retry_after_s == 200 - 5); // 3 in 600 s: one conforms 200 s after the first
  CHECK(decided(g.checkout("a", 9, 1, t0 + 200s)).verdict == bot_verdict::allow);
}

TEST_CASE("a flag for polling through 429s refuses a checkout only on top of a risky join") {
  auto r = rules_with(16);
  journaled j{bot_guard{"gig", r, 8}, {}};
  // A script's headers (45) with the harder work done: let in.
  auto script = person(1, 20);
  script.anomalies = sec::script_headers;
  script.pow_solve_ms = 5000;
  REQUIRE(j.join("script", script, t0).verdict == bot_verdict::allow);
  // A browser (0), also hammering its status.
  REQUIRE(j.join("person", person(2, 16), t0).verdict == bot_verdict::allow);
  // Not flagged yet: the script's checkout passes on the card rules alone.
  auto before = j.checkout("script", 7, 1, t0 + 1s);
  CHECK(before.verdict == bot_verdict::allow);
  CHECK_FALSE(has_reason(before, "risk:ignores_retry_after"));
  j.paid("script", 7, 1, 1, false, t0 + 2s);
  for (const auto* who : {"script", "person"}) {
    CHECK_FALSE(j.g.flagged(who));
    auto ev = j.g.flag(who, seatgrab::ignores_retry_after, t0 + 3s);
    REQUIRE_MESSAGE(ev, seatgrab::render(ev));
    j.log.push_back(*ev);
    CHECK(j.g.flagged(who));
  }
  // 45 + 40 = 85 > 80: refused, as a suspected bot.
  auto refused = j.checkout("script", 8, 1, t0 + 4s);
  CHECK(refused.verdict == bot_verdict::refuse);
  CHECK(refused.score == 85);
  CHECK(has_reason(refused, "risk:ignores_retry_after"));
  CHECK(has_reason(refused, "suspected_bot"));
  // 0 + 40: one signal alone never refuses.
  auto person_buys = j.checkout("person", 9, 2, t0 + 4s);
  CHECK(person_buys.verdict == bot_verdict::allow);
  CHECK(person_buys.score == 40);
  CHECK(has_reason(person_buys, "risk:ignores_retry_after"));
  CHECK_FALSE(has_reason(person_buys, "suspected_bot"));
  // Replayed, the flag and the join's score come back: the same decision.
  bot_guard fresh{"gig", r, 8};
  for (const auto& ev : j.log)
    REQUIRE_MESSAGE(!fresh.apply(ev), "replay of event ", ev.version());
  CHECK(fresh.flagged("script"));
  CHECK(decided(fresh.checkout("script", 8, 1, t0 + 5s)).verdict == bot_verdict::refuse);
  // The risk rule counting only: allowed, and said what it would have done.
  r.modes["risk"] = rule_mode::shadow;
  REQUIRE(j.g.set_rules(r, t0 + 6s));
  auto counted = decided(j.g.checkout("script", 8, 1, t0 + 6s));
  CHECK(counted.verdict == bot_verdict::allow);
  CHECK(has_reason(counted, "shadow:suspected_bot"));
  // Off: not even weighed.
  r.modes["risk"] = rule_mode::off;
  REQUIRE(j.g.set_rules(r, t0 + 7s));
  CHECK_FALSE(
      has_reason(decided(j.g.checkout("script", 8, 1, t0 + 7s)), "risk:ignores_retry_after"));
  // Only accounts let in: a stranger, or a shadowed one, has nothing to check out.
  CHECK(seatgrab::ec_of(j.g.flag("stranger", seatgrab::ignores_retry_after, t0 + 8s).error()) ==
        ec::unknown_ticket);
  // Only known signals; a journal with another one is corruption.
  CHECK_FALSE(j.g.flag("script", "too_handsome", t0 + 8s));
  pb::bot_event bad;
  bad.set_version(j.g.version() + 1);
  bad.mutable_flagged()->set_account("x");
  bad.mutable_flagged()->set_signal("too_handsome");
  auto err = j.g.apply(bad);
  REQUIRE(err);
  CHECK(static_cast<ec>(err.code()) == ec::storage_corruption);
}

TEST_CASE("joins replayed from the journal rebuild the counters: the same decisions follow") {
  auto r = rules_with(16);
  journaled j{bot_guard{"gig", r, 8}, {}};
  auto f = person(1, 16);
  for (int i = 0; i < 25; ++i) {
    f.device = "d" + std::to_string(i % 3);
    j.join("acct" + std::to_string(i), f, t0 + i * 100ms);
  }
  auto tool = person(7, 16);
  tool.anomalies = sec::automation_agent | sec::no_signals;
  tool.pow_solve_ms = 0;
  auto shadowed = j.join("bot", tool, t0 + 3s);
  REQUIRE(shadowed.verdict == bot_verdict::shadow);
  bot_guard fresh{"gig", r, 8};
  for (const auto& ev : j.log)
    REQUIRE_MESSAGE(!fresh.apply(ev), "replay of event ", ev.version());
  auto a = fresh.info(t0 + 4s);
  auto b = j.g.info(t0 + 4s);
  CHECK(a.verdicts == b.verdicts);
  CHECK(a.reasons == b.reasons);
  CHECK(a.shadowed == 1);
  CHECK(fresh.shadow_of(shadowed.shadow_ticket, "bot"));
  f.device = "d0";
  CHECK(bot_guard::decision_of(*fresh.join("late", f, t0 + 4s)).verdict ==
        bot_guard::decision_of(*j.g.join("late", f, t0 + 4s)).verdict);
}

TEST_CASE("the operator's rules are checked field by field; a bad journal is corruption") {
  bot_guard g{"gig", rules_with(), 8};
  auto r = rules_with();
  r.harder_at = 70;
  auto bad = g.set_rules(r, t0);
  REQUIRE_FALSE(bad);
  CHECK(seatgrab::render(bad).find("harder_at") != std::string::npos);
  r = rules_with();
  r.modes["no_such_rule"] = rule_mode::shadow;
  CHECK(seatgrab::render(g.set_rules(r, t0)).find("modes.no_such_rule") != std::string::npos);
  r = rules_with();
  r.device_accounts = 17; // a device keeps 16 accounts in mind
  CHECK(seatgrab::render(g.set_rules(r, t0)).find("device_accounts") != std::string::npos);
  r = rules_with();
  r.pow_max_bits = 30;
  CHECK(seatgrab::render(g.set_rules(r, t0)).find("pow_max_bits") != std::string::npos);
  CHECK(g.version() == 0); // nothing changed
  r = rules_with();
  r.prefix_burst = 1;
  REQUIRE(g.set_rules(r, t0));
  CHECK(g.rules().prefix_burst == 1);
  // A paid record claiming more seats than reserved does not replay.
  pb::bot_event ev;
  ev.set_version(g.version() + 1);
  ev.mutable_paid()->set_card(1);
  ev.mutable_paid()->set_seats(1);
  ev.mutable_paid()->set_bought(2);
  REQUIRE(g.checkout("a", 1, 1, t0));
  ev.set_version(g.version() + 1);
  auto err = g.apply(ev);
  REQUIRE(err);
  CHECK(static_cast<ec>(err.code()) == ec::storage_corruption);
  // The operation itself refuses it.
  CHECK_FALSE(g.paid("a", 1, 1, 2, false, t0));
}
