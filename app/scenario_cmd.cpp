#include "app/scenario_cmd.hpp"

#include "messages/ec.hpp"
#include "scenarios/runner.hpp"
#include "scenarios/scenario.hpp"

#include <chrono>
#include <cstdio>
#include <iostream>
#include <sys/resource.h>

namespace seatgrab::app {

namespace {

double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0; // KiB on Linux
}

} // namespace

int scenario_run(const scenario_run_options& opts) {
  auto s = scenarios::load_scenario(opts.file);
  if (!s) {
    std::cerr << "seatgrab scenario run: " << render(s.error()) << "\n";
    return 2;
  }
  if (opts.targets.empty() && (!opts.admin_token.empty() || !opts.data_dirs.empty())) {
    std::cerr << "seatgrab scenario run: --admin-token and --data-dir need --target\n";
    return 2;
  }
  scenarios::run_options run;
  run.seed = opts.seed;
  run.venue_dir = opts.file.parent_path();
  if (!opts.quiet)
    run.progress = [](const scenarios::sample& x, const scenarios::run_result& r) {
      std::fprintf(stderr,
                   "\r  t=%us  waiting %llu  admitted %llu  holds %llu  sold %llu/%u  "
                   "429 %llu  errors %llu   ",
                   x.t_s, static_cast<unsigned long long>(x.waiting),
                   static_cast<unsigned long long>(x.admitted),
                   static_cast<unsigned long long>(r.fans.holds),
                   static_cast<unsigned long long>(x.sold), r.seats,
                   static_cast<unsigned long long>(x.throttled),
                   static_cast<unsigned long long>(x.errors));
    };
  auto started = std::chrono::steady_clock::now();
  auto r =
      opts.targets.empty()
          ? scenarios::run_in_process(*s, run)
          : scenarios::run_over_http(*s, run, {opts.targets, opts.admin_token, opts.data_dirs});
  if (!opts.quiet)
    std::cerr << "\n";
  if (!r) {
    std::cerr << "seatgrab scenario run: " << render(r.error()) << "\n";
    return 2;
  }
  std::chrono::duration<double> wall = std::chrono::steady_clock::now() - started;
  std::cout << r->summary();
  std::printf("  %.1f s wall, peak RSS %.0f MB\n", wall.count(), peak_rss_mb());
  if (!opts.report.empty()) {
    if (auto err = scenarios::write_report(*r, opts.report)) {
      std::cerr << "seatgrab scenario run: " << render(err) << "\n";
      return 2;
    }
    std::cout << "  report: " << (opts.report / "report.html").string() << "\n";
  }
  return r->ok() ? 0 : 1;
}

} // namespace seatgrab::app
