#pragma once

// RFC 9457 problem details: every error of the edge is `application/problem+json` with a
// stable `code`. Each `seatgrab::ec` maps to exactly one HTTP status and code.

#include "http/server.hpp"
#include "messages/ec.hpp"

#include <caf/fwd.hpp>

#include <string>
#include <string_view>

namespace seatgrab::http {

/// The HTTP status of `x` (e.g. seat_taken → 409, hold_expired → 410).
unsigned status_of(ec x) noexcept;

/// A problem response: `status`, `code`, a human `detail`; 429 and 503 carry `Retry-After`.
response problem(unsigned status, std::string_view code, std::string_view detail,
                 unsigned retry_after_s = 1);

/// The problem for an actor's error: our `ec` with its status and name, the context as detail;
/// 409 seat_taken lists the taken seats in `seats`. CAF's own errors (a timeout, an actor gone)
/// are 503 `unavailable` with `Retry-After`.
response problem(const caf::error& err);

} // namespace seatgrab::http
