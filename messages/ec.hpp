#pragma once

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/make_message.hpp>
#include <caf/message.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace seatgrab {

/// Every error SeatGrab reports. Values are stable: the HTTP edge maps each to one status and
/// one `code` string, and journals never store them.
enum class ec : uint8_t {
  /// Not an error; required by CAF as value 0.
  none = 0,
  /// A caller passed a malformed argument (empty id, NUL byte, zero quantity, ...).
  invalid_argument,
  /// An input file (venue, config) does not validate; the context names file, field and reason.
  invalid_input,
  /// The data directory does not exist and cannot be created, or is not readable/writable.
  storage_unavailable,
  /// Another process holds the data directory's lock.
  storage_locked,
  /// A stored record fails its checksum or does not parse; the context names the key.
  storage_corruption,
  /// RocksDB reported an I/O or internal error.
  storage_io,
  /// The journal writer is shut down and accepts no more appends.
  storage_closed,
  /// The entity (event, section, hold, ...) does not exist.
  not_found,
  /// The event or section id is not part of the venue.
  unknown_section,
  /// A seat id does not exist in the addressed section.
  unknown_seat,
  /// The same seat appears twice in one request.
  duplicate_seat,
  /// A request asks for more seats than one hold may take.
  too_many_seats,
  /// A requested seat is held or sold by someone else.
  seat_taken,
  /// Best available found no block of adjacent free seats of the requested size.
  no_seats_available,
  /// The hold id is unknown (never existed, released or already sold).
  hold_not_found,
  /// The caller is not the holder or owner of what it addresses.
  not_holder,
  /// The hold's time ran out before the operation.
  hold_expired,
  /// The hold may not be extended any further (hard cap reached).
  extension_limit,
  /// The seat is not sold, so it cannot be refunded.
  seat_not_sold,
  /// The account would exceed its ticket limit for the event.
  ticket_limit,
  /// The id is already taken by something different (venue, event).
  already_exists,
  /// An actor the request depends on did not answer in time or is gone.
  unavailable,
  /// The queue ticket is unknown for this event.
  unknown_ticket,
  /// An admission token is malformed, forged, or signed with an unknown key.
  admission_invalid,
  /// An admission token's time is up.
  admission_expired,
  /// An admission token was issued for another event, account or device.
  admission_mismatch,
  /// The waiting room is paused, or the sale is not open for this operation.
  sale_not_open,
  /// The email and password do not match an account (deliberately not saying which is wrong).
  bad_credentials,
  /// The bearer token is missing, unknown, expired or logged out.
  unauthenticated,
  /// The payment provider declined the card.
  payment_declined,
  /// The ticket was admitted at the gate already; it can no longer be transferred or refunded.
  ticket_used,
  /// The ticket was refunded; it is no longer valid.
  ticket_refunded,
  /// The event's refund policy does not allow this refund (only an operator may).
  refund_closed,
  /// The caller may not do this (e.g. a fan using an operator route).
  forbidden,
  /// The device already holds a queue place for another account; one place per account, and a
  /// device's place is never handed to a second account.
  device_in_use,
  /// The data dir's file system is full: journal writes are refused (503 + Retry-After) until
  /// space returns and the store resumes by itself; reads go on.
  storage_full,
  /// Password hashing is saturated (its bounded queue is full); retry after a moment.
  auth_busy,
  /// Too many log-ins from this address or for this e-mail; retry later.
  login_limited,
  /// The e-mail holds invisible, control or otherwise refused characters, or is not UTF-8.
  invalid_email,
  /// The event's sale opened: its published price ladders stand (a freeze or a level may
  /// still change).
  pricing_locked,
  /// The bot guard asks for a harder proof of work first (the problem carries it).
  challenge_required,
  /// The bot guard asks for the step-up challenge first (the problem carries it).
  step_up_required,
  /// Too many joins from the address prefix, or purchases or declines with the card: retry
  /// after the wait the error carries.
  velocity_limited,
  /// The device was used by as many accounts for the event as the rules allow.
  device_limit,
  /// The card bought as many tickets for the event as the rules allow.
  card_limit,
  /// The bot guard refused a checkout: the client's signals and its conduct since it joined
  /// are a script's, not a browser's.
  suspected_bot,
};

/// Stable snake_case name of `x`, e.g. "seat_taken".
std::string_view to_string(ec x) noexcept;

/// The `ec` in `err`; `ec::none` for errors of other categories (CAF's timeouts, a dead
/// actor, ...).
ec ec_of(const caf::error& err) noexcept;

/// Renders a CAF error of our category as "name: context", others via CAF's own rendering.
std::string render(const caf::error& err);

/// The error of `x` rendered, or "none" when it holds a value (`x.error()` would then read a
/// value as an error: doctest evaluates a REQUIRE_MESSAGE's text even when it passes, with -s).
template <class T>
std::string render(const caf::expected<T>& x) {
  return x ? std::string{"none"} : render(x.error());
}

} // namespace seatgrab

CAF_ERROR_CODE_ENUM(seatgrab::ec, "seatgrab")
