#include "domain/bot_guard.hpp"

#include "security/fingerprint.hpp"

#include <algorithm>
#include <bit>
#include <cstdio>

namespace seatgrab::domain {

namespace {

constexpr int64_t minute_ms = 60'000;
constexpr int64_t hour_ms = 3'600'000;

// The rules <-> their journal record.
pb::bot_rules_set to_pb(const bot_rules& r) {
  pb::bot_rules_set out;
  out.set_prefix_joins_per_min(r.prefix_joins_per_min);
  out.set_prefix_burst(r.prefix_burst);
  out.set_device_accounts(r.device_accounts);
  out.set_card_purchases_per_hour(r.card_purchases_per_hour);
  out.set_card_tickets(r.card_tickets);
  out.set_card_declines(r.card_declines);
  out.set_card_decline_window_s(r.card_decline_window_s);
  out.set_harder_at(r.harder_at);
  out.set_step_up_at(r.step_up_at);
  out.set_shadow_above(r.shadow_above);
  out.set_pow_base_bits(r.pow_base_bits);
  out.set_pow_max_bits(r.pow_max_bits);
  out.set_pow_harder_bits(r.pow_harder_bits);
  out.set_load_step_per_min(r.load_step_per_min);
  for (const auto& [name, mode] : r.modes)
    (*out.mutable_modes())[name] = static_cast<uint32_t>(mode);
  return out;
}

bot_rules from_pb(const pb::bot_rules_set& x) {
  bot_rules r;
  r.prefix_joins_per_min = x.prefix_joins_per_min();
  r.prefix_burst = x.prefix_burst();
  r.device_accounts = x.device_accounts();
  r.card_purchases_per_hour = x.card_purchases_per_hour();
  r.card_tickets = x.card_tickets();
  r.card_declines = x.card_declines();
  r.card_decline_window_s = x.card_decline_window_s();
  r.harder_at = x.harder_at();
  r.step_up_at = x.step_up_at();
  r.shadow_above = x.shadow_above();
  r.pow_base_bits = x.pow_base_bits();
  r.pow_max_bits = x.pow_max_bits();
  r.pow_harder_bits = x.pow_harder_bits();
  r.load_step_per_min = x.load_step_per_min();
  for (const auto& [name, mode] : x.modes())
    r.modes[name] = static_cast<rule_mode>(mode);
  return r;
}

void add_reason(std::vector<std::string>& reasons, rule_mode mode, std::string_view name) {
  reasons.push_back(mode == rule_mode::shadow ? "shadow:" + std::string{name} : std::string{name});
}

std::string class_key(uint64_t cls, const std::string& prefix) {
  return std::to_string(cls) + "|" + prefix;
}

std::string card_hex(uint64_t card) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(card));
  return buf;
}

template <class Map>
std::vector<offender> top_of(const Map& m, size_t n) {
  std::vector<offender> out;
  if (n == 0)
    return out;
  // A bounded heap of the n largest: the maps may hold a million keys in a storm.
  auto worse = [](const offender& x, const offender& y) {
    return x.count != y.count ? x.count > y.count : x.key < y.key;
  };
  for (const auto& [k, v] : m) {
    if (out.size() < n) {
      out.push_back({k, v});
      std::push_heap(out.begin(), out.end(), worse);
    } else if (worse({k, v}, out.front())) {
      std::pop_heap(out.begin(), out.end(), worse);
      out.back() = {k, v};
      std::push_heap(out.begin(), out.end(), worse);
    }
  }
  std::sort_heap(out.begin(), out.end(), worse);
  return out;
}

} // namespace

std::string_view name_of(bot_rule r) noexcept {
  switch (r) {
  case bot_rule::prefix_joins:
    return "prefix_joins";
  case bot_rule::device_accounts:
    return "device_accounts";
  case bot_rule::card_purchases:
    return "card_purchases";
  case bot_rule::card_tickets:
    return "card_tickets";
  case bot_rule::card_declines:
    return "card_declines";
  case bot_rule::risk:
    return "risk";
  }
  return "unknown";
}

rule_mode mode_of(const bot_rules& rules, bot_rule r) {
  auto i = rules.modes.find(std::string{name_of(r)});
  return i == rules.modes.end() ? rule_mode::enforce : i->second;
}

