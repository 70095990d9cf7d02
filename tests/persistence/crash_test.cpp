#include "tests/support/crash_harness.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>

TEST_CASE("kill -9 during appends loses no acknowledged event and leaves no hole") {
  seatgrab::test::crash_options opts;
  opts.appender = CRASH_APPENDER;
  opts.cycles = 5;
  opts.seed = 20261128;
  if (auto* env = std::getenv("SEATGRAB_SEED"))
    opts.seed = std::strtoull(env, nullptr, 10);
  INFO("seed " << opts.seed << " (rerun with SEATGRAB_SEED=" << opts.seed << ")");
  auto summary = seatgrab::test::run_crash_cycles(opts);
  CHECK_MESSAGE(summary.failure.empty(), summary.failure);
  // Each cycle kills after at least one ack, so something must have been written.
  CHECK(summary.acked >= static_cast<uint64_t>(opts.cycles));
  CHECK(summary.found >= 1);
}
