#pragma once

// What every fuzz harness shares: the input cut into fields, and a loud stop when an invariant
// breaks (libFuzzer keeps the input that made it stop; the replay runner fails the test).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

namespace seatgrab::fuzz {

/// The input as text.
inline std::string_view text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

/// The input cut at each '\n' into exactly `n` fields (missing ones empty); the last field
/// takes the rest, newlines included.
inline std::vector<std::string_view> split(const uint8_t* data, size_t size, size_t n) {
  std::vector<std::string_view> out;
  auto rest = text(data, size);
  while (out.size() + 1 < n) {
    auto nl = rest.find('\n');
    if (nl == std::string_view::npos)
      break;
    out.push_back(rest.substr(0, nl));
    rest.remove_prefix(nl + 1);
  }
  out.push_back(rest);
  out.resize(n);
  return out;
}

/// Stops the process: an invariant does not hold for this input.
[[noreturn]] inline void fail(const char* what) {
  std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
  std::abort();
}

} // namespace seatgrab::fuzz
