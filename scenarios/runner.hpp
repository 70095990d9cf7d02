#pragma once

// Runs a scenario's crowd against a node, then checks what happened:
// - `run_in_process`: on virtual time with the real actors (CAF's test coordinator, a
//   memory-only store); seeded and reproducible, the same seed gives the same report. The
//   journals are then checked by `verify`, independently of the code under test.
// - `run_over_http`: against a running node, with an asynchronous HTTP client playing the fans
//   in real time (scaled by the scenario's `http.time_scale`). The fans' own book of who owns
//   which seat is checked against the node's seat map; `verify` runs on the node's journals
//   when the caller can read its data directory.

#include "messages/bots.hpp"
#include "messages/inventory.hpp"
#include "messages/pricing.hpp"
#include "scenarios/crowd.hpp"
#include "scenarios/scenario.hpp"
#include "scenarios/verify.hpp"

#include <caf/expected.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace seatgrab::scenarios {

/// One second of the run, as plotted.
struct sample {
  uint32_t t_s = 0;
  uint64_t waiting = 0;   ///< fans in the queue
  uint64_t admitted = 0;  ///< admissions so far
  uint64_t sold = 0;      ///< seats sold now
  uint64_t throttled = 0; ///< 429 answers so far (HTTP)
  uint64_t errors = 0;    ///< unexpected answers so far
};

/// Percentiles of one kind of call, in milliseconds.
struct latency_summary {
  uint64_t count = 0;
  double p50 = 0;
  double p95 = 0;
  double p99 = 0;
};

/// The bot defence's figures of a run with a `[bots]` section.
struct bot_report {
  side humans;
  side bots;
  uint64_t humans_shadowed = 0; ///< from the guard's journal (when the journals were read)
  uint64_t bots_shadowed = 0;
  bool from_journals = false;
  /// The event's guard at the end: decisions by verdict and reason, top offenders.
  bot_guard_info guard;

  [[nodiscard]] uint64_t seats() const noexcept { return humans.seats + bots.seats; }
  [[nodiscard]] double seats_share() const noexcept {
    return seats() ? static_cast<double>(bots.seats) / static_cast<double>(seats()) : 0.0;
  }
  [[nodiscard]] double humans_stepped_up_share() const noexcept {
    return humans.clients
               ? static_cast<double>(humans.stepped_up) / static_cast<double>(humans.clients)
               : 0.0;
  }
  /// People kept out by the guard: refused, shadowed, or failing every step-up.
  [[nodiscard]] uint64_t humans_blocked() const noexcept {
    return humans.refused + humans_shadowed + humans.gave_up_step_up;
  }
  [[nodiscard]] double bot_requests_share() const noexcept {
    auto all = humans.requests + bots.requests;
    return all ? static_cast<double>(bots.requests) / static_cast<double>(all) : 0.0;
  }
};

struct run_result {
  std::string scenario;
  uint64_t seed = 0;
  std::string mode;        ///< "in-process, virtual time" or "http <url>, time scale x"
  uint32_t duration_s = 0; ///< scenario seconds until every fan was done
  uint32_t seats = 0;
  tally fans;
  uint64_t seats_sold = 0; ///< sold at the end, as the fans' book says
  // HTTP only.
  bool timed = false; ///< latencies were measured
  latency_summary hold_ms;
  latency_summary checkout_ms;
  uint64_t requests = 0;
  uint64_t throttled = 0; ///< 429 answers (retried after Retry-After)
  std::vector<sample> series;
  /// The event's pricing at the end (with each section's price history), if it had a policy.
  std::optional<pricing_info> pricing;
  int64_t started_at_ms = 0; ///< scenario time 0, for the price history's times
  /// With a `[bots]` section: what the bot defence did (`judge` fills it from the crowd, the
  /// guard's figures in `guard` and the verifier's reading of the guard's journal).
  std::optional<bot_report> bots;
  std::optional<bot_guard_info> guard; ///< the event's guard at the end, as the runner read it
  bool journals_checked = false;
  verdict checked;
  std::vector<std::string> violations; ///< seen from outside the journals
  std::vector<std::string> errors;     ///< the first unexpected answers
  std::vector<std::string> unmet;      ///< expectations of the scenario that failed

  [[nodiscard]] bool ok() const noexcept {
    return checked.ok() && violations.empty() && unmet.empty();
  }

  /// The report as JSON (deterministic for a seed in-process).
  [[nodiscard]] std::string json() const;

  /// A few lines for the terminal.
  [[nodiscard]] std::string summary() const;

  /// An HTML page with the plots (inline SVG).
  [[nodiscard]] std::string html() const;
};

struct run_options {
  uint64_t seed = 1;
  /// Resolves a venue file named by the scenario.
  std::filesystem::path venue_dir;
  /// Called about once a second of wall time with the latest sample (a progress line).
  std::function<void(const sample&, const run_result&)> progress;
  /// In-process: called with the node's store and the event's id once the run is over, just
  /// before the verifier reads the journals (a test writes a buggy node's journal there to see
  /// the verifier catch it). An error ends the run with it.
  std::function<caf::error(persistence::store&, const std::string& event_id, int64_t now_ms)>
      before_verify;
  /// In-process, tests only: the node's sessions ignore the admissions' price caps (a broken
  /// node charging fans above their admitted price, for the verifier to catch).
  bool test_skip_price_caps = false;
};

caf::expected<run_result> run_in_process(const scenario& s, const run_options& opts);

struct http_options {
  /// "http://host:port" of each edge; fan i talks to edge i mod n, the operator to the first.
  std::vector<std::string> targets;
  std::string admin_token;
  /// The members' data directories: if set, `verify` reads their journals after the run as one
  /// record (through RocksDB secondary instances, so the members may keep running).
  std::vector<std::filesystem::path> data_dirs;
};

caf::expected<run_result> run_over_http(const scenario& s, const run_options& opts,
                                        const http_options& http);

/// The event a run puts on sale, starting at `start_ms`; over HTTP its times are scaled.
event_info event_of(const scenario& s, std::string id, std::string venue_id, int64_t start_ms,
                    double scale = 1);

/// Checks the run's expectations and the fans' book against the journals' verdict.
/// `accounts` maps the node's account ids to the crowd's fans (to tell people from bots in the
/// guard's journal).
void judge(const scenario& s, run_result& r, const crowd& c, const std::string& event_id,
           const std::map<std::string, uint32_t>& accounts = {});

/// Writes report.json, summary.txt and report.html into `dir` (created if missing).
caf::error write_report(const run_result& r, const std::filesystem::path& dir);

/// The scenario's venue: generated ("theatre", "stadium") or a JSON file in `dir`.
caf::expected<std::string> venue_json(const scenario& s, const std::filesystem::path& dir);

} // namespace seatgrab::scenarios
