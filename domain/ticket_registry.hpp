#pragma once

#include "domain/checkout.hpp"
#include "domain/event_sourced.hpp"
#include "domain/ticket.hpp"
#include "messages/tickets.pb.h"

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace seatgrab::domain {

/// A ticket as the registry knows it.
struct ticket_view {
  std::string ticket_id;
  std::string event_id;
  std::string order_id;
  std::string seat_id;
  std::string buyer; ///< who paid; refunds go to the buyer's payment
  std::string owner; ///< who holds the current version
  std::string payment_id;
  int64_t price = 0;
  uint32_t version = 1;
  time_point issued_at; ///< of the current version
  bool used = false;    ///< admitted at the gate
  bool refunded = false;
  bool seat_released = false; ///< refunded and the seat is on sale again

  /// What the ticket's code signs.
  [[nodiscard]] ticket_payload payload() const;

  friend bool operator==(const ticket_view&, const ticket_view&) = default;
};

/// What a gate scan found: the answer, the ticket (when the signature holds) and, for a first
/// valid scan, the admission to journal (already applied).
struct scan_outcome {
  scan_result result = scan_result::invalid;
  std::optional<ticket_payload> ticket;
  std::optional<pb::ticket_event> event;
};

/// The tickets of one event after the sale: who owns which version, transfers, refunds and
/// admission at the gate, event sourced like `checkout_state`. Every mutating operation
/// validates first and on failure changes nothing; on success it builds a `pb::ticket_event`,
/// applies it through `apply` (the same path as recovery replay) and returns it to journal.
///
/// Ownership: every query and operation by a fan names the acting account, and another fan's
/// ticket is `not_found`, exactly like an unknown id, so guessing ids reveals nothing.
/// Revocation: a transfer revokes every older version and a refund the current one, in the
/// registry's own gate verifier at once (online scans), and in `revocations()` for the lists
/// synced to offline gate devices.
///
/// `apply` and `version()` come from `event_sourced`; `apply` also rejects an unknown ticket,
/// a wrong owner or version.
class ticket_registry : public event_sourced<ticket_registry, pb::ticket_event> {
public:
  /// An empty registry for `event_id`, whose codes `verifier` checks (the event's public key,
  /// rotation key if any).
  ticket_registry(std::string event_id, gate_verifier verifier);

  // -- operations -------------------------------------------------------------

  /// Issues the tickets of a completed order (`order.step == completed`), each version 1
  /// owned by the buyer, issued at `order.captured_at`. None if the order's tickets exist
  /// already (a retried issue). Errors: `invalid_argument` for an order of another event, not
  /// completed, or whose ticket ids are taken by another order.
  caf::expected<std::optional<pb::ticket_event>> issue(const order_view& order);

  /// Gives ticket `ticket_id` of `by` to account `to`: a new version for `to`, issued `now`;
  /// the old versions are revoked. `key` is the request's idempotency key (empty: none),
  /// journaled with the transfer so that a retry finds it (`transferred_with`). Errors:
  /// `not_found` (unknown, or `by` is not the owner), `invalid_argument` (empty `to`,
  /// `to == by`, a malformed key or one `by` used on this ticket's transfers before),
  /// `ticket_used`, `ticket_refunded`.
  caf::expected<pb::ticket_event> transfer(std::string_view ticket_id, std::string_view by,
                                           std::string_view to, time_point now,
                                           std::string_view key = {});

  /// Refunds ticket `ticket_id` at its price: the owner may while `now < refunds_until` (the
  /// event's policy; the epoch means never), an operator always. The ticket is revoked at once;
  /// the caller refunds the payment in the same journal write and then puts the seat back on
  /// sale (`seat_released`). `key` as for `transfer` (`refunded_with`). Errors: `not_found`
  /// (unknown, or `by` is neither the owner nor an operator), `ticket_used`, `ticket_refunded`,
  /// `refund_closed`, `invalid_argument` (a malformed key).
  caf::expected<pb::ticket_event> refund(std::string_view ticket_id, std::string_view by,
                                         bool by_operator, time_point refunds_until, time_point now,
                                         std::string_view key = {});

  /// The seat of refunded ticket `ticket_id` is on sale again. Errors: `invalid_argument` when
  /// the ticket is unknown, not refunded, or released already.
  caf::expected<pb::ticket_event> seat_released(std::string_view ticket_id, time_point now);

  /// Online gate check of `code`: the verifier's answer, `already_used` for a ticket admitted
  /// before; a first `valid` scan admits the ticket (the event to journal).
  scan_outcome scan(std::string_view code, time_point now);

  // -- queries ----------------------------------------------------------------

  const std::string& event_id() const noexcept { return event_id_; }

  /// Number of tickets ever issued.
  size_t size() const noexcept { return tickets_.size(); }

  /// Ticket `ticket_id`, for the coordinator and operators.
  std::optional<ticket_view> find(std::string_view ticket_id) const;

  /// Ticket `ticket_id` if `account` owns its current version; none otherwise.
  std::optional<ticket_view> find_for(std::string_view ticket_id, std::string_view account) const;

  /// The tickets `account` owns now, by ticket id; refunded ones included (so the fan sees
  /// them), transferred-away ones not.
  std::vector<ticket_view> owned_by(std::string_view account) const;

  /// A retry of a transfer that was made (its answer lost in a crash): the ticket as the
  /// transfer of `ticket_id` by `by` with idempotency key `key` left it, i.e. what its answer
  /// showed (the new version, owned by the recipient, issued at the transfer), whatever
  /// happened to the ticket since. None if `by` made no transfer of it with `key` (a new
  /// request). `invalid_argument` if that transfer went to another account than `to` (the key
  /// reused with another request).
  caf::expected<std::optional<ticket_view>> transferred_with(std::string_view ticket_id,
                                                             std::string_view by,
                                                             std::string_view to,
                                                             std::string_view key) const;

  /// A retry of a refund that was made: the refunded ticket if `by` refunded `ticket_id` with
  /// idempotency key `key`; none otherwise (a new request).
  std::optional<ticket_view> refunded_with(std::string_view ticket_id, std::string_view by,
                                           std::string_view key) const;

  /// Whether the tickets of `order_id` were issued.
  bool issued(std::string_view order_id) const;

  /// Tickets bought by `account` and refunded since: they no longer count against the
  /// per-account limit.
  uint32_t refunded_of(std::string_view account) const;

  /// Refunded tickets whose seats are not on sale again yet (after recovery: release each).
  std::vector<ticket_view> unreleased() const;

  /// The verifier with every revocation so far, e.g. to export the list to gate devices.
  const gate_verifier& verifier() const noexcept { return verifier_; }

private:
  struct ticket_rec {
    ticket_view view;
  };

  /// What a transfer or refund with an idempotency key did, for its retries.
  struct keyed_change {
    std::string to;       ///< transfer: the recipient
    uint32_t version = 0; ///< transfer: the new version
    time_point at;        ///< transfer: the new version's issue time
  };

  /// The key of `keyed_`: kind ('t'ransfer or 'r'efund), ticket, acting account, request key.
  static std::string keyed_id(char kind, std::string_view ticket_id, std::string_view by,
                              std::string_view key);

  ticket_rec* find_rec(std::string_view ticket_id);
  const ticket_rec* find_rec(std::string_view ticket_id) const;
  friend event_sourced;
  static std::span<const kind_handler> handlers();
  std::string corruption_prefix() const { return "ticket/" + event_id_; }
  caf::error apply_issued(const pb::tickets_issued& ev, time_point at);
  caf::error apply_transferred(const pb::ticket_transferred& ev, time_point at);
  caf::error apply_refunded(const pb::ticket_refunded& ev);
  caf::error apply_seat_released(const pb::ticket_seat_released& ev);
  caf::error apply_admitted(const pb::ticket_admitted& ev);

  std::string event_id_;
  gate_verifier verifier_;
  std::map<std::string, ticket_rec, std::less<>> tickets_;             // by ticket id
  std::map<std::string, std::set<std::string>, std::less<>> by_owner_; // owner -> ids
  std::set<std::string, std::less<>> orders_;                          // issued orders
  std::map<std::string, uint32_t, std::less<>> refunded_by_buyer_;     // buyer -> count
  std::set<std::string, std::less<>> unreleased_;                      // refunded ids
  std::map<std::string, keyed_change, std::less<>> keyed_;             // see keyed_id
};

} // namespace seatgrab::domain
