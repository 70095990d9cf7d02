#pragma once

#include "domain/event_sourced.hpp"
#include "messages/section.pb.h"

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace seatgrab::domain {

/// Domain time: milliseconds since the Unix epoch. Domain code never reads a clock; callers
/// pass `now` in.
using time_point = std::chrono::sys_time<std::chrono::milliseconds>;

/// One seat of a section.
struct seat_info {
  std::string id;      ///< unique within the section
  std::string row;     ///< seats of one row are contiguous in `section_config::seats`
  uint32_t number = 0; ///< seat number within the row, for display
  uint32_t rank = 0;   ///< seat quality, lower is better; best available minimizes the sum
  int64_t price = 0;   ///< current price in minor units (cents); a hold locks it
};

/// Everything a section needs to know about itself; plain data, independent of the venue model.
struct section_config {
  std::string event_id;
  std::string section_id;
  std::vector<seat_info> seats; ///< rows contiguous, each row in physical order
  std::chrono::milliseconds hold_ttl{300'000};
  /// Hard cap on extensions: a hold's `expires_at <= created_at + max_hold_total`.
  std::chrono::milliseconds max_hold_total{600'000};
  uint32_t max_seats_per_hold = 8;
};

/// Checks what the state relies on: seats present, ids 1..255 bytes without NUL and unique,
/// rows contiguous, prices >= 0, `0 < hold_ttl <= max_hold_total`, `max_seats_per_hold >= 1`.
/// Fails with `ec::invalid_input` naming the first problem.
[[nodiscard]] caf::error validate(const section_config& cfg);

enum class seat_status : uint8_t { free = 0, held = 1, sold = 2 };

/// "free", "held" or "sold", as in the seat map API.
std::string_view to_string(seat_status x) noexcept;

/// A seat of a hold with the price locked when the hold was placed.
struct held_seat {
  std::string seat_id;
  int64_t price = 0;
  friend bool operator==(const held_seat&, const held_seat&) = default;
};

/// A live hold.
struct hold_info {
  std::string hold_id;
  std::string holder;
  std::vector<held_seat> seats; ///< in request order (best available: row order)
  int64_t total = 0;            ///< sum of the locked prices
  time_point created_at;
  time_point expires_at;
  uint64_t generation = 0; ///< 1 when placed, +1 per extension; expiry timers carry it
  friend bool operator==(const hold_info&, const hold_info&) = default;
};

/// Result of placing or extending a hold.
struct hold_outcome {
  hold_info hold;
  /// The event to journal; none when an idempotent retry returned an existing hold.
  std::optional<pb::section_event> event;
};

/// Result of any other successful mutation.
struct change {
  pb::section_event event;           ///< the event to journal, already applied
  std::vector<std::string> seat_ids; ///< seats whose status changed, for seat map deltas
};

/// One seat's current state. The views point into the section state and are valid until its
/// next mutation.
struct seat_view {
  std::string_view id;
  seat_status status = seat_status::free;
  int64_t price = 0;         ///< current price when free, locked price when held, paid when sold
  std::string_view hold_id;  ///< held seats only
  std::string_view holder;   ///< held seats only
  std::string_view order_id; ///< sold seats only
  friend bool operator==(const seat_view&, const seat_view&) = default;
};

/// Demand figures of a section: cumulative since creation (they feed pricing, which diffs them
/// per window) and current seat counts.
struct section_counters {
  uint64_t holds = 0;      ///< holds placed
  uint64_t held_seats = 0; ///< seats put on hold, summed over all holds
  uint64_t extensions = 0; ///< successful extensions
  uint64_t releases = 0;   ///< holds released by their holder
  uint64_t expiries = 0;   ///< holds released by their timer
  uint64_t sales = 0;      ///< holds confirmed into an order
  uint64_t sold_seats = 0; ///< seats sold, summed over all sales
  uint64_t refunds = 0;    ///< seats refunded
  uint32_t free_now = 0;   ///< seats free right now
  uint32_t held_now = 0;   ///< seats held right now
  uint32_t sold_now = 0;   ///< seats sold right now
  friend bool operator==(const section_counters&, const section_counters&) = default;
};

/// A hold's price cap when it was not placed through an admission (operators, tests): the
/// current price is locked.
inline constexpr uint64_t no_price_cap = UINT64_MAX;

/// The seats of one section: holds, sales, refunds and expiry, event sourced. Every mutating
/// operation validates first and on failure returns an error having changed nothing; on success
/// it builds a `pb::section_event`, applies it through `apply` (the same path as recovery
/// replay) and returns it for the caller to journal. Knows nothing of actors or clocks.
/// `apply` and `version()` come from `event_sourced`; `apply` also rejects an unknown hold or
/// seat and a seat that is not free.
class section_state : public event_sourced<section_state, pb::section_event> {
public:
  /// A section with every seat free at version 0; fails if `validate(cfg)` does.
  static caf::expected<section_state> make(section_config cfg);

  /// The state saved by `snapshot()`; fails with `ec::storage_corruption` if the snapshot does
  /// not fit `cfg` or is inconsistent, and as `make` if `cfg` is invalid.
  static caf::expected<section_state> from_snapshot(section_config cfg,
                                                    const pb::section_snapshot& snap);

  // -- operations -------------------------------------------------------------

  /// Holds exactly `seat_ids`, all or nothing, for `hold_ttl`. The caller chooses `hold_id`
  /// (unique among live holds). Retrying with a live `hold_id`, the same holder and the same
  /// set of seats returns that hold without an event (`hold_expired` if its time has passed);
  /// a live `hold_id` with anything else is `invalid_argument`. Errors, in order of checks:
  /// `invalid_argument` (malformed id or holder, no seats), `too_many_seats`, `unknown_seat` /
  /// `duplicate_seat` (first offender in request order, named in the context), `seat_taken`
  /// (context: every taken seat id of the request, comma separated, nothing else).
  /// A seat stays taken until its hold's expiry is applied, even if its time has passed.
  /// Each seat locks the lower of its current price and its price at `price_cap` (the price
  /// version of the holder's admission: no fan pays more than they were shown when admitted).
  caf::expected<hold_outcome> hold(std::string hold_id, std::string holder,
                                   std::vector<std::string> seat_ids, time_point now,
                                   uint64_t price_cap = no_price_cap);

  /// Holds the best `quantity` adjacent free seats of one row (consecutive in row order):
  /// blocks leaving no single orphan free seat next to them (before a non-free seat or the row
  /// end) win over those that do; then the lowest total rank; then the earliest block. A
  /// retry with a live `hold_id`, the same holder and hold size returns that hold without an
  /// event. Errors: `invalid_argument` (malformed ids, quantity 0, `hold_id` in use otherwise),
  /// `too_many_seats`, `no_seats_available`.
  /// Prices as `hold`.
  caf::expected<hold_outcome> hold_best(std::string hold_id, std::string holder, uint32_t quantity,
                                        time_point now, uint64_t price_cap = no_price_cap);

  /// Moves the expiry to `min(now + hold_ttl, created_at + max_hold_total)` and bumps the
  /// generation. Errors: `hold_not_found`, `not_holder`, `hold_expired` (now >= expires_at),
  /// `extension_limit` (the new expiry would not be later).
  caf::expected<hold_outcome> extend(std::string_view hold_id, std::string_view holder,
                                     time_point now);

  /// Frees the hold's seats; allowed until the expiry is applied. Errors: `hold_not_found`,
  /// `not_holder`.
  caf::expected<change> release(std::string_view hold_id, std::string_view holder, time_point now);

  /// Timer callback: frees the hold's seats iff the hold is live, `generation` is its current
  /// one and `now >= expires_at`. Anything else is a stale timer: nothing happens, no error.
  std::optional<change> expire(std::string_view hold_id, uint64_t generation, time_point now);

  /// Sells the hold's seats to `order_id`, each charged the lower of its locked price and its
  /// price now (the event names the charges; `sold_to` reads them back). Errors: `invalid_argument`
  /// (malformed order id), `hold_not_found`, `not_holder`, `hold_expired` (now >= expires_at,
  /// even if the timer has not fired yet).
  caf::expected<change> confirm(std::string_view hold_id, std::string_view holder,
                                std::string order_id, time_point now);

  /// Returns a sold seat to free. Errors: `unknown_seat`, `seat_not_sold`, `not_holder` (the
  /// seat belongs to another order).
  caf::expected<change> refund(std::string_view seat_id, std::string_view order_id, time_point now);

  /// Ends the sale in this section: new holds are refused with `sale_not_open` (retries of a
  /// live hold are still answered); live holds may still be extended and sold until they end,
  /// and refunds go on. Final. Closing a closed section changes nothing: none.
  std::optional<pb::section_event> close(time_point now);

  /// The pricing engine sets every seat's price to `price` (> 0) at
  /// `price_version`; free seats show it at once, held seats keep their locked price. A version
  /// not above `price_version()` is a resend: none. Errors: `invalid_argument` (the price).
  caf::expected<std::optional<change>> set_price(uint64_t price_version, int64_t price,
                                                 time_point now);

  /// The whole state, for `from_snapshot`. Logically equal states give equal snapshots.
  pb::section_snapshot snapshot() const;

  // -- queries ----------------------------------------------------------------

  const section_config& config() const noexcept { return cfg_; }

  size_t seat_count() const noexcept { return seats_.size(); }

  /// The seat with id `seat_id`, if the section has one.
  std::optional<seat_view> seat(std::string_view seat_id) const;

  /// Every seat in config order, for the seat map.
  std::vector<seat_view> seats() const;

  /// The seats sold to `order_id`, in seat order (empty if none): lets a confirm that is
  /// retried after its reply was lost be answered as the success it was.
  std::vector<seat_view> sold_to(std::string_view order_id) const;

  std::optional<hold_info> find_hold(std::string_view hold_id) const;

  /// Every live hold, ordered by hold id (after recovery: re-arm one timer per hold).
  std::vector<hold_info> holds() const;

  /// The live holds with `expires_at <= now`: to expire at once after recovery.
  std::vector<hold_info> holds_past(time_point now) const;

  /// When the next live hold ends (the earliest `expires_at`); none without live holds. The
  /// section's one expiry timer is armed for it.
  std::optional<time_point> next_expiry() const;

  const section_counters& counters() const noexcept { return counters_; }

  /// The sale is over here (`close`).
  bool closed() const noexcept { return closed_; }

  /// The version of the last price set; 0 while seats sell at their tier prices.
  uint64_t price_version() const noexcept { return price_version_; }

  /// The seat at `index`'s price now, and at price version `version` (the lowest known when
  /// that version is older than the history kept).
  int64_t price_now(uint32_t index) const noexcept;
  int64_t price_at(uint32_t index, uint64_t version) const noexcept;

private:
  static constexpr uint32_t npos = UINT32_MAX;
  static constexpr size_t max_price_history = 256;

  struct seat_slot {
    int64_t price = 0; // locked price while held, price paid once sold; 0 when free
    uint32_t ref = 0;  // slot in holds_ while held, in orders_ once sold
    seat_status status = seat_status::free;
  };

  struct hold_rec {
    std::string id; // empty: the slot is free
    std::string holder;
    std::vector<uint32_t> seats;
    time_point created_at;
    time_point expires_at;
    uint64_t generation = 0;
  };

  struct order_rec {
    std::string id;
    uint32_t seats = 0; // sold seats pointing here; 0: the slot is free
  };

  explicit section_state(section_config cfg);

  uint32_t index_of(std::string_view seat_id) const;
  const hold_rec* live_hold(std::string_view hold_id) const;
  /// The live hold `hold_id` if `holder` owns it; hold_not_found / not_holder otherwise.
  caf::expected<const hold_rec*> owned_hold(std::string_view hold_id,
                                            std::string_view holder) const;
  hold_info info(const hold_rec& h) const;
  seat_view view(uint32_t index) const;
  std::vector<std::string> seat_ids_of(const hold_rec& h) const;
  uint32_t best_block(uint32_t quantity) const;
  caf::expected<hold_outcome> retry(const hold_rec& h, time_point now) const;
  caf::expected<hold_outcome> place(std::string hold_id, std::string holder,
                                    const std::vector<uint32_t>& seats, time_point now,
                                    uint64_t price_cap);
  friend event_sourced;
  static std::span<const kind_handler> handlers();
  std::string corruption_prefix() const;

  caf::error apply_held(const pb::seats_held& ev, time_point at);
  caf::error apply_extended(const pb::hold_extended& ev);
  caf::error apply_freed(std::string_view hold_id, std::optional<uint64_t> generation);
  caf::error apply_sold(const pb::hold_sold& ev);
  caf::error apply_refunded(const pb::seat_refunded& ev);
  caf::error apply_closed();
  caf::error apply_price(const pb::price_set& ev);
  void free_hold(uint32_t slot);
  uint32_t new_hold_slot();
  uint32_t new_order_slot(std::string order_id);

  section_config cfg_;
  // Seat indices sorted by seat id: the id lookup, 4 bytes a seat and safe to copy.
  std::vector<uint32_t> by_id_;
  std::vector<std::pair<uint32_t, uint32_t>> rows_; // [begin, end) of each row
  std::vector<seat_slot> seats_;                    // by seat index
  // Holds and orders live in slots that seats point to by index; freed slots are reused.
  std::vector<hold_rec> holds_;
  std::vector<uint32_t> free_holds_;
  std::map<std::string, uint32_t, std::less<>> hold_ids_; // live hold id -> slot
  std::vector<order_rec> orders_;
  std::vector<uint32_t> free_orders_;
  section_counters counters_;
  bool closed_ = false;
  // Dynamic pricing: the price set for every seat, and the prices set before it, oldest first.
  std::optional<int64_t> price_;
  uint64_t price_version_ = 0;
  std::vector<std::pair<uint64_t, int64_t>> price_history_;
  bool history_truncated_ = false;
};

} // namespace seatgrab::domain
