#pragma once

#include "domain/venue.hpp"

#include <caf/expected.hpp>

#include <filesystem>
#include <string>
#include <string_view>

// The venue's JSON form (scenarios/venues/theatre.json is an example): strict parsing with
// errors that name the field, file loading and writing.
namespace seatgrab::domain {

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

} // namespace seatgrab::domain
