#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace seatgrab::app {

struct scenario_run_options {
  std::filesystem::path file;
  std::string target;             ///< http://host:port: run against a node over HTTP
  std::string admin_token;        ///< the target's operator token
  std::filesystem::path data_dir; ///< the target's data directory: verify its journals
  uint64_t seed = 1;
  std::filesystem::path report; ///< empty: no files, only the summary
  bool quiet = false;           ///< no progress line
};

/// `seatgrab scenario run FILE`: runs an on-sale, verifies it, prints the summary, writes the
/// report. Returns 0 if every promise and expectation held, 1 if not, 2 for bad input.
int scenario_run(const scenario_run_options& opts);

} // namespace seatgrab::app
