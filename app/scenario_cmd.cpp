#include "app/scenario_cmd.hpp"

#include "messages/ec.hpp"
#include "scenarios/runner.hpp"
#include "scenarios/scenario.hpp"

#include <iostream>

namespace seatgrab::app {

int scenario_run(const scenario_run_options& opts) {
  if (!opts.target.empty()) {
    std::cerr << "seatgrab scenario run: --target (HTTP mode) is not built yet; "
                 "run without it for the in-process mode\n";
    return 2;
  }
  auto s = scenarios::load_scenario(opts.file);
  if (!s) {
    std::cerr << "seatgrab scenario run: " << render(s.error()) << "\n";
    return 2;
  }
  auto r = scenarios::run_in_process(*s, opts.seed, opts.file.parent_path());
  if (!r) {
    std::cerr << "seatgrab scenario run: " << render(r.error()) << "\n";
    return 2;
  }
  std::cout << r->summary();
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
