#pragma once

#include "domain/event_sourced.hpp"
#include "messages/checkout.pb.h"
#include "messages/ec.hpp"

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace seatgrab::domain {

/// Domain time: milliseconds since the Unix epoch. Domain code never reads a clock; callers
/// pass `now` in.
using time_point = std::chrono::sys_time<std::chrono::milliseconds>;

/// What a client asks for when it checks out a hold.
struct checkout_request {
  std::string idempotency_key; ///< chosen by the client; a retry reuses it
  std::string account;         ///< the buyer, who must hold the hold
  std::string event_id;
  std::string hold_id;
  std::vector<std::string> sections;                  ///< sections holding the hold's seats
  std::vector<std::pair<std::string, int64_t>> seats; ///< seat id, price locked by the hold
  int64_t total = 0;                                  ///< sum of the seat prices, minor units
  std::string currency;                               ///< ISO 4217, e.g. "EUR"
  /// Opaque token of the payment provider; in the simulator the test card number. It is
  /// journaled so that the authorization can be retried after a crash, so in production it
  /// must be a provider token, never a card number (PAN).
  std::string payment_method;
  friend bool operator==(const checkout_request&, const checkout_request&) = default;
};

/// Where a checkout stands. completed and failed are final.
enum class checkout_step : uint8_t {
  authorizing,      ///< waiting for the provider's definite answer
  confirming_seats, ///< authorized; the sections must sell the seats to the order
  capturing,        ///< seats sold; the payment must be captured
  issuing,          ///< captured; the tickets must be issued
  completed,        ///< paid, seats sold, tickets issued
  voiding,          ///< seats refused; the authorization must be voided
  failed,           ///< declined, or voided after a refusal; nothing charged, nothing sold
};

/// "authorizing", "confirming_seats", "capturing", "issuing", "completed", "voiding", "failed".
std::string_view to_string(checkout_step x) noexcept;

/// What the coordinator must do next for an order.
enum class checkout_action : uint8_t {
  /// `payment_gateway::authorize` with `payment_for(order)`; same key on every retry. A
  /// timeout (`ec::unavailable`) changes nothing here: retry later.
  authorize,
  /// `section_state::confirm(hold_id, account, order_id)` in every section of the order. Seats
  /// already sold to the order (a confirmation whose answer was lost in a crash) count as
  /// confirmed.
  confirm_seats,
  /// `payment_gateway::capture(payment_id)`; capturing twice is harmless.
  capture,
  /// Sign and store `tickets_to_issue(order)`; deterministic, so a re-issue gives the same
  /// tickets.
  issue_tickets,
  /// `payment_gateway::void_payment(payment_id)`; voiding twice is harmless.
  void_payment,
  /// Nothing: the order is final or unknown.
  none,
};

/// "authorize", "confirm_seats", "capture", "issue_tickets", "void_payment" or "none".
std::string_view to_string(checkout_action x) noexcept;

/// A ticket issued for a seat of an order.
struct issued_ticket {
  std::string ticket_id; ///< order id + "-" + 1-based index of the seat in the order
  std::string seat_id;
  uint32_t version = 1;
  friend bool operator==(const issued_ticket&, const issued_ticket&) = default;
};

/// An order as the queries report it.
struct order_view {
  std::string order_id;
  std::string account;
  std::string event_id;
  std::string hold_id;
  std::vector<std::string> sections;
  /// Seat id and price: locked by the hold, then what the seat was charged once the sections
  /// sold it (never more).
  std::vector<std::pair<std::string, int64_t>> seats;
  int64_t total = 0;        ///< sum of `seats`' prices: what is captured
  int64_t locked_total = 0; ///< sum of the locked prices: what was authorized
  std::string currency;
  checkout_step step = checkout_step::authorizing;
  std::string payment_id;             ///< empty until authorized
  std::vector<issued_ticket> tickets; ///< empty until completed
  ec failure = ec::none;              ///< failed only: payment_declined, hold_expired, ...
  std::string decline_reason;         ///< the provider's code when declined
  time_point created_at;
  time_point captured_at; ///< the tickets' issue time; epoch until captured
  time_point updated_at;  ///< time of the last step
  friend bool operator==(const order_view&, const order_view&) = default;
};

/// The arguments of the authorization of an order, for the coordinator.
struct payment_request {
  std::string idempotency_key; ///< event id + "/" + order id: unique at the provider
  std::string payment_method;  ///< opaque provider token; never log or show it
  int64_t amount = 0;
  std::string currency;
};

/// Result of `checkout_state::begin`.
struct begin_outcome {
  std::string order_id;
  /// The event to journal; none when a retry returned the existing order.
  std::optional<pb::checkout_event> event;
};

/// All checkouts of one event as a saga state machine (DESIGN §6): hold live and owned →
/// authorize → confirm seats → capture → issue tickets, or void the authorization when the
/// seats are refused. The class decides and the coordinator actor executes: after each action
/// the actor reports the result through the matching operation, which validates it against the
/// order's current step (`invalid_argument` otherwise, nothing changes), builds a
/// `pb::checkout_event`, applies it through `apply` (the same path as recovery) and returns it
/// for the caller to journal. Knows nothing of actors, clocks or I/O.
///
/// Invariants: an order completes only after capture; capture follows seat confirmation; a
/// void is only for an authorized, uncaptured payment.
///
/// `apply` and `version()` come from `event_sourced`; `apply` also rejects an unknown order,
/// a wrong step or a reused key.
class checkout_state : public event_sourced<checkout_state, pb::checkout_event> {
public:
  /// An empty state for the checkouts of `event_id`.
  explicit checkout_state(std::string event_id);

  // -- operations -------------------------------------------------------------

  /// Starts a checkout in step authorizing, or returns the existing order for the same
  /// idempotency key and an identical request (no event, whatever its step). Errors:
  /// `invalid_argument` for the same key with another request ("idempotency key reused with
  /// another request"), for malformed ids, another event, no sections or seats, repeated seats,
  /// negative prices, a total that is not the sum of the prices, a currency that is not three
  /// upper-case letters, or an empty payment method.
  caf::expected<begin_outcome> begin(checkout_request req, time_point now);

  /// The provider authorized the payment `payment_id`: authorizing → confirming_seats.
  caf::expected<pb::checkout_event> authorized(std::string_view order_id, std::string payment_id,
                                               time_point now);

  /// The provider declined: authorizing → failed with `payment_declined`.
  caf::expected<pb::checkout_event> declined(std::string_view order_id, std::string reason,
                                             time_point now);

  /// Every section sold the seats to the order, charging `charged` (seat id, price; every seat
  /// of the order once, each at most its locked price; empty: the locked prices):
  /// confirming_seats → capturing. Errors: `invalid_argument` for charges that do not fit.
  caf::expected<pb::checkout_event>
  seats_confirmed(std::string_view order_id,
                  const std::vector<std::pair<std::string, int64_t>>& charged, time_point now);

  /// A section refused (`why`: hold_expired, not_holder, hold_not_found, ...; not `ec::none`):
  /// confirming_seats → voiding. The order fails with `why` once voided.
  caf::expected<pb::checkout_event> seats_refused(std::string_view order_id, ec why,
                                                  time_point now);

  /// The provider captured the payment: capturing → issuing.
  caf::expected<pb::checkout_event> captured(std::string_view order_id, time_point now);

  /// The tickets were issued: issuing → completed. `tickets` must equal
  /// `tickets_to_issue(order_id)`.
  caf::expected<pb::checkout_event>
  tickets_issued(std::string_view order_id, std::vector<issued_ticket> tickets, time_point now);

  /// The provider voided the authorization: voiding → failed with the refusal reason.
  caf::expected<pb::checkout_event> voided(std::string_view order_id, time_point now);

  // -- queries ----------------------------------------------------------------

  const std::string& event_id() const noexcept { return event_id_; }

  /// What the coordinator must do next for `order_id`; `none` for final or unknown orders.
  checkout_action next_action(std::string_view order_id) const;

  /// Every open order with its next action, in order of creation (after recovery: resume
  /// each).
  std::vector<std::pair<std::string, checkout_action>> pending() const;

  /// The order `order_id`, for the coordinator.
  std::optional<order_view> find(std::string_view order_id) const;

  /// The order `order_id` if `account` owns it; none for another account, so that a fan
  /// cannot read another fan's order.
  std::optional<order_view> find_for(std::string_view order_id, std::string_view account) const;

  /// The order started with `idempotency_key`.
  std::optional<std::string> order_for_key(std::string_view idempotency_key) const;

  /// The authorization arguments of `order_id`.
  std::optional<payment_request> payment_for(std::string_view order_id) const;

  /// The tickets the order gets, one per seat in order, ids derived from the order id.
  std::vector<issued_ticket> tickets_to_issue(std::string_view order_id) const;

  /// Number of orders ever started.
  size_t size() const noexcept { return orders_.size(); }

  /// Seats in the orders of `account` that have not failed (open or completed), for the
  /// per-account ticket limit.
  uint32_t seats_of(std::string_view account) const;

private:
  struct order_rec {
    std::string id;
    checkout_request req;
    checkout_step step = checkout_step::authorizing;
    std::string payment_id;
    std::vector<issued_ticket> tickets;
    ec failure = ec::none;
    std::string decline_reason;
    time_point created_at;
    time_point captured_at;
    time_point updated_at;
    std::vector<int64_t> charged; // per seat in request order, once confirmed
  };

  const order_rec* find_rec(std::string_view order_id) const;
  caf::expected<const order_rec*> in_step(std::string_view order_id, checkout_step step) const;
  friend event_sourced;
  static std::span<const kind_handler> handlers();
  std::string corruption_prefix() const {
    return "checkouts of event '" + event_id_ + "' at version " + std::to_string(version());
  }
  /// The base's next event, for `order_id`.
  pb::checkout_event next_event(std::string_view order_id, time_point now) const;
  order_view view(const order_rec& rec) const;
  caf::error apply_started(const pb::checkout_event& ev);
  /// Every kind but started: a step of an existing order.
  caf::error apply_step(const pb::checkout_event& ev);
  void uncount(const order_rec& rec);

  std::string event_id_;
  std::vector<order_rec> orders_;                                 // in creation order
  std::map<std::string, size_t, std::less<>> by_id_;              // order id -> index
  std::map<std::string, std::string, std::less<>> by_key_;        // idempotency key -> order id
  std::map<std::string, uint32_t, std::less<>> seats_by_account_; // see seats_of
};

} // namespace seatgrab::domain
