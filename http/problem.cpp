#include "http/problem.hpp"

#include <caf/error.hpp>
#include <caf/message.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>

namespace seatgrab::http {

namespace bhttp = boost::beast::http;

unsigned status_of(ec x) noexcept {
  switch (x) {
  case ec::none:
    return 200;
  case ec::invalid_argument:
  case ec::invalid_input:
  case ec::invalid_email:
    return 400;
  case ec::bad_credentials:
  case ec::unauthenticated:
    return 401;
  case ec::payment_declined:
    return 402;
  case ec::admission_invalid:
  case ec::admission_expired:
  case ec::admission_mismatch:
  case ec::forbidden:
  case ec::refund_closed:
  case ec::challenge_required:
  case ec::step_up_required:
  case ec::device_limit:
  case ec::card_limit:
  case ec::suspected_bot:
    return 403;
  case ec::not_found:
  case ec::unknown_section:
  case ec::hold_not_found:
  case ec::unknown_ticket:
    return 404;
  case ec::seat_taken:
  case ec::no_seats_available:
  case ec::already_exists:
  case ec::not_holder:
  case ec::seat_not_sold:
  case ec::ticket_used:
  case ec::ticket_refunded:
  case ec::sale_not_open:
  case ec::device_in_use:
  case ec::pricing_locked:
    return 409;
  case ec::hold_expired:
    return 410;
  case ec::unknown_seat:
  case ec::duplicate_seat:
  case ec::too_many_seats:
  case ec::extension_limit:
  case ec::ticket_limit:
    return 422;
  case ec::login_limited:
  case ec::velocity_limited:
    return 429;
  case ec::storage_corruption:
    return 500;
  case ec::storage_unavailable:
  case ec::storage_locked:
  case ec::storage_io:
  case ec::storage_closed:
  case ec::storage_full:
  case ec::unavailable:
  case ec::auth_busy:
    return 503;
  }
  return 500;
}

namespace {

std::string_view title_of(unsigned status) {
  auto reason = bhttp::obsolete_reason(static_cast<bhttp::status>(status));
  return {reason.data(), reason.size()};
}

} // namespace

response problem(unsigned status, std::string_view code, std::string_view detail,
                 unsigned retry_after_s) {
  nlohmann::json body{{"type", "about:blank"},
                      {"title", std::string{title_of(status)}},
                      {"status", status},
                      {"code", std::string{code}},
                      {"detail", std::string{detail}}};
  response res{static_cast<bhttp::status>(status), 11};
  res.set(bhttp::field::content_type, "application/problem+json");
  if (status == 429 || status == 503)
    res.set(bhttp::field::retry_after, std::to_string(retry_after_s));
  // Details may quote client input; never let invalid UTF-8 break the response.
  res.body() = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return res;
}

response problem(const caf::error& err) {
  if (err.category() != caf::atom("seatgrab"))
    return problem(503, "unavailable", "try again: " + caf::to_string(err));
  auto code = static_cast<ec>(err.code());
  std::string detail;
  // Storage faults last seconds to minutes (space freed, a disk replaced): retry less eagerly.
  bool storage = code == ec::storage_full || code == ec::storage_io;
  unsigned wait = storage ? 5 : 1;
  const auto& ctx = err.context();
  if (ctx.size() >= 1 && ctx.match_element<std::string>(0))
    detail = ctx.get_as<std::string>(0);
  // A limit's error carries its wait (seconds) after the text: the Retry-After.
  if (ctx.size() == 2 && ctx.match_element<std::string>(0) && ctx.match_element<uint32_t>(1))
    wait = std::max(1u, static_cast<unsigned>(ctx.get_as<uint32_t>(1)));
  auto res = problem(status_of(code), to_string(code), detail, wait);
  if (code == ec::seat_taken) {
    // The taken seats, for the client to pick others.
    auto body = nlohmann::json::parse(res.body());
    auto seats = nlohmann::json::array();
    size_t start = 0;
    while (start <= detail.size() && !detail.empty()) {
      auto end = detail.find(',', start);
      seats.push_back(detail.substr(start, end == std::string::npos ? end : end - start));
      if (end == std::string::npos)
        break;
      start = end + 1;
    }
    body["seats"] = std::move(seats);
    body["detail"] = "seats taken: " + detail;
    res.body() = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  return res;
}

} // namespace seatgrab::http
