#pragma once

// The bot guard of one event (DESIGN §7): every queue join and every checkout passes it, on
// the HTTP path and the in-process path alike, and it decides: allow, challenge (a harder
// proof of work), step up (the image challenge), shadow (accepted, never admitted), throttle
// (429) or refuse (403). Its inputs are the server-derived device, the fingerprint's
// anomalies, the address prefix, the challenges solved and the card's hash; its rules are
// velocity limits (GCRA where a rate is meant) and a risk score from 0 to 100 that picks the
// challenge. Each rule can be enforced, counted only (shadow mode) or off.
//
// Every decision is an event with its inputs: the counters are rebuilt by replaying them, and
// the journal says why each fan was treated as they were. Knows nothing of actors or clocks.

#include "domain/event_sourced.hpp"
#include "messages/bot_guard.pb.h"
#include "messages/bots.hpp"

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace seatgrab::domain {

using time_point = std::chrono::sys_time<std::chrono::milliseconds>;

enum class bot_action : uint8_t { join = 0, checkout = 1 };

/// The guard's rules, by name in modes and reasons.
enum class bot_rule : uint8_t {
  prefix_joins,
  device_accounts,
  card_purchases,
  card_tickets,
  card_declines,
  risk,
};

inline constexpr std::array all_bot_rules{bot_rule::prefix_joins,   bot_rule::device_accounts,
                                          bot_rule::card_purchases, bot_rule::card_tickets,
                                          bot_rule::card_declines,  bot_rule::risk};

std::string_view name_of(bot_rule r) noexcept;

/// The mode of `r` in `rules` (enforce when unnamed).
rule_mode mode_of(const bot_rules& rules, bot_rule r);

/// Checks operator-set rules; `ec::invalid_input` naming the field, e.g. "pow_max_bits: at
/// most 24".
caf::error check(const bot_rules& rules);

/// What the risk score weighs, and how much (out of 100). No one signal alone asks for the
/// step-up; the two that a browser cannot show (a script's headers under a browser's name, a
/// proof of work back faster than a browser can) together shadow.
struct risk_weights {
  static constexpr uint32_t automation_agent = 50;
  static constexpr uint32_t script_headers = 45;
  static constexpr uint32_t no_signals = 25;
  static constexpr uint32_t platform_mismatch = 25;
  static constexpr uint32_t language_mismatch = 15;
  static constexpr uint32_t no_accept_language = 15;
  static constexpr uint32_t fast_solve = 40;    ///< a proof of work back faster than a browser
  static constexpr uint32_t device_shared = 30; ///< the device joined for another account
  static constexpr uint32_t class_crowd = 15;   ///< per account beyond 3 of one class and prefix
  static constexpr uint32_t class_crowd_max = 45;
  static constexpr uint32_t busy_prefix = 10; ///< the prefix used half its burst
  /// Since joining, the client kept coming back through its 429s: a browser honours
  /// Retry-After, a script hammering does not (weighed at checkout, on the join's score).
  static constexpr uint32_t ignores_retry_after = 40;
};

/// Hashes a second (SHA-256 in a browser's worker, a phone) solves, for "too fast" judgements:
/// a join in under a tenth of the time a phone needs on average (its round trip included) is
/// not a browser's. A fast desktop near the server may now and then come in under it: alone,
/// that asks for more work, never for the step-up.
inline constexpr uint64_t phone_hashes_per_s = 300'000;

/// Whether a proof of work of `bits` solved in `solve_ms` came back faster than a browser can
/// (from 14 bits: below, a phone is done within milliseconds anyway).
bool solved_too_fast(uint32_t bits, int64_t solve_ms) noexcept;

/// A join's risk: the score (0..100) and the reasons that made it.
struct risk_score {
  uint32_t score = 0;
  std::vector<std::string> reasons;
};

/// What the guard knows about a join's device, class and prefix, for its score.
struct join_context {
  uint32_t other_accounts_on_device = 0;
  uint32_t accounts_in_class = 0; ///< other accounts of the same class and prefix
  bool busy_prefix = false;
};

/// The score of `facts` in `ctx` (pure).
risk_score score_of(const client_facts& facts, const join_context& ctx);

/// A shadowed fan's place: where they are told they stand, for ever.
struct shadow_place {
  uint64_t ticket = 0;
  uint64_t position = 0;
};

class bot_guard : public event_sourced<bot_guard, pb::bot_event> {
public:
  /// Counters per key kept at most (prefixes, devices, classes, cards); beyond, new keys are
  /// not tracked (the rules fail open for them and `saturated` counts it), caught-up prefixes
  /// are forgotten first.
  static constexpr size_t max_keys = 1'000'000;

  /// The guard of `event_id`, whose accounts may buy `ticket_limit` tickets each.
  bot_guard(std::string event_id, bot_rules rules, uint32_t ticket_limit);

  /// Decides a queue join of `account` and journals it (every decision is one event).
  caf::expected<pb::bot_event> join(const std::string& account, const client_facts& facts,
                                    time_point now);

  /// Decides a checkout of `seats` by `account` with card hash `card`. An account flagged since
  /// its join is refused (`suspected_bot`) when its join's score and the flag together pass
  /// `shadow_above`: two signals, never one.
  caf::expected<pb::bot_event> checkout(const std::string& account, uint64_t card, uint32_t seats,
                                        time_point now);

  /// The edge saw `account` show `signal` (only `ignores_retry_after` so far) after its join;
  /// `ec::invalid_argument` for another signal, `ec::unknown_ticket` for an account whose join
  /// the guard did not let in (a shadowed one has nothing to check out). Call once per
  /// account: see `flagged`.
  caf::expected<pb::bot_event> flag(const std::string& account, std::string_view signal,
                                    time_point now);

  /// Whether `account` was flagged.
  [[nodiscard]] bool flagged(const std::string& account) const {
    return flagged_.contains(account);
  }

  /// A checkout the guard allowed for `reserved` seats ended: `bought` seats were paid (0 when
  /// it failed), or the card was `declined`.
  caf::expected<pb::bot_event> paid(const std::string& account, uint64_t card, uint32_t reserved,
                                    uint32_t bought, bool declined, time_point now);

  /// The operator's rules (checked), or the node's `defaults`: an operator's stay until the
  /// next operator's; the defaults are journaled whenever they differ from the rules in force.
  caf::expected<pb::bot_event> set_rules(const bot_rules& rules, time_point now,
                                         bool defaults = false);

  /// Whether an operator set the rules in force.
  [[nodiscard]] bool operator_rules() const noexcept { return operator_rules_; }

  /// The decision a `decided` event holds.
  static bot_decision decision_of(const pb::bot_event& ev);

  /// The base proof of work now: follows the joins of the last minute.
  [[nodiscard]] uint32_t difficulty(time_point now) const;

  /// Joins decided in the minute before `now` (throttled ones not counted).
  [[nodiscard]] uint32_t load_per_min(time_point now) const;

  /// The shadow place of `ticket` if it is `account`'s.
  [[nodiscard]] std::optional<shadow_place> shadow_of(uint64_t ticket,
                                                      const std::string& account) const;

  [[nodiscard]] const bot_rules& rules() const noexcept { return rules_; }

  /// The operator's view at `now`: rules, counts, the top `top` offenders of each kind.
  [[nodiscard]] bot_guard_info info(time_point now, size_t top = 10) const;

  /// Keys not tracked because a table was full.
  [[nodiscard]] uint64_t saturated() const noexcept { return saturated_; }

private:
  friend class event_sourced<bot_guard, pb::bot_event>;
  static std::span<const kind_handler> handlers();
  std::string corruption_prefix() const { return "bot_guard/" + event_id_; }

  static caf::error on_decided(bot_guard& g, const pb::bot_event& ev);
  static caf::error on_paid(bot_guard& g, const pb::bot_event& ev);
  static caf::error on_rules(bot_guard& g, const pb::bot_event& ev);
  static caf::error on_flagged(bot_guard& g, const pb::bot_event& ev);

  /// A generic cell rate: the theoretical arrival time of the next event, in ms.
  struct gcra {
    int64_t tat_ms = 0;
  };
  /// Whether one more event at `now` conforms to `per` events per `period_ms` with bursts of
  /// `burst`; if not, how long until it would (ms).
  static int64_t wait_ms(const gcra& g, int64_t now, uint32_t per, int64_t period_ms,
                         uint32_t burst);
  static void add(gcra& g, int64_t now, uint32_t per, int64_t period_ms);

  struct card_state {
    gcra purchases;
    gcra declines;
    uint32_t tickets = 0; ///< paid
    uint32_t pending = 0; ///< allowed, not paid or declined yet
  };

  void count_offender(std::unordered_map<std::string, uint64_t>& m, const std::string& key);
  join_context context_of(const std::string& account, const client_facts& facts, int64_t now) const;
  void note_join(const pb::bot_facts& f, int64_t now);
  uint32_t card_ticket_limit() const noexcept;

  std::string event_id_;
  bot_rules rules_;
  uint32_t ticket_limit_;
  std::unordered_map<std::string, gcra> prefixes_;
  std::unordered_map<std::string, std::vector<std::string>> device_accounts_;
  std::unordered_map<std::string, std::vector<std::string>> class_accounts_; ///< class|prefix
  std::unordered_map<uint64_t, card_state> cards_;
  struct joined_account {
    uint64_t shadow_ticket = 0; ///< 0: allowed
    uint32_t score = 0;         ///< the risk score of its join
  };
  /// Accounts whose join was allowed or shadowed.
  std::unordered_map<std::string, joined_account> joined_;
  /// Accounts the edge flagged after their join.
  std::unordered_set<std::string> flagged_;
  std::unordered_map<uint64_t, shadow_place> shadows_;
  std::array<uint32_t, 60> joins_by_second_{};
  int64_t last_second_ = 0;
  uint64_t tickets_ = 0; ///< joins allowed or shadowed: the shadow tickets follow them
  uint64_t saturated_ = 0;
  bool operator_rules_ = false;
  std::unordered_map<std::string, uint64_t> verdicts_;
  std::unordered_map<std::string, uint64_t> reasons_;
  std::unordered_map<std::string, uint64_t> bad_prefixes_;
  std::unordered_map<std::string, uint64_t> bad_devices_;
  std::unordered_map<std::string, uint64_t> bad_cards_;
};

} // namespace seatgrab::domain
