// Checked-in files the tests read from the source tree (each test target defines
// SEATGRAB_SOURCE_DIR).
#pragma once

#include <filesystem>

namespace seatgrab::test {

/// The scenario files (scenarios/*.toml).
inline const std::filesystem::path scenario_dir =
    std::filesystem::path{SEATGRAB_SOURCE_DIR} / "scenarios";

} // namespace seatgrab::test
