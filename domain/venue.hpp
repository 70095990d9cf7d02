#pragma once

#include <caf/expected.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

// The venue: sections, rows and seats with their map position, plus the price tiers the
// sections are sold at. Plain data, loaded from a JSON file or generated; no CAF actors, no
// clocks. See scenarios/venues/theatre.json for the file format.
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

struct row {
  /// Unique within its section, e.g. "A".
  std::string id;
  /// In physical order: neighbours in the vector are neighbours in the hall.
  std::vector<seat> seats;
  friend bool operator==(const row&, const row&) = default;
};

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

/// Parses and validates venue JSON; `source` names the file in error messages. Fails with
/// `ec::invalid_input` and the context "<source>: <JSON path>: <reason>", where the path is
/// e.g. "sections[3].rows[2].seats[7].id", or "$" for the document itself. When a document
/// breaks several rules, the error reported is that of the first rule in this order, then the
/// first in document order: syntax (with the byte position), root not an object, missing or
/// wrong-typed field, malformed id or currency, unknown field, price, duplicate tier id,
/// duplicate section id, unknown tier, duplicate row id, duplicate seat id, duplicate seat
/// number, empty sections/rows/seats, non-finite coordinate, too many seats.
[[nodiscard]] caf::expected<venue> parse_venue(std::string_view json_text, std::string_view source);

/// Reads and parses a file; a missing or unreadable file is an `ec::invalid_input` error that
/// names the path.
[[nodiscard]] caf::expected<venue> load_venue_file(const std::filesystem::path& path);

/// The venue as JSON that `parse_venue` reads back equal: one tier or seat per line.
/// `accessible` and `rank` are written only when they differ from their defaults.
std::string to_json(const venue& v);

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
