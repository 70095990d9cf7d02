#pragma once

#include <optional>
#include <string_view>

namespace seatgrab::persistence {

/// When an append counts as done.
enum class durability {
  fsync, ///< in the WAL and fsynced: survives power loss (default)
  wal,   ///< in the WAL, not fsynced: survives a process crash, not power loss
  none,  ///< in memory only: for simulation and benchmarks of the logic
};

std::string_view to_string(durability x) noexcept;
std::optional<durability> parse_durability(std::string_view text) noexcept;

} // namespace seatgrab::persistence
