#include "messages/ec.hpp"

#include <caf/message.hpp>

namespace seatgrab {

std::string_view to_string(ec x) noexcept {
  switch (x) {
  case ec::none:
    return "none";
  case ec::invalid_argument:
    return "invalid_argument";
  case ec::invalid_input:
    return "invalid_input";
  case ec::storage_unavailable:
    return "storage_unavailable";
  case ec::storage_locked:
    return "storage_locked";
  case ec::storage_corruption:
    return "storage_corruption";
  case ec::storage_io:
    return "storage_io";
  case ec::storage_closed:
    return "storage_closed";
  case ec::not_found:
    return "not_found";
  case ec::unknown_section:
    return "unknown_section";
  case ec::unknown_seat:
    return "unknown_seat";
  case ec::duplicate_seat:
    return "duplicate_seat";
  case ec::too_many_seats:
    return "too_many_seats";
  case ec::seat_taken:
    return "seat_taken";
  case ec::no_seats_available:
    return "no_seats_available";
  case ec::hold_not_found:
    return "hold_not_found";
  case ec::not_holder:
    return "not_holder";
  case ec::hold_expired:
    return "hold_expired";
  case ec::extension_limit:
    return "extension_limit";
  case ec::seat_not_sold:
    return "seat_not_sold";
  case ec::ticket_limit:
    return "ticket_limit";
  case ec::already_exists:
    return "already_exists";
  case ec::unavailable:
    return "unavailable";
  case ec::unknown_ticket:
    return "unknown_ticket";
  case ec::admission_invalid:
    return "admission_invalid";
  case ec::admission_expired:
    return "admission_expired";
  case ec::admission_mismatch:
    return "admission_mismatch";
  case ec::sale_not_open:
    return "sale_not_open";
  case ec::bad_credentials:
    return "bad_credentials";
  case ec::unauthenticated:
    return "unauthenticated";
  case ec::payment_declined:
    return "payment_declined";
  case ec::ticket_used:
    return "ticket_used";
  case ec::ticket_refunded:
    return "ticket_refunded";
  case ec::refund_closed:
    return "refund_closed";
  case ec::forbidden:
    return "forbidden";
  case ec::device_in_use:
    return "device_in_use";
  case ec::storage_full:
    return "storage_full";
  case ec::auth_busy:
    return "auth_busy";
  case ec::login_limited:
    return "login_limited";
  case ec::invalid_email:
    return "invalid_email";
  case ec::pricing_locked:
    return "pricing_locked";
  case ec::challenge_required:
    return "challenge_required";
  case ec::step_up_required:
    return "step_up_required";
  case ec::velocity_limited:
    return "velocity_limited";
  case ec::device_limit:
    return "device_limit";
  case ec::card_limit:
    return "card_limit";
  case ec::suspected_bot:
    return "suspected_bot";
  }
  return "unknown_ec";
}

ec ec_of(const caf::error& err) noexcept {
  // CAF 0.17's category() dereferences the error's data: an empty error has none.
  if (!err)
    return ec::none;
  return err.category() == caf::atom("seatgrab") ? static_cast<ec>(err.code()) : ec::none;
}

std::string render(const caf::error& err) {
  if (!err)
    return "none";
  std::string result;
  if (err.category() == caf::atom("seatgrab"))
    result = to_string(static_cast<ec>(err.code()));
  else
    result = caf::to_string(err);
  const auto& ctx = err.context();
  if (ctx.size() == 1 && ctx.match_element<std::string>(0)) {
    result += ": ";
    result += ctx.get_as<std::string>(0);
  }
  return result;
}

} // namespace seatgrab
