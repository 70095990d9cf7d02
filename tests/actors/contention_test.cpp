#include "tests/support/contention.hpp"

#include <doctest/doctest.h>

#include <cstdlib>

TEST_CASE("10,000 concurrent holds for overlapping seats: every seat has at most one holder") {
  uint64_t seed = 1128;
  if (auto* env = std::getenv("SEATGRAB_SEED"))
    seed = std::strtoull(env, nullptr, 10);
  for (int run = 0; run < 3; ++run) {
    INFO("seed " << seed + run << " (rerun with SEATGRAB_SEED=" << seed + run << ")");
    auto summary = seatgrab::test::run_contention(seed + run);
    CHECK_MESSAGE(summary.failure.empty(), summary.failure);
    // Overlap is the point: some requests must have lost, some won.
    CHECK(summary.granted > 0);
    CHECK(summary.refused > 0);
    CHECK(summary.granted + summary.refused == 10'000);
  }
}
