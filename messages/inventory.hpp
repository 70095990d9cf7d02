#pragma once

// Message types of the seat inventory: what callers send to event and section actors and
// what they get back. Plain structs with CAF 0.17 `inspect`; money in minor units, times in
// milliseconds since the Unix epoch.

#include <cstdint>
#include <string>
#include <vector>

namespace seatgrab {

/// A seat with its price (locked for a hold, paid for a sale, current for a free seat).
struct seat_price {
  std::string seat;
  int64_t price = 0;
  friend bool operator==(const seat_price&, const seat_price&) = default;
};

/// Hold these seats (`seats` non-empty), or the best `quantity` adjacent seats of `section`.
struct hold_request {
  std::string hold_id; ///< chosen by the caller; a retry with the same id is idempotent
  std::string holder;  ///< account (or session) that may confirm the hold
  std::vector<std::string> seats;
  std::string section;   ///< best available: the section to pick in
  uint32_t quantity = 0; ///< best available: how many adjacent seats
  std::string key;       ///< the client's idempotency key, if any, for the hold's note
  /// Every section of the hold (set by the event for each section's part), for the note a
  /// section writes with its part (persistence/hold_index.hpp).
  std::vector<std::string> sections;
  /// The price version of the holder's admission: no seat locks above its price then
  /// (UINT64_MAX: no admission, the price now).
  uint64_t price_cap = UINT64_MAX;
};

/// One section's part of a hold.
struct hold_part {
  std::string section;
  std::vector<seat_price> seats;
  int64_t expires_at_ms = 0;
  uint64_t generation = 0;
};

/// A live hold, possibly across sections.
struct hold_receipt {
  std::string hold_id;
  std::string holder;
  std::vector<hold_part> parts;
  int64_t total = 0;
  int64_t expires_at_ms = 0; ///< the earliest expiry of its parts
  /// The session answered from its record of the client's idempotency key: a retry.
  bool replayed = false;
};

/// Hold `hold_id` of `holder` was sold to `order_id`.
struct sale_receipt {
  std::string hold_id;
  std::string order_id;
  std::vector<seat_price> seats;
  int64_t total = 0;
};

/// Seat status as in the seat map API.
enum class seat_state : uint8_t { free = 0, held = 1, sold = 2 };

/// "free", "held" or "sold".
inline std::string to_string(seat_state x) {
  return x == seat_state::free ? "free" : x == seat_state::held ? "held" : "sold";
}

struct seat_entry {
  std::string id;
  seat_state status = seat_state::free;
  int64_t price = 0;
};

/// The seats of one section at `version` (moves on every change).
struct section_map {
  std::string section;
  uint64_t version = 0;
  std::vector<seat_entry> seats;
  uint64_t price_version = 0; ///< of the prices of its free seats (dynamic pricing)
};

/// The whole seat map of an event; `version` is the sum of its sections' versions.
struct event_map {
  std::string event;
  uint64_t version = 0;
  std::vector<section_map> sections;
  uint64_t price_version = 0; ///< the highest of its sections'
};

/// Cumulative demand counters of a section, for pricing (which diffs them per window).
struct section_demand {
  std::string section;
  uint64_t holds = 0;
  uint64_t held_seats = 0;
  uint64_t expiries = 0;
  uint64_t releases = 0;
  uint64_t sales = 0;
  uint64_t sold_seats = 0;
  uint64_t refunds = 0;
  uint32_t free_now = 0;
  uint32_t held_now = 0;
  uint32_t sold_now = 0;
  bool closed = false; ///< the sale is over in the section
};

/// Sale settings and schedule of an event on a venue.
struct event_info {
  std::string id;
  std::string venue_id;
  std::string name;
  int64_t opens_at_ms = 0;
  uint32_t hold_ttl_s = 300;
  uint32_t max_hold_total_s = 600; ///< hard cap on extensions
  uint32_t max_seats_per_hold = 8;
  uint32_t max_tickets_per_account = 8;
  uint32_t admission_per_min = 5000;    ///< waiting-room pacer rate
  uint32_t max_active_shoppers = 10000; ///< admitted and shopping at once, at most
  std::string queue_mode = "shuffle";   ///< pre-queue order at opening: shuffle | fifo
  /// Ticket codes carry a rotating part (15 s steps), so a screenshot stops working.
  bool rotating_codes = false;
  /// Refund policy: fans may refund their own unused tickets until this time; 0 = never (an
  /// operator always may).
  int64_t refunds_until_ms = 0;
  /// The venue's currency (ISO 4217), filled in by the catalog from the venue: not part of the
  /// event's own record.
  std::string currency{};
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, seat_price& x) {
  return f(x.seat, x.price);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, hold_request& x) {
  return f(x.hold_id, x.holder, x.seats, x.section, x.quantity, x.key, x.sections, x.price_cap);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, hold_part& x) {
  return f(x.section, x.seats, x.expires_at_ms, x.generation);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, hold_receipt& x) {
  return f(x.hold_id, x.holder, x.parts, x.total, x.expires_at_ms, x.replayed);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, sale_receipt& x) {
  return f(x.hold_id, x.order_id, x.seats, x.total);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, seat_entry& x) {
  return f(x.id, x.status, x.price);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, section_map& x) {
  return f(x.section, x.version, x.seats, x.price_version);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, event_map& x) {
  return f(x.event, x.version, x.sections, x.price_version);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, section_demand& x) {
  return f(x.section, x.holds, x.held_seats, x.expiries, x.releases, x.sales, x.sold_seats,
           x.refunds, x.free_now, x.held_now, x.sold_now, x.closed);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, event_info& x) {
  return f(x.id, x.venue_id, x.name, x.opens_at_ms, x.hold_ttl_s, x.max_hold_total_s,
           x.max_seats_per_hold, x.max_tickets_per_account, x.admission_per_min,
           x.max_active_shoppers, x.queue_mode, x.rotating_codes, x.refunds_until_ms, x.currency);
}

} // namespace seatgrab
