#pragma once

// Wire formats of the edge: RFC 3339 times, gzip, base64url (from security/).

#include "security/encoding.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace seatgrab::http {

using security::base64url_decode;

/// Milliseconds since the Unix epoch as RFC 3339 UTC with milliseconds:
/// "2026-12-01T10:00:00.000Z".
std::string rfc3339(int64_t ms);

/// Parses "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)" (RFC 3339; 'T' may be 't' or ' ').
/// None for anything else, including impossible dates (February 30th) and years outside
/// 1970..9999.
std::optional<int64_t> parse_rfc3339(std::string_view text);

/// `data` compressed as a gzip member (RFC 1952).
std::string gzip(std::string_view data);

} // namespace seatgrab::http
