#pragma once

// The seed of a seeded test over real threads or processes: `SEATGRAB_SEED` if set (to repeat
// a run), else a fresh one. The tests print it.

#include <cstdint>
#include <cstdlib>
#include <random>

namespace seatgrab::test {

inline uint64_t seed_from_env() {
  if (const char* s = std::getenv("SEATGRAB_SEED"))
    return std::strtoull(s, nullptr, 10);
  return std::random_device{}();
}

/// The environment variable `name` as a number (a run's size: cycles, fans), or `fallback`.
inline uint64_t env_number(const char* name, uint64_t fallback) {
  const char* env = std::getenv(name);
  return env != nullptr && *env != '\0' ? std::strtoull(env, nullptr, 10) : fallback;
}

} // namespace seatgrab::test
