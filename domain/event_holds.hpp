#pragma once

// The logic of an event's holds across sections, without actors or clocks: split a hold
// request by section, merge the sections' answers into one receipt or one error, and decide
// what to undo when some section refused (all or nothing). The event actor only sends the
// messages this plans and delivers what it decides.

#include "domain/venue.hpp"
#include "messages/inventory.hpp"

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace seatgrab::domain {

/// Whether a section answering `err` to a hold did not place its part (so there is nothing of
/// it to release): the seats were refused, as opposed to an unknown outcome such as a timeout.
bool refused(const caf::error& err);

/// What to do once every section answered a hold: reply `reply`, and release the hold in
/// `release_in` (empty on success).
struct hold_decision {
  caf::expected<hold_receipt> reply = hold_receipt{};
  std::vector<std::string> release_in;
};

/// What to do once every section answered a confirm: reply `reply`, and refund each seat of
/// `refund` (seat, section) to the order (empty on success or when the outcome is unknown).
struct sale_decision {
  caf::expected<sale_receipt> reply = sale_receipt{};
  std::vector<std::pair<std::string, std::string>> refund;
};

/// An event's seats by section and its rules for holds that span sections.
class event_holds {
public:
  /// For the seats of `v`, with at most `max_seats_per_hold` seats in one hold.
  event_holds(std::shared_ptr<const venue> v, uint32_t max_seats_per_hold);

  /// Splits `req` into one request per section, in section id order: its seats grouped by
  /// section (in request order within a section), or, for best available (no seats), the
  /// request itself for its section. Errors, in this order of checks: best available:
  /// `unknown_section`, `too_many_seats` (quantity); seats: `too_many_seats`, then per seat in
  /// request order `unknown_seat`, `duplicate_seat`.
  caf::expected<std::vector<hold_request>> split(const hold_request& req) const;

  /// The outcome of a hold whose parts `placed` were placed and whose other parts failed with
  /// `errors` in sections `failed` (same order). On success one receipt (parts in the given
  /// order). Otherwise one error (`seat_taken` naming every taken seat, else the first error)
  /// and, all or nothing, the hold is released where it was placed and where the outcome is
  /// unknown (a timeout may still have placed it).
  hold_decision decide_hold(const hold_request& req, std::vector<hold_part> placed,
                            const std::vector<caf::error>& errors,
                            const std::vector<std::string>& failed) const;

  /// The outcome of a confirm of hold `hold_id` to `order_id` whose parts `sold` were sold and
  /// whose other parts failed with `errors`. On success one receipt of every seat. If a section
  /// did not answer (an error other than a refusal, `hold_not_found` or `not_holder`) the
  /// outcome is unknown: `unavailable` and nothing undone, the caller retries. Otherwise the
  /// first error, and every seat sold is refunded, seat by seat.
  sale_decision decide_sale(const std::string& hold_id, const std::string& order_id,
                            const std::vector<sale_receipt>& sold,
                            const std::vector<caf::error>& errors) const;

  /// The outcome of a refund whose seats answered `errors`: the first error, except that a
  /// seat no longer sold to the order was refunded before (a seat leaves its order only by
  /// refund), so `seat_not_sold` and `not_holder` count as done.
  static caf::error merge_refund_errors(const std::vector<caf::error>& errors);

  /// The section of each of `seats`, in order. Errors: `unknown_seat`.
  caf::expected<std::vector<std::string>> sections_of(const std::vector<std::string>& seats) const;

  /// The section of `seat`, or nullptr if the venue has no such seat.
  const std::string* section_of(std::string_view seat) const;

  /// Every section id, in venue order.
  std::vector<std::string> sections() const;

  /// How many sections the venue has.
  size_t section_count() const noexcept { return venue_->sections.size(); }

  /// One seat map of the event from its sections' maps (any order): sections in venue order,
  /// the version the sum of theirs.
  event_map merge_maps(const std::string& event_id, std::vector<section_map> maps) const;

private:
  caf::error too_many() const;

  std::shared_ptr<const venue> venue_;
  uint32_t max_seats_;
  std::unordered_map<std::string, uint32_t> section_of_seat_; // seat id -> venue section index
};

} // namespace seatgrab::domain
