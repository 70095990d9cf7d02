#pragma once

// Small helpers shared by the benchmarks: resident memory, medians, elapsed time, and the
// fixed wall-clock start every benchmark node uses (domain code never reads a clock).

#include "domain/section_state.hpp"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <initializer_list>
#include <string>
#include <string_view>
#include <unistd.h>
#include <utility>
#include <vector>

namespace seatgrab::bench {

using clock_type = std::chrono::steady_clock;

/// 2026-12-01T10:00:00Z.
inline const domain::time_point epoch{std::chrono::milliseconds{1'796'119'200'000}};

/// Resident set size of this process, from /proc/self/statm.
inline size_t rss_bytes() {
  std::ifstream statm{"/proc/self/statm"};
  size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

inline double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

/// Reads `--name N` pairs of integer flags into `flags` (name, where); others are ignored.
inline void int_flags(int argc, char** argv,
                      std::initializer_list<std::pair<std::string_view, int*>> flags) {
  for (int i = 1; i + 1 < argc; i += 2)
    for (const auto& [name, where] : flags)
      if (argv[i] == name)
        *where = std::stoi(argv[i + 1]);
}

inline double median(std::vector<double> xs) {
  std::sort(xs.begin(), xs.end());
  return xs[xs.size() / 2];
}

} // namespace seatgrab::bench
