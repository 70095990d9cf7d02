#pragma once

// Kill-9 harness for the journal: runs crash_appender, SIGKILLs it after a random number of
// acknowledgements, reopens the database and checks that every acknowledged append is there
// and that no entity's journal has a hole.

#include <cstdint>
#include <filesystem>
#include <string>

namespace seatgrab::test {

struct crash_options {
  /// The database directory; empty (the default): a private temporary one, removed after.
  std::filesystem::path dir;
  std::filesystem::path appender; ///< path of the crash_appender executable
  uint64_t seed = 1;
  int cycles = 5;
  int entities = 8;
  int max_acks_before_kill = 3000;
};

struct crash_summary {
  std::string failure; ///< empty if every cycle passed
  uint64_t acked = 0;  ///< acknowledgements seen over all cycles
  uint64_t found = 0;  ///< records found on disk after the last cycle
};

crash_summary run_crash_cycles(const crash_options& opts);

} // namespace seatgrab::test
