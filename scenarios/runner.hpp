#pragma once

// Runs a scenario in-process on virtual time with the real actors (CAF's test coordinator, a
// memory-only store): seeded and reproducible, the same seed gives the same report. Then the
// journals are checked by `verify`, independently of the code under test.

#include "scenarios/scenario.hpp"
#include "scenarios/verify.hpp"

#include <caf/expected.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace seatgrab::scenarios {

/// One second of the run, as plotted.
struct sample {
  uint32_t t_s = 0;
  uint64_t waiting = 0;  ///< fans in the queue
  uint64_t admitted = 0; ///< admissions so far
  uint64_t sold = 0;     ///< seats sold so far
};

struct run_result {
  std::string scenario;
  uint64_t seed = 0;
  uint32_t duration_s = 0; ///< virtual seconds until every fan was done
  uint32_t seats = 0;
  // What the fans did.
  uint64_t joined = 0;
  uint64_t admitted = 0;
  uint64_t holds = 0;
  uint64_t hold_failures = 0; ///< nothing left where they looked
  uint64_t abandoned = 0;     ///< holds left to expire
  uint64_t orders = 0;
  uint64_t declined = 0;
  uint64_t seats_sold = 0;
  uint64_t gave_up = 0; ///< never got in before the end
  std::vector<sample> series;
  verdict checked;
  std::vector<std::string> unmet; ///< expectations of the scenario that failed

  [[nodiscard]] bool ok() const noexcept { return checked.ok() && unmet.empty(); }

  /// The report as JSON (deterministic for a seed).
  [[nodiscard]] std::string json() const;

  /// A few lines for the terminal.
  [[nodiscard]] std::string summary() const;

  /// An HTML page with the plots (inline SVG).
  [[nodiscard]] std::string html() const;
};

/// Runs `s` with `seed`; `venue_dir` resolves a venue file named by the scenario.
caf::expected<run_result> run_in_process(const scenario& s, uint64_t seed,
                                         const std::filesystem::path& venue_dir);

/// Writes report.json, summary.txt and report.html into `dir` (created if missing).
caf::error write_report(const run_result& r, const std::filesystem::path& dir);

} // namespace seatgrab::scenarios
