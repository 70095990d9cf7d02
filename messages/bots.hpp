#pragma once

// Message types of the bot guard (domain/bot_guard.hpp): what a client presented, the
// operator's rules, and the guard's decisions. Card numbers never travel here: cards are the
// node's keyed hashes of them.

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace seatgrab {

/// What the edge (or the scenario runner) saw of a client joining a queue: the server-derived
/// device, the fingerprint's anomalies, the address prefix and the challenges it solved.
struct client_facts {
  client_facts() = default;
  /// Facts of a client known by its device alone (tests, tools): nothing else counts.
  explicit client_facts(std::string device_id) : device(std::move(device_id)) {}

  std::string device;        ///< the server-derived device id (security::fingerprinter)
  uint64_t device_class = 0; ///< keyed hash of the signals and headers alone (0: unknown)
  uint32_t anomalies = 0;    ///< security::anomaly bits
  std::string prefix;        ///< the client's /24 or /48 ("" when unknown: not counted)
  uint32_t pow_bits = 0;     ///< difficulty of the proof of work solved (0: none)
  int64_t pow_solve_ms = -1; ///< from the challenge's issue to the join (-1: no challenge)
  bool step_up_passed = false;
};

/// What the edge may tell an event's bot guard about an account after its join: it kept
/// polling through its 429s (a browser honours Retry-After; a script hammering does not).
inline constexpr std::string_view ignores_retry_after = "ignores_retry_after";

/// How a rule acts: enforced, counted only (the operator tunes it before enforcing), or off.
enum class rule_mode : uint8_t { enforce, shadow, off };

/// The guard's rules, per event; the node's defaults apply until an operator sets them.
struct bot_rules {
  uint32_t prefix_joins_per_min = 20; ///< queue joins per /24 or /48 (GCRA)
  uint32_t prefix_burst = 20;         ///< joins a quiet prefix may make at once
  uint32_t device_accounts = 2;       ///< accounts one device may use for an event (1..16)
  uint32_t card_purchases_per_hour = 3;
  uint32_t card_tickets = 0;  ///< tickets per card for the event; 0: the event's limit
  uint32_t card_declines = 3; ///< declines per card within `card_decline_window_s`
  uint32_t card_decline_window_s = 600;
  uint32_t harder_at = 30;           ///< risk from which the proof of work is harder
  uint32_t step_up_at = 60;          ///< risk from which the step-up challenge is asked
  uint32_t shadow_above = 80;        ///< risk above which a join is shadowed
  uint32_t pow_base_bits = 0;        ///< the base challenge at low load (0: none)
  uint32_t pow_max_bits = 18;        ///< the base never rises above this (a phone: < 1 s)
  uint32_t pow_harder_bits = 4;      ///< added for a risk of `harder_at` and more
  uint32_t load_step_per_min = 1000; ///< joins a minute from which each doubling adds a bit
  /// Mode of each rule by name: prefix_joins, device_accounts, card_purchases, card_tickets,
  /// card_declines, risk. Absent: enforce.
  std::map<std::string, rule_mode> modes;
  friend bool operator==(const bot_rules&, const bot_rules&) = default;
};

/// What the guard decided about one action.
enum class bot_verdict : uint8_t {
  allow,     ///< go on
  challenge, ///< solve a (harder) proof of work of `difficulty` bits first
  step_up,   ///< answer the step-up challenge first
  shadow,    ///< accepted, never admitted
  throttle,  ///< too fast: 429 after `retry_after_s`
  refuse,    ///< over a limit (device, card): 403
};

struct bot_decision {
  bot_verdict verdict = bot_verdict::allow;
  uint32_t score = 0;
  uint32_t difficulty = 0;
  uint32_t retry_after_s = 0;
  std::vector<std::string> reasons;
  uint64_t shadow_ticket = 0;
};

/// Counts by key, for the operator's "top offenders".
struct offender {
  std::string key;
  uint64_t count = 0;
};

/// An event's guard now (`GET /v1/admin/events/{id}/bots`, `inspect bot_guard EVENT`).
struct bot_guard_info {
  std::string event;
  bot_rules rules;
  uint32_t difficulty = 0;                  ///< the base proof of work now
  uint32_t load_per_min = 0;                ///< joins in the last minute
  std::map<std::string, uint64_t> verdicts; ///< decisions by verdict
  std::map<std::string, uint64_t> reasons;  ///< decisions by reason
  std::vector<offender> prefixes;           ///< most refused or throttled first
  std::vector<offender> devices;
  std::vector<offender> cards; ///< card hashes as hex
  uint64_t shadowed = 0;
  uint64_t flagged = 0; ///< accounts told for polling through their 429s
};

inline std::string to_string(bot_verdict x) {
  static constexpr const char* names[] = {"allow",  "challenge", "step_up",
                                          "shadow", "throttle",  "refuse"};
  auto i = static_cast<size_t>(x);
  return i < std::size(names) ? names[i] : "unknown";
}

inline std::string to_string(rule_mode x) {
  return x == rule_mode::enforce ? "enforce" : x == rule_mode::shadow ? "shadow" : "off";
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, client_facts& x) {
  return f(x.device, x.device_class, x.anomalies, x.prefix, x.pow_bits, x.pow_solve_ms,
           x.step_up_passed);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, bot_rules& x) {
  return f(x.prefix_joins_per_min, x.prefix_burst, x.device_accounts, x.card_purchases_per_hour,
           x.card_tickets, x.card_declines, x.card_decline_window_s, x.harder_at, x.step_up_at,
           x.shadow_above, x.pow_base_bits, x.pow_max_bits, x.pow_harder_bits, x.load_step_per_min,
           x.modes);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, bot_decision& x) {
  return f(x.verdict, x.score, x.difficulty, x.retry_after_s, x.reasons, x.shadow_ticket);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, offender& x) {
  return f(x.key, x.count);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, bot_guard_info& x) {
  return f(x.event, x.rules, x.difficulty, x.load_per_min, x.verdicts, x.reasons, x.prefixes,
           x.devices, x.cards, x.shadowed, x.flagged);
}

} // namespace seatgrab
