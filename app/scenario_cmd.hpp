#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace seatgrab::app {

struct scenario_run_options {
  std::filesystem::path file;
  /// http://host:port: run against a node over HTTP; several: a cluster's edges, fans spread
  std::vector<std::string> targets;
  std::string admin_token; ///< the targets' operator token
  /// The targets' data directories (every member's, for a cluster): verify their journals
  std::vector<std::filesystem::path> data_dirs;
  uint64_t seed = 1;
  std::filesystem::path report; ///< empty: no files, only the summary
  bool quiet = false;           ///< no progress line
};

/// `seatgrab scenario run FILE`: runs an on-sale, verifies it, prints the summary, writes the
/// report. Returns 0 if every promise and expectation held, 1 if not, 2 for bad input.
int scenario_run(const scenario_run_options& opts);

} // namespace seatgrab::app
