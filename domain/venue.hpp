#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// The venue: sections, rows and seats with their map position, plus the price tiers the
// sections are sold at. Plain data, loaded from a JSON file (venue_json.hpp) or generated
// (venue_generators.hpp); no CAF actors, no clocks. See scenarios/venues/theatre.json for the
// file format.
namespace seatgrab::domain {

/// Longest id (venue, tier, section, row, seat) in bytes.
inline constexpr size_t max_id_length = 64;

/// Highest price of a tier, in minor units (ten million euros).
inline constexpr int64_t max_price = 1'000'000'000;

/// Most seats one venue may have.
inline constexpr size_t max_seats = 200'000;

/// A price class; each section is sold at one tier.
struct price_tier {
  std::string id;
  std::string name;
  /// In minor units (cents), > 0.
  int64_t price = 0;
  friend bool operator==(const price_tier&, const price_tier&) = default;
};

/// One seat: an id, a number, a map position and how good it is.
struct seat {
  /// Unique across the venue, e.g. "101-C-8".
  std::string id;
  /// Printed on the ticket; unique within its row.
  uint32_t number = 0;
  /// Map position; the unit is the venue file's (the generators use metres).
  double x = 0;
  double y = 0;
  /// Wheelchair space or step-free seat.
  bool accessible = false;
  /// Lower is better; best-available picks by rank within a section. 0 = unranked.
  uint32_t rank = 0;
  friend bool operator==(const seat&, const seat&) = default;
};

/// A row of seats in physical order.
struct row {
  /// Unique within its section, e.g. "A".
  std::string id;
  /// In physical order: neighbours in the vector are neighbours in the hall.
  std::vector<seat> seats;
  friend bool operator==(const row&, const row&) = default;
};

/// A block of rows sold at one price tier.
struct section {
  /// Unique across the venue.
  std::string id;
  std::string name;
  /// Id of the price tier this section is sold at.
  std::string tier;
  std::vector<row> rows;

  /// Seats in all rows.
  size_t seat_count() const;

  friend bool operator==(const section&, const section&) = default;
};

/// A hall: its price tiers and sections.
struct venue {
  std::string id;
  std::string name;
  /// ISO 4217 code of the prices.
  std::string currency = "EUR";
  std::vector<price_tier> tiers;
  std::vector<section> sections;

  /// Seats in all sections.
  size_t seat_count() const;

  /// The section with this id, or nullptr. Linear: venues have at most a few hundred sections.
  const section* find_section(std::string_view id) const;

  /// The tier with this id, or nullptr.
  const price_tier* find_tier(std::string_view id) const;

  friend bool operator==(const venue&, const venue&) = default;
};

/// True if `id` can name a venue, tier, section, row or seat: 1 to 64 bytes of
/// [A-Za-z0-9._:-].
bool valid_id(std::string_view id) noexcept;

/// Why `id` is not a valid id, for an error message ("must not be empty", "contains a space;
/// ..."), or nothing if `valid_id(id)`.
std::optional<std::string> id_problem(std::string_view id);

} // namespace seatgrab::domain

// One include for the whole venue API: its JSON form and the generators.
#include "domain/venue_generators.hpp" // IWYU pragma: export
#include "domain/venue_json.hpp"       // IWYU pragma: export
