#pragma once

#include "domain/venue.hpp"

#include <cstdint>

// Generated venues for scenarios, tests and benchmarks.
namespace seatgrab::domain {

/// The size of a generated stadium.
struct stadium_params {
  uint32_t sections = 100;
  uint32_t rows = 25;
  uint32_t seats_per_row = 20;
};

/// A stadium bowl of three rings around an oval field: sections "101".. (lower), "201"..
/// (club), "301".. (upper) in a 2:1:2 split, tiers "lower", "club" and "upper"; rows "A"..
/// ("AA" after "Z"); seat ids "<section>-<row>-<number>"; the four end seats of row A of each
/// section are accessible; ranks 1..n per section, front rows and row centres first.
/// Deterministic. Each parameter must be at least 1 for the result to validate.
venue generate_stadium(const stadium_params& p = {});

/// A 494-seat theatre: stalls (rows A-N), circle (rows A-F) and four boxes, at tiers
/// "premium", "standard" and "box". Deterministic; scenarios/venues/theatre.json is its output.
venue generate_theatre();

} // namespace seatgrab::domain
