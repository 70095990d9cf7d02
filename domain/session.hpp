#pragma once

#include "domain/event_sourced.hpp"
#include "messages/session.pb.h"

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace seatgrab::domain {

/// Domain time: milliseconds since the Unix epoch. Domain code never reads a clock; callers
/// pass `now` in.
using time_point = std::chrono::sys_time<std::chrono::milliseconds>;

/// A seat of a hold, with the price the hold locked.
struct session_seat {
  std::string section;
  std::string seat;
  int64_t price = 0;
  friend bool operator==(const session_seat&, const session_seat&) = default;
};

/// A hold as the fan's session remembers it.
struct session_hold {
  std::string hold_id;
  std::string event_id;
  std::vector<session_seat> seats;
  time_point expires_at;
  std::string key; ///< the client's idempotency key; empty if none

  /// The sections of its seats, each once, in seat order.
  std::vector<std::string> sections() const;

  friend bool operator==(const session_hold&, const session_hold&) = default;
};

/// An order the fan placed.
struct session_order {
  std::string event_id;
  std::string order_id;
  std::string hold_id;
  time_point at;
  friend bool operator==(const session_order&, const session_order&) = default;
};

/// One fan's session across events: where they queue (ticket and device per event), their live
/// holds and their orders, event sourced so that a passivated session comes back as it was.
/// The inventory itself lives in the sections; this is the fan's index into it, used for the
/// per-account limit at hold time and to check out a hold by id alone. Every mutating operation
/// validates first and on failure changes nothing; on success it applies the event (the same
/// path as recovery) and returns it to journal. `apply` and `version()` come from
/// `event_sourced`; `apply` fails on an unexpected hold id or an unknown hold, too.
class session_state : public event_sourced<session_state, pb::session_event> {
public:
  explicit session_state(std::string account);

  // -- operations -------------------------------------------------------------

  /// The fan joined the queue of `event_id` with `ticket` from `device`. None when that is
  /// already known (a repeated join). Errors: `invalid_argument` for malformed ids.
  caf::expected<std::optional<pb::session_event>> queued(std::string_view event_id, uint64_t ticket,
                                                         std::string_view device, time_point now);

  /// How the id of the next hold starts: "<account>-h<n>-". The caller appends a suffix: one
  /// derived from the client's idempotency key (a retry after a lost answer then meets the same
  /// hold in the sections, which treat a repeated hold id as a retry), or a random one per
  /// attempt without a key.
  std::string hold_id_prefix() const;

  /// The sections hold `hold` for the fan. Errors: `invalid_argument` when its id is not
  /// `hold_id_prefix()` plus a suffix, or it has no event or seats, or its key was used.
  caf::expected<pb::session_event> held(session_hold hold, time_point now);

  /// Hold `hold_id` ended: `reason` "released", "ordered" (with `order_id`) or an ec name.
  /// Errors: `hold_not_found`; `invalid_argument` for "ordered" without an order id.
  caf::expected<pb::session_event> hold_ended(std::string_view hold_id, std::string_view reason,
                                              std::string_view order_id, time_point now);

  /// Forgets holds that expired before `cutoff` (memory only: replay re-adds them, and they
  /// are filtered by time anyway).
  void forget_expired(time_point cutoff);

  // -- queries ----------------------------------------------------------------

  const std::string& account() const noexcept { return account_; }

  /// The queue ticket and device of the fan for `event_id`.
  std::optional<std::pair<uint64_t, std::string>> queue_place(std::string_view event_id) const;

  /// Hold `hold_id`, live or expired (until forgotten).
  std::optional<session_hold> find_hold(std::string_view hold_id) const;

  /// The holds with `now < expires_at`, in hold id order.
  std::vector<session_hold> live_holds(time_point now) const;

  /// Seats in live holds for `event_id`.
  uint32_t held_seats(std::string_view event_id, time_point now) const;

  /// Idempotency keys a session remembers; beyond, the oldest is forgotten (the edge keeps
  /// its own record of each answer for a day), so a fan who holds all day costs bounded memory:
  /// a few KB a session, for the hundreds of thousands of sessions of an on-sale.
  static constexpr size_t max_keys = 64;

  /// The hold made with idempotency key `key` (live, expired or ended), if any, among the
  /// newest `max_keys` keys.
  std::optional<std::string> hold_for_key(std::string_view key) const;

  /// The hold among the sections' `notes` (persistence/hold_index.hpp) that this journal does
  /// not record: the one whose id extends `hold_id_prefix()` and whose every section noted its
  /// part, merged (seats in the order of its sections, the earliest expiry). Only that hold can
  /// be missing: a session submits its record of a hold before it asks for the next one, and
  /// the writer makes writes durable in the order they came. A hold some section did not note
  /// was never answered to the fan; its parts expire.
  std::optional<session_hold> unrecorded_hold(const std::vector<pb::hold_note>& notes) const;

  /// The order hold `hold_id` became, if it was bought.
  std::optional<session_order> order_of_hold(std::string_view hold_id) const;

  /// The fan's orders, oldest first.
  const std::vector<session_order>& orders() const noexcept { return orders_; }

private:
  friend event_sourced;
  static std::span<const kind_handler> handlers();
  std::string corruption_prefix() const { return "session/" + account_; }
  caf::error apply_queued(const pb::session_queued& x);
  caf::error apply_held(const pb::session_held& x);
  caf::error apply_hold_ended(const pb::session_hold_ended& x, time_point at);

  std::string account_;
  std::map<std::string, std::pair<uint64_t, std::string>, std::less<>> places_; // by event
  std::map<std::string, session_hold, std::less<>> holds_;                      // by hold id
  std::map<std::string, std::string, std::less<>> keys_; // idempotency key -> hold id
  std::deque<std::string> key_order_;                    // keys_, oldest first
  std::vector<session_order> orders_;
  uint64_t holds_made_ = 0; // holds ever recorded, for the id prefix
};

} // namespace seatgrab::domain
