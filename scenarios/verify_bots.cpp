// The verifier's replay of the bot guards (with its own model: no domain state class). Each
// guard journals the rules it starts with and every decision with its inputs; the checks:
// - no address prefix made more joins than its rate allowed while the rule was enforced
//   (GCRA replayed here);
// - no device was let into a queue (allowed or shadowed) for more accounts than the rule's
//   limit while it was enforced;
// - every purchase paid by card (the box office's journal) was allowed by the guard first, for
//   that account and that card; the allowed checkouts of a card kept to its purchase rate; no
//   card paid for more of an event's tickets than its limit;
// - no checkout was allowed, while the risk rule was enforced, to an account flagged for
//   polling through its 429s whose join's score and the flag's weight passed `shadow_above`;
// and it tells, by account, what the guards did (for the scenario's report).

#include "domain/detail.hpp"
#include "messages/bot_guard.pb.h"
#include "messages/bots.hpp"
#include "messages/checkout.pb.h"
#include "scenarios/journals.hpp"

#include <algorithm>
#include <cstdlib>
#include <deque>
#include <map>
#include <optional>
#include <set>

namespace seatgrab::scenarios {

namespace {

constexpr int64_t minute_ms = 60'000;
constexpr int64_t hour_ms = 3'600'000;
/// The weight of a flag for polling through 429s, on top of the join's score (the guard's
/// documented risk weight).
constexpr uint32_t flag_weight = 40;

// The verdicts and actions as journaled (domain::bot_verdict, domain::bot_action).
enum : uint32_t { allow = 0, challenge = 1, step_up = 2, shadow = 3, throttle = 4, refuse = 5 };
enum : uint32_t { join_action = 0, checkout_action = 1 };
const char* const verdict_names[] = {"allow",  "challenge", "step_up",
                                     "shadow", "throttle",  "refuse"};

bool enforced(const pb::bot_rules_set& r, const char* rule) {
  auto i = r.modes().find(rule);
  return i == r.modes().end() || i->second == 0;
}

/// A GCRA cell of its own: `per` a `period_ms`, bursts of `burst`.
struct cell {
  int64_t tat = 0;
  bool conforms(int64_t now, uint32_t per, int64_t period_ms, uint32_t burst) const {
    auto t = period_ms / std::max<uint32_t>(per, 1);
    return tat - static_cast<int64_t>(std::max<uint32_t>(burst, 1) - 1) * t <= now;
  }
  void add(int64_t now, uint32_t per, int64_t period_ms) {
    tat = std::max(tat, now) + period_ms / std::max<uint32_t>(per, 1);
  }
};

/// The guard's card hash from a payment method "card:<token>:<last4>:<fingerprint>".
uint64_t card_of(const std::string& method) {
  auto colon = method.rfind(':');
  if (colon == std::string::npos || method.size() - colon - 1 < 16)
    return 0;
  auto h = std::strtoull(method.substr(colon + 1, 16).c_str(), nullptr, 16);
  return h == 0 ? 1 : h;
}

void check_event(const journals& db, const std::string& event, verdict& out) {
  auto where = [&](uint64_t seq) { return "bot_guard/" + event + "/" + std::to_string(seq); };
  auto log = db.history("bot_guard", event);
  if (!log) {
    out.violations.push_back("bot_guard/" + event + ": unreadable: " + render(log.error()));
    return;
  }
  std::optional<pb::bot_rules_set> rules;
  std::vector<std::pair<int64_t, pb::bot_rules_set>> rules_at; // in force from
  std::map<std::string, cell> prefixes;
  std::map<std::string, std::set<std::string>> devices; // device -> accounts counted
  std::map<std::string, uint64_t> joined;               // account -> shadow ticket (0: allowed)
  std::map<uint64_t, cell> purchases;                   // card -> allowed checkouts
  /// (account, card) -> the times of the checkouts allowed, each good for one purchase.
  std::map<std::pair<std::string, uint64_t>, std::deque<int64_t>> allowed;
  std::map<uint64_t, uint32_t> card_limit;    // card -> tickets allowed
  std::map<std::string, uint32_t> join_score; // account -> the score of its join
  std::set<std::string> flagged;
  for (const auto& [seq, bytes] : log->tail) {
    pb::bot_event ev;
    if (!ev.ParseFromString(bytes)) {
      out.violations.push_back(where(seq) + ": does not parse");
      continue;
    }
    ++out.bot_decisions;
    if (ev.has_rules()) {
      rules = ev.rules();
      rules_at.emplace_back(ev.at_ms(), ev.rules());
      continue;
    }
    if (ev.has_flagged()) {
      flagged.insert(ev.flagged().account());
      continue;
    }
    if (!ev.has_decided())
      continue;
    if (!rules) {
      out.violations.push_back(where(seq) + ": a decision before the guard's rules");
      return;
    }
    const auto& d = ev.decided();
    const auto& f = d.facts();
    auto t = ev.at_ms();
    bool rejoin = std::find(d.reasons().begin(), d.reasons().end(), "rejoin") != d.reasons().end();
    if (d.verdict() <= refuse)
      out.bot_outcomes[verdict_names[d.verdict()]].insert(f.account());
    if (f.action() == join_action) {
      if (rejoin) {
        // A rejoin answers as before: the same verdict, the same shadow ticket.
        auto i = joined.find(f.account());
        bool same = i != joined.end() &&
                    (i->second == 0 ? d.verdict() == allow
                                    : d.verdict() == shadow && d.shadow_ticket() == i->second);
        if (!same)
          out.violations.push_back(where(seq) + ": " + f.account() +
                                   " answered as a rejoin unlike its first join");
        continue;
      }
      if (d.verdict() == throttle)
        continue;
      if (!f.prefix().empty()) {
        auto& c = prefixes[f.prefix()];
        if (enforced(*rules, "prefix_joins") &&
            !c.conforms(t, rules->prefix_joins_per_min(), minute_ms, rules->prefix_burst()))
          out.violations.push_back(where(seq) + ": a join from " + f.prefix() +
                                   " beyond its rate of " +
                                   std::to_string(rules->prefix_joins_per_min()) + " a minute");
        c.add(t, rules->prefix_joins_per_min(), minute_ms);
      }
      auto& accounts = devices[f.device()];
      auto others = accounts.size() - accounts.count(f.account());
      if ((d.verdict() == allow || d.verdict() == shadow) && enforced(*rules, "device_accounts") &&
          others >= rules->device_accounts())
        out.violations.push_back(where(seq) + ": device " + f.device() + " let in for a " +
                                 std::to_string(others + 1) + "th account (limit " +
                                 std::to_string(rules->device_accounts()) + ")");
      if (accounts.size() < 16)
        accounts.insert(f.account());
      if (d.verdict() == allow || d.verdict() == shadow) {
        joined.emplace(f.account(), d.verdict() == shadow ? d.shadow_ticket() : 0);
        join_score.emplace(f.account(), d.score());
      }
      continue;
    }
    // A checkout.
    if (d.verdict() != allow)
      continue;
    if (enforced(*rules, "risk") && flagged.contains(f.account()) &&
        std::min<uint32_t>(100, join_score[f.account()] + flag_weight) > rules->shadow_above())
      out.violations.push_back(where(seq) + ": a checkout allowed to " + f.account() +
                               ", which polled through its 429s after a join scored " +
                               std::to_string(join_score[f.account()]));
    auto& c = purchases[f.card()];
    if (enforced(*rules, "card_purchases") &&
        !c.conforms(t, rules->card_purchases_per_hour(), hour_ms, rules->card_purchases_per_hour()))
      out.violations.push_back(where(seq) + ": a checkout allowed beyond the card's " +
                               std::to_string(rules->card_purchases_per_hour()) + " an hour");
    c.add(t, rules->card_purchases_per_hour(), hour_ms);
    allowed[{f.account(), f.card()}].push_back(t);
    if (enforced(*rules, "card_tickets"))
      card_limit[f.card()] = std::max(card_limit[f.card()], f.ticket_limit());
  }
  if (!rules)
    return; // no guard ran for this event
  // The rules in force at `t`.
  auto rules_then = [&](int64_t t) -> const pb::bot_rules_set& {
    const pb::bot_rules_set* r = &rules_at.front().second;
    for (const auto& [from, x] : rules_at)
      if (from <= t)
        r = &x;
    return *r;
  };
  // What the box office sold, against what the guard allowed.
  auto sales = db.history("checkout", event);
  if (!sales) {
    out.violations.push_back("checkout/" + event + ": unreadable: " + render(sales.error()));
    return;
  }
  struct order {
    std::string account;
    uint64_t card = 0;
    uint32_t seats = 0;
    int64_t at = 0;
  };
  std::map<std::string, order> started;
  std::map<uint64_t, uint32_t> sold; // card -> seats paid
  for (const auto& [seq, bytes] : sales->tail) {
    pb::checkout_event ev;
    if (!ev.ParseFromString(bytes))
      continue; // the main verifier reports it
    if (ev.has_started()) {
      const auto& s = ev.started();
      started[ev.order_id()] = {s.account(), card_of(s.payment_method()),
                                static_cast<uint32_t>(s.seats_size()), ev.at_ms()};
    } else if (ev.has_captured()) {
      auto i = started.find(ev.order_id());
      if (i == started.end() || i->second.card == 0)
        continue;
      const auto& o = i->second;
      ++out.guarded_purchases;
      sold[o.card] += o.seats;
      const auto& r = rules_then(o.at);
      if (!enforced(r, "card_purchases") && !enforced(r, "card_tickets") &&
          !enforced(r, "card_declines"))
        continue; // the card rules were off then
      // Each purchase takes one checkout the guard allowed before it started.
      auto a = allowed.find({o.account, o.card});
      if (a == allowed.end() || a->second.empty() || a->second.front() > o.at) {
        out.violations.push_back("checkout/" + event + "/" + std::to_string(seq) + ": order " +
                                 ev.order_id() + " paid without the bot guard's leave");
        continue;
      }
      a->second.pop_front();
    }
  }
  for (const auto& [card, seats] : sold)
    if (auto l = card_limit.find(card); l != card_limit.end() && l->second > 0 && seats > l->second)
      out.violations.push_back("checkout/" + event + ": a card paid for " + std::to_string(seats) +
                               " tickets, its limit " + std::to_string(l->second));
}

} // namespace

void verify_bots(const journals& db, verdict& out) {
  auto events = db.entities("bot_guard", out.violations);
  if (!events) {
    out.violations.push_back("bot_guard: unreadable: " + render(events.error()));
    return;
  }
  for (const auto& event : *events)
    check_event(db, event, out);
}

} // namespace seatgrab::scenarios
