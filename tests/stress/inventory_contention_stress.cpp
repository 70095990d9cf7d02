// stress_inventory_contention [--runs N] [--seed S]: many contention runs on the real scheduler.

#include "tests/support/contention.hpp"

#include <cstdio>
#include <random>
#include <string>

int main(int argc, char** argv) {
  int runs = 100;
  uint64_t seed = std::random_device{}();
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string arg = argv[i];
    if (arg == "--runs")
      runs = std::stoi(argv[i + 1]);
    else if (arg == "--seed")
      seed = std::stoull(argv[i + 1]);
  }
  std::printf("stress_inventory_contention: %d runs of 10,000 holds, seeds %llu..%llu\n", runs,
              static_cast<unsigned long long>(seed),
              static_cast<unsigned long long>(seed + static_cast<uint64_t>(runs) - 1));
  uint64_t granted = 0;
  for (int run = 0; run < runs; ++run) {
    auto s = seed + static_cast<uint64_t>(run);
    auto summary = seatgrab::test::run_contention(s);
    if (!summary.failure.empty()) {
      std::printf("FAILED (seed %llu): %s\n", static_cast<unsigned long long>(s),
                  summary.failure.c_str());
      return 1;
    }
    granted += summary.granted;
  }
  std::printf("ok: %d runs, %llu holds granted, never a seat twice\n", runs,
              static_cast<unsigned long long>(granted));
  return 0;
}
