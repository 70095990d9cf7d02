// stress_journal_crash [--cycles N] [--seed S]: many kill -9 cycles against the journal.

#include "tests/support/crash_harness.hpp"

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

int main(int argc, char** argv) {
  seatgrab::test::crash_options opts;
  opts.appender = CRASH_APPENDER;
  opts.cycles = 50;
  opts.seed = std::random_device{}();
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string arg = argv[i];
    if (arg == "--cycles")
      opts.cycles = std::stoi(argv[i + 1]);
    else if (arg == "--seed")
      opts.seed = std::stoull(argv[i + 1]);
  }
  std::printf("stress_journal_crash: %d cycles, seed %llu\n", opts.cycles,
              static_cast<unsigned long long>(opts.seed));
  auto summary = seatgrab::test::run_crash_cycles(opts);
  if (!summary.failure.empty()) {
    std::printf("FAILED (seed %llu): %s\n", static_cast<unsigned long long>(opts.seed),
                summary.failure.c_str());
    return 1;
  }
  std::printf("ok: %llu acknowledged appends over %d kill -9 cycles, all on disk, no holes\n",
              static_cast<unsigned long long>(summary.acked), opts.cycles);
  return 0;
}
