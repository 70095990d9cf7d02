#pragma once

#include <filesystem>
#include <string>

namespace seatgrab::app {

struct venue_generate_options {
  std::string kind = "stadium"; ///< stadium | theatre
  uint32_t sections = 100;
  uint32_t rows = 25;
  uint32_t seats_per_row = 20;
  std::filesystem::path out; ///< empty: standard output
};

/// `seatgrab venue generate`: writes a generated venue as JSON. Returns the exit code.
int venue_generate(const venue_generate_options& opts);

/// `seatgrab venue validate FILE`: checks a venue file, naming file, field and reason.
int venue_validate(const std::filesystem::path& file);

} // namespace seatgrab::app