caf::error check(const bot_rules& r) {
  auto bad = [](const std::string& field, const std::string& why) {
    return caf::make_error(ec::invalid_input, field + ": " + why);
  };
  for (const auto& entry : r.modes) {
    // Named, not a structured binding: clang 14 cannot capture those in a lambda.
    const auto& name = entry.first;
    const auto& mode = entry.second;
    if (std::none_of(all_bot_rules.begin(), all_bot_rules.end(),
                     [&](bot_rule x) { return name_of(x) == name; }))
      return bad("modes." + name, "no such rule");
    if (static_cast<uint8_t>(mode) > static_cast<uint8_t>(rule_mode::off))
      return bad("modes." + name, "enforce, shadow or off");
  }
  if (r.prefix_joins_per_min == 0 || r.prefix_joins_per_min > 100'000)
    return bad("prefix_joins_per_min", "1..100000 (set its mode to off instead of 0)");
  if (r.prefix_burst == 0 || r.prefix_burst > 100'000)
    return bad("prefix_burst", "1..100000");
  if (r.device_accounts == 0 || r.device_accounts > 16)
    return bad("device_accounts", "1..16");
  if (r.card_purchases_per_hour == 0 || r.card_purchases_per_hour > 1000)
    return bad("card_purchases_per_hour", "1..1000");
  if (r.card_tickets > 1000)
    return bad("card_tickets", "0..1000 (0: the event's ticket limit)");
  if (r.card_declines == 0 || r.card_declines > 1000)
    return bad("card_declines", "1..1000");
  if (r.card_decline_window_s == 0 || r.card_decline_window_s > 86'400)
    return bad("card_decline_window_s", "1..86400");
  if (!(r.harder_at <= r.step_up_at && r.step_up_at <= r.shadow_above && r.shadow_above <= 100))
    return bad("harder_at", "harder_at <= step_up_at <= shadow_above <= 100");
  if (r.pow_max_bits > 24)
    return bad("pow_max_bits", "at most 24 (a phone must solve the base in about a second)");
  if (r.pow_base_bits > r.pow_max_bits)
    return bad("pow_base_bits", "at most pow_max_bits");
  if (r.pow_harder_bits > 8)
    return bad("pow_harder_bits", "at most 8");
  if (r.load_step_per_min == 0)
    return bad("load_step_per_min", "at least 1");
  return {};
}

bool solved_too_fast(uint32_t bits, int64_t solve_ms) noexcept {
  if (bits < 14 || solve_ms < 0)
    return false; // too little work to tell anything by
  auto phone_ms =
      static_cast<double>(uint64_t{1} << bits) * 1000.0 / static_cast<double>(phone_hashes_per_s);
  return static_cast<double>(solve_ms) < phone_ms / 10.0;
}

risk_score score_of(const client_facts& facts, const join_context& ctx) {
  risk_score out;
  auto add = [&](bool cond, uint32_t weight, const char* why) {
    if (!cond)
      return;
    out.score += weight;
    out.reasons.emplace_back(why);
  };
  using w = risk_weights;
  namespace s = security;
  add(facts.anomalies & s::automation_agent, w::automation_agent, "automation_agent");
  add(facts.anomalies & s::script_headers, w::script_headers, "script_headers");
  add(facts.anomalies & s::no_signals, w::no_signals, "no_signals");
  add(facts.anomalies & s::platform_mismatch, w::platform_mismatch, "platform_mismatch");
  add(facts.anomalies & s::language_mismatch, w::language_mismatch, "language_mismatch");
  add(facts.anomalies & s::no_accept_language, w::no_accept_language, "no_accept_language");
  add(solved_too_fast(facts.pow_bits, facts.pow_solve_ms), w::fast_solve, "fast_solve");
  add(ctx.other_accounts_on_device > 0, w::device_shared, "device_shared");
  if (ctx.accounts_in_class > 3) {
    out.score += std::min(w::class_crowd_max, w::class_crowd * (ctx.accounts_in_class - 3));
    out.reasons.emplace_back("class_crowd");
  }
  add(ctx.busy_prefix, w::busy_prefix, "busy_prefix");
  out.score = std::min<uint32_t>(out.score, 100);
  return out;
}

bot_guard::bot_guard(std::string event_id, bot_rules rules, uint32_t ticket_limit)
    : event_id_(std::move(event_id)), rules_(std::move(rules)), ticket_limit_(ticket_limit) {}

std::span<const bot_guard::kind_handler> bot_guard::handlers() {
  static const kind_handler table[] = {
      {pb::bot_event::kDecided, &on_decided},
      {pb::bot_event::kPaid, &on_paid},
      {pb::bot_event::kRules, &on_rules},
      {pb::bot_event::kFlagged, &on_flagged},
  };
  return table;
}

int64_t bot_guard::wait_ms(const gcra& g, int64_t now, uint32_t per, int64_t period_ms,
                           uint32_t burst) {
  // Emission interval T = period / per; a cell conforms when tat - (burst - 1) * T <= now.
  auto t = period_ms / std::max<uint32_t>(per, 1);
  auto tolerance = static_cast<int64_t>(std::max<uint32_t>(burst, 1) - 1) * t;
  auto earliest = g.tat_ms - tolerance;
  return earliest <= now ? 0 : earliest - now;
}

void bot_guard::add(gcra& g, int64_t now, uint32_t per, int64_t period_ms) {
  auto t = period_ms / std::max<uint32_t>(per, 1);
  g.tat_ms = std::max(g.tat_ms, now) + t;
}

uint32_t bot_guard::card_ticket_limit() const noexcept {
  return rules_.card_tickets != 0 ? rules_.card_tickets : ticket_limit_;
}

uint32_t bot_guard::load_per_min(time_point now) const {
  auto second = detail::to_ms(now) / 1000;
  uint32_t sum = 0;
  for (int64_t s = second - 59; s <= second; ++s)
    if (s > last_second_ - 60 && s <= last_second_)
      sum += joins_by_second_[static_cast<size_t>(s % 60)];
  return sum;
}

uint32_t bot_guard::difficulty(time_point now) const {
  if (rules_.pow_base_bits == 0)
    return 0;
  auto load = load_per_min(now);
  uint32_t extra = 0;
  // One bit more at the step, and one per doubling above it.
  if (load >= rules_.load_step_per_min)
    extra = 1 + static_cast<uint32_t>(std::bit_width(load / rules_.load_step_per_min) - 1);
  return std::min(rules_.pow_max_bits, rules_.pow_base_bits + extra);
}

join_context bot_guard::context_of(const std::string& account, const client_facts& facts,
                                   int64_t now) const {
  join_context ctx;
  if (auto i = device_accounts_.find(facts.device); i != device_accounts_.end())
    ctx.other_accounts_on_device = static_cast<uint32_t>(std::count_if(
        i->second.begin(), i->second.end(), [&](const std::string& a) { return a != account; }));
  if (facts.device_class != 0 && !facts.prefix.empty())
    if (auto i = class_accounts_.find(class_key(facts.device_class, facts.prefix));
        i != class_accounts_.end())
      ctx.accounts_in_class = static_cast<uint32_t>(std::count_if(
          i->second.begin(), i->second.end(), [&](const std::string& a) { return a != account; }));
  if (!facts.prefix.empty())
    if (auto i = prefixes_.find(facts.prefix); i != prefixes_.end()) {
      // Busy: more than half the burst in use.
      auto t = minute_ms / std::max<uint32_t>(rules_.prefix_joins_per_min, 1);
      ctx.busy_prefix = i->second.tat_ms - now > t * (rules_.prefix_burst / 2);
    }
  return ctx;
}

caf::expected<pb::bot_event> bot_guard::join(const std::string& account, const client_facts& facts,
                                             time_point now) {
  auto now_ms = detail::to_ms(now);
  auto ev = next_event(now);
  auto* d = ev.mutable_decided();
  auto* f = d->mutable_facts();
  f->set_action(static_cast<uint32_t>(bot_action::join));
  f->set_account(account);
  f->set_device(facts.device);
  f->set_device_class(facts.device_class);
  f->set_anomalies(facts.anomalies);
  f->set_prefix(facts.prefix);
  f->set_pow_bits(facts.pow_bits);
  f->set_pow_solve_ms(facts.pow_solve_ms);
  f->set_step_up_passed(facts.step_up_passed);
  d->set_load_per_min(load_per_min(now));
  auto decide = [&](bot_verdict v) { d->set_verdict(static_cast<uint32_t>(v)); };
  decide(bot_verdict::allow);
  std::vector<std::string> reasons;
  // A fan who joined before is answered as before: a retry is no new join.
  if (auto i = joined_.find(account); i != joined_.end()) {
    if (i->second.shadow_ticket != 0) {
      decide(bot_verdict::shadow);
      d->set_shadow_ticket(i->second.shadow_ticket);
    }
    reasons.emplace_back("rejoin");
    for (auto& r : reasons)
      d->add_reasons(std::move(r));
    return commit(std::move(ev));
  }
  // Velocity per address prefix.
  auto prefix_mode = mode_of(rules_, bot_rule::prefix_joins);
  if (prefix_mode != rule_mode::off && !facts.prefix.empty()) {
    gcra g;
    if (auto i = prefixes_.find(facts.prefix); i != prefixes_.end())
      g = i->second;
    if (auto wait =
            wait_ms(g, now_ms, rules_.prefix_joins_per_min, minute_ms, rules_.prefix_burst)) {
      add_reason(reasons, prefix_mode, name_of(bot_rule::prefix_joins));
      if (prefix_mode == rule_mode::enforce) {
        decide(bot_verdict::throttle);
        d->set_retry_after_s(static_cast<uint32_t>((wait + 999) / 1000));
        for (auto& r : reasons)
          d->add_reasons(std::move(r));
        return commit(std::move(ev));
      }
    }
  }
  auto ctx = context_of(account, facts, now_ms);
  // Accounts per device.
  auto device_mode = mode_of(rules_, bot_rule::device_accounts);
  if (device_mode != rule_mode::off && ctx.other_accounts_on_device >= rules_.device_accounts) {
    add_reason(reasons, device_mode, name_of(bot_rule::device_accounts));
    if (device_mode == rule_mode::enforce)
      decide(bot_verdict::refuse);
  }
  // The risk score picks the challenge.
  auto risk_mode = mode_of(rules_, bot_rule::risk);
  auto base = difficulty(now);
  // A challenge issued a moment before a rise still counts: one bit of slack below.
  uint32_t needed = base;
  if (risk_mode != rule_mode::off) {
    auto risk = score_of(facts, ctx);
    d->set_score(risk.score);
    for (auto& r : risk.reasons)
      reasons.push_back("risk:" + r);
    bool enforce = risk_mode == rule_mode::enforce;
    if (d->verdict() == static_cast<uint32_t>(bot_verdict::allow)) {
      // From `harder_at` up the work is harder; from `step_up_at` the step-up comes on top (a
      // passed step-up answers the step-up, never the work).
      if (risk.score >= rules_.harder_at && base > 0) {
        auto harder =
            std::min(rules_.pow_max_bits + rules_.pow_harder_bits, base + rules_.pow_harder_bits);
        if (enforce)
          needed = harder;
        else if (facts.pow_bits + 1 < harder)
          add_reason(reasons, risk_mode, "harder_pow");
      }
      if (risk.score > rules_.shadow_above) {
        add_reason(reasons, risk_mode, "shadowed");
        if (enforce)
          decide(bot_verdict::shadow);
      } else if (risk.score >= rules_.step_up_at && !facts.step_up_passed) {
        add_reason(reasons, risk_mode, "step_up");
        if (enforce)
          decide(bot_verdict::step_up);
      }
    }
  }
  if (d->verdict() == static_cast<uint32_t>(bot_verdict::allow) && facts.pow_bits + 1 < needed) {
    reasons.emplace_back(needed > base ? "harder_pow" : "pow");
    decide(bot_verdict::challenge);
  }
  // What work to bring: with a challenge, and with a step-up (whose join comes again).
  auto v = static_cast<bot_verdict>(d->verdict());
  d->set_difficulty(v == bot_verdict::challenge || v == bot_verdict::step_up ? needed : 0);
  if (d->verdict() == static_cast<uint32_t>(bot_verdict::shadow))
    d->set_shadow_ticket(tickets_ + 1);
  for (auto& r : reasons)
    d->add_reasons(std::move(r));
  return commit(std::move(ev));
}

caf::expected<pb::bot_event> bot_guard::checkout(const std::string& account, uint64_t card,
                                                 uint32_t seats, time_point now) {
  auto now_ms = detail::to_ms(now);
  auto ev = next_event(now);
  auto* d = ev.mutable_decided();
  auto* f = d->mutable_facts();
  f->set_action(static_cast<uint32_t>(bot_action::checkout));
  f->set_account(account);
  f->set_card(card);
  f->set_seats(seats);
  f->set_ticket_limit(card_ticket_limit());
  d->set_verdict(static_cast<uint32_t>(bot_verdict::allow));
  card_state c;
  if (auto i = cards_.find(card); i != cards_.end())
    c = i->second;
  std::vector<std::string> reasons;
  uint32_t retry_s = 0;
  bool throttled = false;
  bool refused = false;
  auto decline_mode = mode_of(rules_, bot_rule::card_declines);
  auto decline_period = int64_t{rules_.card_decline_window_s} * 1000;
  if (decline_mode != rule_mode::off)
    if (auto wait = wait_ms(c.declines, now_ms, rules_.card_declines, decline_period,
                            rules_.card_declines)) {
      add_reason(reasons, decline_mode, name_of(bot_rule::card_declines));
      if (decline_mode == rule_mode::enforce) {
        throttled = true;
        retry_s = std::max(retry_s, static_cast<uint32_t>((wait + 999) / 1000));
      }
    }
  auto purchase_mode = mode_of(rules_, bot_rule::card_purchases);
  if (purchase_mode != rule_mode::off)
    if (auto wait = wait_ms(c.purchases, now_ms, rules_.card_purchases_per_hour, hour_ms,
                            rules_.card_purchases_per_hour)) {
      add_reason(reasons, purchase_mode, name_of(bot_rule::card_purchases));
      if (purchase_mode == rule_mode::enforce) {
        throttled = true;
        retry_s = std::max(retry_s, static_cast<uint32_t>((wait + 999) / 1000));
      }
    }
  auto tickets_mode = mode_of(rules_, bot_rule::card_tickets);
  if (tickets_mode != rule_mode::off &&
      uint64_t{c.tickets} + c.pending + seats > card_ticket_limit()) {
    add_reason(reasons, tickets_mode, name_of(bot_rule::card_tickets));
    if (tickets_mode == rule_mode::enforce)
      refused = true;
  }
  // An account flagged since its join: the flag on top of the join's score.
  auto risk_mode = mode_of(rules_, bot_rule::risk);
  if (risk_mode != rule_mode::off && flagged_.contains(account)) {
    auto j = joined_.find(account);
    auto score = std::min<uint32_t>(100, (j == joined_.end() ? 0 : j->second.score) +
                                             risk_weights::ignores_retry_after);
    d->set_score(score);
    reasons.push_back("risk:" + std::string{ignores_retry_after});
    if (score > rules_.shadow_above) {
      add_reason(reasons, risk_mode, "suspected_bot");
      if (risk_mode == rule_mode::enforce)
        refused = true;
    }
  }
  if (refused)
    d->set_verdict(static_cast<uint32_t>(bot_verdict::refuse));
  else if (throttled) {
    d->set_verdict(static_cast<uint32_t>(bot_verdict::throttle));
    d->set_retry_after_s(retry_s);
  }
  for (auto& r : reasons)
    d->add_reasons(std::move(r));
  return commit(std::move(ev));
}

caf::expected<pb::bot_event> bot_guard::paid(const std::string& account, uint64_t card,
                                             uint32_t reserved, uint32_t bought, bool declined,
                                             time_point now) {
  if (bought > reserved)
    return caf::make_error(ec::invalid_argument, "more seats bought than the checkout reserved");
  auto ev = next_event(now);
  auto* p = ev.mutable_paid();
  p->set_card(card);
  p->set_account(account);
  p->set_seats(reserved);
  p->set_bought(bought);
  p->set_declined(declined);
  return commit(std::move(ev));
}

caf::expected<pb::bot_event> bot_guard::flag(const std::string& account, std::string_view signal,
                                             time_point now) {
  if (signal != ignores_retry_after)
    return caf::make_error(ec::invalid_argument, "no such signal: " + std::string{signal});
  if (auto j = joined_.find(account); j == joined_.end() || j->second.shadow_ticket != 0)
    return caf::make_error(ec::unknown_ticket, "the guard let no join of this account in");
  auto ev = next_event(now);
  auto* f = ev.mutable_flagged();
  f->set_account(account);
  f->set_signal(std::string{signal});
  return commit(std::move(ev));
}

caf::expected<pb::bot_event> bot_guard::set_rules(const bot_rules& rules, time_point now,
                                                  bool defaults) {
  if (auto err = check(rules))
    return err;
  auto ev = next_event(now);
  *ev.mutable_rules() = to_pb(rules);
  ev.mutable_rules()->set_defaults(defaults);
  return commit(std::move(ev));
}

bot_decision bot_guard::decision_of(const pb::bot_event& ev) {
  bot_decision out;
  if (!ev.has_decided())
    return out;
  const auto& d = ev.decided();
  out.verdict = static_cast<bot_verdict>(d.verdict());
  out.score = d.score();
  out.difficulty = d.difficulty();
  out.retry_after_s = d.retry_after_s();
  out.reasons.assign(d.reasons().begin(), d.reasons().end());
  out.shadow_ticket = d.shadow_ticket();
  return out;
}

std::optional<shadow_place> bot_guard::shadow_of(uint64_t ticket,
                                                 const std::string& account) const {
  auto i = shadows_.find(ticket);
  if (i == shadows_.end())
    return std::nullopt;
  auto j = joined_.find(account);
  if (j == joined_.end() || j->second.shadow_ticket != ticket)
    return std::nullopt;
  return i->second;
}

void bot_guard::count_offender(std::unordered_map<std::string, uint64_t>& m,
                               const std::string& key) {
  if (key.empty())
    return;
  if (auto i = m.find(key); i != m.end())
    ++i->second;
  else if (m.size() < max_keys)
    m.emplace(key, 1);
}

void bot_guard::note_join(const pb::bot_facts& f, int64_t now) {
  // The load: joins per second over the last minute.
  auto second = now / 1000;
  if (second > last_second_) {
    for (int64_t s = std::max(last_second_ + 1, second - 59); s <= second; ++s)
      joins_by_second_[static_cast<size_t>(s % 60)] = 0;
    last_second_ = second;
  }
  if (second > last_second_ - 60)
    ++joins_by_second_[static_cast<size_t>(second % 60)];
  // The prefix's rate.
  if (!f.prefix().empty()) {
    auto i = prefixes_.find(f.prefix());
    if (i == prefixes_.end() && prefixes_.size() >= max_keys) {
      // Forget prefixes that caught up; they would conform anyway.
      std::erase_if(prefixes_, [now](const auto& kv) { return kv.second.tat_ms <= now; });
    }
    if (i == prefixes_.end() && prefixes_.size() < max_keys)
      i = prefixes_.emplace(f.prefix(), gcra{}).first;
    if (i != prefixes_.end())
      add(i->second, now, rules_.prefix_joins_per_min, minute_ms);
    else
      ++saturated_;
  }
  auto remember = [&](std::unordered_map<std::string, std::vector<std::string>>& m,
                      const std::string& key) {
    auto i = m.find(key);
    if (i == m.end()) {
      if (m.size() >= max_keys) {
        ++saturated_;
        return;
      }
      i = m.emplace(key, std::vector<std::string>{}).first;
    }
    // A few accounts a key tell all the rules need.
    if (i->second.size() < 16 &&
        std::find(i->second.begin(), i->second.end(), f.account()) == i->second.end())
      i->second.push_back(f.account());
  };
  if (!f.device().empty())
    remember(device_accounts_, f.device());
  if (f.device_class() != 0 && !f.prefix().empty())
    remember(class_accounts_, class_key(f.device_class(), f.prefix()));
}

caf::error bot_guard::on_decided(bot_guard& g, const pb::bot_event& ev) {
  const auto& d = ev.decided();
  const auto& f = d.facts();
  if (d.verdict() > static_cast<uint32_t>(bot_verdict::refuse) ||
      f.action() > static_cast<uint32_t>(bot_action::checkout))
    return g.corrupt("a decision of an unknown kind");
  auto verdict = static_cast<bot_verdict>(d.verdict());
  auto name = to_string(verdict);
  if (auto i = g.verdicts_.find(name); i != g.verdicts_.end())
    ++i->second;
  else
    g.verdicts_.emplace(name, 1);
  for (const auto& r : d.reasons())
    if (auto i = g.reasons_.find(r); i != g.reasons_.end())
      ++i->second;
    else if (g.reasons_.size() < 256) // reasons are ours: a handful of names
      g.reasons_.emplace(r, 1);
  bool rejoin = std::find(d.reasons().begin(), d.reasons().end(), "rejoin") != d.reasons().end();
  // Offenders: what the guard held back (a base challenge under load is no offence).
  if (verdict != bot_verdict::allow && verdict != bot_verdict::challenge && !rejoin) {
    g.count_offender(g.bad_prefixes_, f.prefix());
    g.count_offender(g.bad_devices_, f.device());
    if (f.card() != 0)
      g.count_offender(g.bad_cards_, card_hex(f.card()));
  }
  if (f.action() == static_cast<uint32_t>(bot_action::join)) {
    if (rejoin || verdict == bot_verdict::throttle)
      return {};
    g.note_join(f, ev.at_ms());
    if (verdict == bot_verdict::allow || verdict == bot_verdict::shadow) {
      ++g.tickets_;
      if (g.joined_.size() < max_keys)
        g.joined_.emplace(f.account(), joined_account{d.shadow_ticket(), d.score()});
      else
        ++g.saturated_;
      if (verdict == bot_verdict::shadow)
        g.shadows_.emplace(d.shadow_ticket(), shadow_place{d.shadow_ticket(), g.tickets_});
    }
    return {};
  }
  // A checkout: an allowed one counts against the card until it is paid or declined.
  if (verdict != bot_verdict::allow)
    return {};
  auto i = g.cards_.find(f.card());
  if (i == g.cards_.end()) {
    if (g.cards_.size() >= max_keys) {
      ++g.saturated_;
      return {};
    }
    i = g.cards_.emplace(f.card(), card_state{}).first;
  }
  add(i->second.purchases, ev.at_ms(), g.rules_.card_purchases_per_hour, hour_ms);
  i->second.pending += f.seats();
  return {};
}

caf::error bot_guard::on_paid(bot_guard& g, const pb::bot_event& ev) {
  const auto& p = ev.paid();
  auto i = g.cards_.find(p.card());
  if (i == g.cards_.end())
    return {}; // not tracked (a full table): nothing to settle
  auto& c = i->second;
  if (p.bought() > p.seats())
    return g.corrupt("a checkout bought more seats than it reserved");
  c.pending -= std::min(c.pending, p.seats());
  c.tickets += p.bought();
  if (p.declined())
    add(c.declines, ev.at_ms(), g.rules_.card_declines,
        int64_t{g.rules_.card_decline_window_s} * 1000);
  return {};
}

caf::error bot_guard::on_rules(bot_guard& g, const pb::bot_event& ev) {
  auto rules = from_pb(ev.rules());
  if (auto err = check(rules))
    return g.corrupt("rules that do not check: " + render(err));
  g.rules_ = std::move(rules);
  g.operator_rules_ = !ev.rules().defaults();
  return {};
}

caf::error bot_guard::on_flagged(bot_guard& g, const pb::bot_event& ev) {
  if (ev.flagged().signal() != ignores_retry_after)
    return g.corrupt("a flag of an unknown signal");
  if (g.flagged_.size() < max_keys)
    g.flagged_.insert(ev.flagged().account());
  else
    ++g.saturated_;
  return {};
}

bot_guard_info bot_guard::info(time_point now, size_t top) const {
  bot_guard_info out;
  out.event = event_id_;
  out.rules = rules_;
  out.difficulty = difficulty(now);
  out.load_per_min = load_per_min(now);
  out.verdicts.insert(verdicts_.begin(), verdicts_.end());
  out.reasons.insert(reasons_.begin(), reasons_.end());
  out.prefixes = top_of(bad_prefixes_, top);
  out.devices = top_of(bad_devices_, top);
  out.cards = top_of(bad_cards_, top);
  out.shadowed = shadows_.size();
  out.flagged = flagged_.size();
  return out;
}

} // namespace seatgrab::domain
