#pragma once

// Message types of dynamic pricing (domain/pricing.hpp): the operator's policy and what the
// pricing engine tells. Money in minor units; times in milliseconds since the Unix epoch.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace seatgrab {

/// An operator's pricing policy (`PUT /v1/admin/events/{id}/pricing`): ladders of all-in
/// prices keyed by tier or section id (a section's own ladder wins over its tier's); sections
/// named by neither keep their tier's price as a ladder of one level.
struct pricing_request {
  uint32_t interval_s = 30;
  std::map<std::string, std::vector<int64_t>> ladders;
  std::map<std::string, uint32_t> start_levels; ///< by the same keys; level 0 if absent
  /// Highest ceiling allowed, as thousandths of the floor (2000: twice the floor), 1000..4000.
  uint32_t max_ceiling_permille = 2000;
  /// Length of the sale window from the opening, 60 s..30 days: the pace is measured against
  /// selling out by its end.
  uint32_t window_s = 4 * 3600;
  uint32_t up_ticks = 2;
  uint32_t down_ticks = 4;
  uint32_t max_up_per_hour = 2;
};

/// A section's price set by the engine.
struct section_price {
  std::string section;
  int64_t price = 0;
  friend bool operator==(const section_price&, const section_price&) = default;
};

/// One step in a section's price history.
struct price_point {
  uint64_t price_version = 0;
  int64_t at_ms = 0;
  uint32_t level = 0;
  int64_t price = 0;
  bool manual = false; ///< set by an operator
};

/// A section's pricing now.
struct section_price_info {
  std::string section;
  uint32_t level = 0;
  int64_t price = 0;
  std::vector<int64_t> ladder;
  bool frozen = false;
  std::vector<price_point> history;
};

/// An event's pricing (`GET /v1/events/{id}/prices`).
struct pricing_info {
  std::string event;
  bool dynamic = false; ///< a policy is published (else every section sells at its tier price)
  uint32_t interval_s = 30;
  bool frozen = false;
  uint64_t price_version = 0;
  int64_t window_ends_at_ms = 0;
  uint64_t ticks = 0;
  std::vector<section_price_info> sections;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, pricing_request& x) {
  return f(x.interval_s, x.ladders, x.start_levels, x.max_ceiling_permille, x.window_s, x.up_ticks,
           x.down_ticks, x.max_up_per_hour);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, section_price& x) {
  return f(x.section, x.price);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, price_point& x) {
  return f(x.price_version, x.at_ms, x.level, x.price, x.manual);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, section_price_info& x) {
  return f(x.section, x.level, x.price, x.ladder, x.frozen, x.history);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, pricing_info& x) {
  return f(x.event, x.dynamic, x.interval_s, x.frozen, x.price_version, x.window_ends_at_ms,
           x.ticks, x.sections);
}

} // namespace seatgrab
