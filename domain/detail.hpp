#pragma once

// Small helpers every state class in domain/ uses; internal to domain/*.cpp and
// domain/event_sourced.hpp.

#include "messages/ec.hpp"

#include <caf/error.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace seatgrab::domain::detail {

using time_point = std::chrono::sys_time<std::chrono::milliseconds>;

inline int64_t to_ms(time_point t) {
  return t.time_since_epoch().count();
}

inline time_point from_ms(int64_t ms) {
  return time_point{std::chrono::milliseconds{ms}};
}

/// Ids end up in journal keys and logs: the same rule as persistence names.
inline bool well_formed(std::string_view id) {
  return !id.empty() && id.size() <= 255 && id.find('\0') == std::string_view::npos;
}

inline caf::error fail(ec code, std::string context) {
  return caf::make_error(code, std::move(context));
}

/// 'x', for error contexts.
inline std::string quoted(std::string_view x) {
  std::string result{"'"};
  result += x;
  result += '\'';
  return result;
}

} // namespace seatgrab::domain::detail
