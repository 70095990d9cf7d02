#pragma once

// Dynamic pricing of one event (DESIGN §7): a published ladder of all-in prices per section,
// and the rule that moves a section along it from the pace of demand. Event sourced; knows
// nothing of actors or clocks.

#include "domain/event_sourced.hpp"
#include "messages/pricing.hpp"
#include "messages/pricing.pb.h"

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace seatgrab::domain {

using time_point = std::chrono::sys_time<std::chrono::milliseconds>;

struct venue;

/// Most levels a ladder may have.
inline constexpr size_t max_ladder_levels = 5;

/// The rule's parameters; ratios in thousandths.
struct pricing_rule {
  uint32_t interval_s = 30;     ///< between ticks, 5..3,600
  uint32_t up_permille = 1250;  ///< pace above it counts towards a step up
  uint32_t down_permille = 750; ///< pace below it counts towards a step down
  uint32_t up_ticks = 2;        ///< ticks in a row above before a step up
  uint32_t down_ticks = 4;      ///< ticks in a row below before a step down
  uint32_t max_up_per_hour = 2; ///< rule steps up of a section within any 3,600 s
  uint32_t ewma_permille = 500; ///< weight of the newest rate in the moving average
  time_point window_ends_at;    ///< the sale window the pace is measured against
  friend bool operator==(const pricing_rule&, const pricing_rule&) = default;
};

/// The ladder of one section: all-in prices, strictly rising, floor first.
struct section_ladder {
  std::string section;
  std::vector<int64_t> prices;
  uint32_t level = 0; ///< the starting level
  friend bool operator==(const section_ladder&, const section_ladder&) = default;
};

/// The resolved policy: one ladder per section of the venue, in venue order.
struct pricing_policy {
  pricing_rule rule;
  std::vector<section_ladder> ladders;
};

/// Checks `req` against the venue and resolves it (window from `opens_at`). Fails with
/// `ec::invalid_input` naming the field, e.g. "ladders.gold[1]: prices must rise".
caf::expected<pricing_policy> resolve(const pricing_request& req, const venue& v,
                                      time_point opens_at);

/// A section's reading at a tick, as its actor reports it.
struct section_reading {
  std::string section;
  uint32_t free = 0;
  bool closed = false;
};

/// One step of a section's price in its history.
struct price_step {
  uint64_t price_version = 0;
  time_point at;
  uint32_t level = 0;
  int64_t price = 0;
  bool manual = false; ///< the operator set it (else the policy or the rule)
  friend bool operator==(const price_step&, const price_step&) = default;
};

/// A section's pricing now.
struct section_pricing {
  std::string section;
  uint32_t level = 0;
  int64_t price = 0;
  std::vector<int64_t> ladder;
  bool frozen = false; ///< itself (the event may be frozen as a whole too)
  std::vector<price_step> history;
};

/// A price the sections must apply: section, price, at `price_version`.
struct price_change {
  std::string section;
  int64_t price = 0;
  friend bool operator==(const price_change&, const price_change&) = default;
};

/// The pricing of one event. Every operation validates first and on failure returns an error
/// having changed nothing; on success it builds a `pb::pricing_event`, applies it (the same
/// path as recovery replay) and returns it for the caller to journal.
///
/// The rule, per section and tick: the pace ratio r = (moving average of seats taken per
/// second, each reading's rate over the time since the one before, so that a skipped tick or a
/// restart does not look like a rush) ÷ (seats free ÷ seconds left in the sale window). Up one
/// level when r is above `up_permille` for `up_ticks` ticks in a row, at most `max_up_per_hour`
/// rule steps up within any hour, and never while fewer fans wait than the section has seats free;
/// down one level when r is below `down_permille` for `down_ticks` ticks. One step per tick at
/// most; frozen sections (or a frozen event) do not move and their streaks restart. "Within any
/// hour" includes both ends: a step exactly an hour old still counts.
class pricing_state : public event_sourced<pricing_state, pb::pricing_event> {
public:
  explicit pricing_state(std::string event_id);

  // -- operations -------------------------------------------------------------

  /// Publishes `policy`: each section at its starting level. Errors: `invalid_input` (a
  /// ladder that does not fit, see `resolve`), `pricing_locked` when `locked` (the sale
  /// opened: prices are announced before it, and the published ladders stand).
  caf::expected<pb::pricing_event> set_policy(pricing_policy policy, bool locked, time_point now);

  /// One tick of the rule over `readings` (one per section of the policy, any order) with
  /// `waiting` fans in the queue. Errors: `invalid_argument` without a policy or for a
  /// reading of an unknown section.
  caf::expected<pb::pricing_event> tick(const std::vector<section_reading>& readings,
                                        uint64_t waiting, time_point now);

  /// Freezes `section`, or the whole event for "". Errors: `unknown_section`,
  /// `invalid_argument` without a policy. Freezing what is frozen: none.
  caf::expected<std::optional<pb::pricing_event>> freeze(std::string_view section, time_point now);

  /// Unfreezes `section` or, for "", the event. Same errors; none when not frozen.
  caf::expected<std::optional<pb::pricing_event>> unfreeze(std::string_view section,
                                                           time_point now);

  /// The operator sets `section` to `level` by hand, frozen or not. Errors: `unknown_section`,
  /// `invalid_argument` (no policy, level off the ladder). The same level: none.
  caf::expected<std::optional<pb::pricing_event>> set_level(std::string_view section,
                                                            uint32_t level, time_point now);

  // -- queries ----------------------------------------------------------------

  const std::string& event_id() const noexcept { return event_id_; }
  bool has_policy() const noexcept { return !tracks_.empty(); }
  const pricing_rule& rule() const noexcept { return rule_; }
  /// Moves on every change of any price; 0 before a policy.
  uint64_t price_version() const noexcept { return price_version_; }
  bool frozen() const noexcept { return frozen_; }
  uint64_t ticks() const noexcept { return ticks_; }

  /// Every section, in policy order.
  std::vector<section_pricing> sections() const;

  /// The prices the change `ev` (just applied) set, for the sections to apply at
  /// `price_version()`: the moved sections (every section for a policy).
  std::vector<price_change> changes(const pb::pricing_event& ev) const;

  /// Every section's current price, for sections that start or missed a change.
  std::vector<price_change> prices() const;

  /// Lowest and highest current price; (0, 0) without a policy.
  std::pair<int64_t, int64_t> price_range() const;

private:
  struct track {
    section_ladder ladder; // level = current level
    bool frozen = false;
    int64_t ewma_milli = 0;
    bool has_reading = false;
    uint32_t last_free = 0;
    time_point last_reading; // when `last_free` was read
    uint32_t up_streak = 0;
    uint32_t down_streak = 0;
    std::deque<time_point> ups; // rule steps up within the last hour
    std::vector<price_step> history;
    uint64_t changed_by = 0; // version of the event that last set the level
  };

  track* find(std::string_view section);
  const track* find(std::string_view section) const;
  /// Decides a section's tick: fills `in`'s outcome from its inputs and the track.
  void decide(const track& t, pb::pricing_input& in, time_point now) const;

  friend event_sourced;
  static std::span<const kind_handler> handlers();
  std::string corruption_prefix() const { return "pricing/" + event_id_; }

  caf::error apply_policy(const pb::pricing_policy_set& ev, time_point at);
  caf::error apply_ticked(const pb::pricing_ticked& ev, time_point at);
  caf::error apply_frozen(const std::string& section, bool frozen);
  caf::error apply_level(const pb::pricing_level_set& ev, time_point at);

  std::string event_id_;
  pricing_rule rule_;
  std::vector<track> tracks_; // in policy order
  std::map<std::string, size_t, std::less<>> index_;
  uint64_t price_version_ = 0;
  uint64_t ticks_ = 0;
  bool frozen_ = false;
};

/// The pace ratio in thousandths from a moving average (thousandths of seats a second), the
/// seats free and the seconds left; 0 when nothing is free or nothing is taken. (The scenario
/// verifier computes it on its own, on purpose.)
int64_t pace_permille(int64_t ewma_milli, uint32_t free, int64_t seconds_left);

} // namespace seatgrab::domain
