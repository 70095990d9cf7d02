// The HTTP mode of the scenario runner: theatre-small against a `seatgrab serve` this test
// starts, with every promise checked from outside (the fans' book against the seat map) and
// in the node's journals (read beside the running node); and 429s retried and counted.
#include "domain/venue.hpp"
#include "messages/ec.hpp"
#include "scenarios/runner.hpp"
#include "scenarios/scenario.hpp"
#include "tests/support/node_fixture.hpp"
#include "tests/support/server_process.hpp"
#include "tests/support/source_paths.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <random>

namespace sg = seatgrab;

namespace {

using seatgrab::test::scenario_dir;
const std::string admin = "scenario-admin";

std::filesystem::path fresh_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             (name + "-" + std::to_string(std::random_device{}()));
  std::filesystem::remove_all(dir);
  return dir;
}

/// Runs `s` over HTTP with `seed` against a fresh `seatgrab serve` in data dir `name`, whose
/// journals the verifier then reads.
caf::expected<sg::scenarios::run_result> run_against_node(const sg::scenarios::scenario& s,
                                                          uint64_t seed, const std::string& name) {
  auto dir = fresh_dir(name);
  sg::test::server_process node{SEATGRAB_BIN, dir, admin};
  sg::scenarios::run_options opts;
  opts.seed = seed;
  opts.venue_dir = scenario_dir;
  auto r = sg::scenarios::run_over_http(
      s, opts, {{"http://127.0.0.1:" + std::to_string(node.port)}, admin, {dir}});
  std::filesystem::remove_all(dir);
  return r;
}

} // namespace

TEST_CASE("theatre-small over HTTP against a running node keeps every promise") {
  auto s = sg::scenarios::load_scenario(scenario_dir / "theatre-small.toml");
  REQUIRE_MESSAGE(s, sg::render(s));
  auto r = run_against_node(*s, 3, "seatgrab-scenario-http");
  REQUIRE_MESSAGE(r, sg::render(r));
  INFO(r->summary());
  CHECK(r->ok());
  CHECK(r->journals_checked);
  CHECK(r->checked.violations.empty());
  CHECK(r->violations.empty());
  CHECK(r->fans.joined == 600);
  CHECK(r->fans.errors == 0);
  CHECK(r->seats == 494);
  CHECK(r->seats_sold >= 485);                      // 98 %, as the file expects
  CHECK(r->checked.seats_sold == r->seats_sold);    // the journals agree with the fans
  CHECK(r->checked.tickets_valid == r->seats_sold); // one valid ticket per sold seat
  CHECK(r->checked.admissions >= r->fans.admitted);
  CHECK(r->fans.abandoned > 0);
  CHECK(r->fans.declined > 0);
  // Latencies are measured in this mode, and plotted.
  CHECK(r->hold_ms.count == r->fans.holds);
  CHECK(r->checkout_ms.count == r->fans.orders);
  CHECK(r->hold_ms.p50 > 0);
  CHECK(r->hold_ms.p50 <= r->hold_ms.p95);
  CHECK(r->hold_ms.p95 <= r->hold_ms.p99);
  auto report = nlohmann::json::parse(r->json());
  CHECK(report["latency"]["hold"]["count"] == r->fans.holds);
  CHECK(r->html().find("Latency (ms)") != std::string::npos);
}

TEST_CASE("pricing-surge over HTTP: prices published, every sale checked against 1 and 2") {
  auto s = sg::scenarios::load_scenario(scenario_dir / "pricing-surge.toml");
  REQUIRE_MESSAGE(s, sg::render(s));
  // A shorter crowd, so that CI waits seconds, not minutes; the ticks are 5 s of real time.
  s->fans = 600;
  s->pre_queue = 200;
  s->time_scale = 0.02;
  auto r = run_against_node(*s, 4, "seatgrab-scenario-http-pricing");
  REQUIRE_MESSAGE(r, sg::render(r));
  INFO(r->summary());
  CHECK(r->ok());
  CHECK(r->journals_checked);
  REQUIRE(r->pricing);
  CHECK(r->pricing->dynamic);
  CHECK(r->pricing->interval_s == 5);
  CHECK(r->pricing->ticks >= 1);
  CHECK(r->checked.price_changes >= 3); // the policy's three sections, and any step
  CHECK(r->checked.priced_sales >= r->seats_sold);
  CHECK(r->seats_sold > 0);
}

TEST_CASE("over HTTP, 429 answers are waited out, counted and plotted") {
  // A small hall and a few fans against a node that allows 5 requests a second per address, 5 at
  // once.
  auto dir = fresh_dir("seatgrab-scenario-429");
  std::filesystem::create_directories(dir);
  auto venue = dir / "hall.json";
  std::ofstream{venue} << sg::domain::to_json(sg::test::small_venue());
  auto file = dir / "tiny.toml";
  std::ofstream{file} << "name = \"tiny\"\nvenue = \"" << venue.string() << "\"\n"
                      << R"([sale]
admission_per_min = 600
max_tickets_per_account = 4
opens_after_s = 5
[population]
fans = 20
arrival_spread_s = 10
think_max_s = 10
poll_every_s = 20
max_duration_s = 1200
[http]
time_scale = 0.05
connections = 8
)";
  auto s = sg::scenarios::load_scenario(file);
  REQUIRE_MESSAGE(s, sg::render(s));
  sg::test::server_process node{
      SEATGRAB_BIN, dir / "data", admin, {"--rate-limit", "10", "--rate-burst", "10"}};
  sg::scenarios::run_options opts;
  opts.seed = 5;
  opts.venue_dir = dir;
  auto r = sg::scenarios::run_over_http(
      *s, opts, {{"http://127.0.0.1:" + std::to_string(node.port)}, admin, {dir / "data"}});
  REQUIRE_MESSAGE(r, sg::render(r));
  INFO(r->summary());
  CHECK(r->throttled > 0);
  CHECK(r->ok()); // retried after Retry-After: no fan saw an error
  CHECK(r->fans.errors == 0);
  CHECK(r->series.back().throttled == r->throttled);
  CHECK(r->html().find("429 answers") != std::string::npos);
  std::filesystem::remove_all(dir);
}

// What the storm over HTTP shows depends on the node keeping pace with the crowd: under the
// sanitizers it is several times slower, the bots' hammering no longer outruns the people (CI saw
// 11 % of the requests from bots, no 429) and the run shows nothing. The sanitizers see the
// guard's HTTP paths in tests/http/bot_guard_test.cpp; this run is for the optimised build.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool sanitized = true;
#elif defined(__has_feature)
constexpr bool sanitized = __has_feature(address_sanitizer);
#else
constexpr bool sanitized = false;
#endif

TEST_CASE("bot-storm over HTTP: each client at its own address behind a trusted proxy" *
          doctest::skip(sanitized)) {
  // A third of the crowd, for CI's two cores: 600 people and 32 bots (5 %) in the same four
  // farms, the hammering ones polling ten times a second (bots make most of the requests, as
  // the scenario expects); a third of the admission rate and of the shoppers, so that
  // the waits are the full storm's; the arena then does not sell out, and the run stops at 10
  // minutes of scenario time (shadowed bots would wait for ever). Time passes twenty times
  // faster than the node's clock: its poll rate is twenty times too (a person polling every
  // 5 s is no hammering).
  //
  // The bots are held to the scenario's 1 % of the seats, as in-process. The crowd solves
  // every proof of work for real, off its I/O thread: browsers' on one thread (then waiting as
  // long as the browser would have), the native farms' on another. Sharing CI's two cores with
  // the node, that solver is slower than a real farm's and fast-solve catches only some of it;
  // the rest hammer the queue status while they wait, are flagged and refused at checkout.
  auto s = sg::scenarios::load_scenario(scenario_dir / "bot-storm.toml");
  REQUIRE_MESSAGE(s, sg::render(s));
  s->fans = 600;
  s->pre_queue = 100;
  s->admission_per_min = 200;
  s->max_active_shoppers = 100;
  for (auto& farm : s->farms)
    farm.bots = 8;
  s->hammer_per_s = 10;
  s->expect_sold_share = 0;
  REQUIRE(s->expect_bot_seat_share_max == doctest::Approx(0.01));
  REQUIRE(s->expect_bot_requests_share_min == doctest::Approx(0.5));
  s->max_duration_s = 600;
  auto dir = fresh_dir("seatgrab-scenario-bots");
  sg::test::server_process node{SEATGRAB_BIN,
                                dir / "data",
                                admin,
                                {"--trusted-proxy", "127.0.0.1/32", "--rate-limit", "1000",
                                 "--rate-burst", "2000", "--poll-rate",
                                 std::to_string(1 / s->time_scale), "--pow-difficulty", "16",
                                 "--max-body", "1048576"}}; // the arena's venue: 300 KB of JSON
  sg::scenarios::run_options opts;
  opts.seed = 11;
  opts.venue_dir = scenario_dir;
  auto r = sg::scenarios::run_over_http(
      *s, opts, {{"http://127.0.0.1:" + std::to_string(node.port)}, admin, {dir / "data"}});
  REQUIRE_MESSAGE(r, sg::render(r));
  MESSAGE(r->summary());
  CHECK(r->ok()); // the journals check out, no fan saw an unexpected answer
  REQUIRE(r->bots);
  const auto& b = *r->bots;
  CHECK(b.seats() > 1000u);
  CHECK(b.humans_stepped_up_share() < 0.01);
  CHECK(b.humans_blocked() == 0);
  CHECK(b.bots.refused > 0);    // a device's third account, a card's fifth ticket
  CHECK(b.bots.stepped_up > 0); // scripts crowding a class or a device
  CHECK(b.bots.throttled > 0);  // the hammering
  CHECK(b.seats_share() < 0.01);
  CHECK(b.bot_requests_share() >= 0.5);
  // Bots polling through their 429s are flagged, and refused at checkout.
  CHECK(b.guard.flagged > 0);
  MESSAGE(b.guard.flagged << " flagged, "
                          << (b.guard.reasons.contains("suspected_bot")
                                  ? b.guard.reasons.at("suspected_bot")
                                  : 0)
                          << " refused as suspected bots");
  // Every bot seat within its card's limit: four farms of shared or single cards.
  CHECK(b.bots.seats <= 4 * 3 + 4 * 8);
  CHECK(r->checked.guarded_purchases > 100u);
  // Each client was seen at its own address: the worst prefix is a farm's.
  REQUIRE_FALSE(b.guard.prefixes.empty());
  CHECK(b.guard.prefixes.front().key.starts_with("198.18."));
  if (r->ok())
    std::filesystem::remove_all(dir);
  else
    MESSAGE("the node's journals are kept in " << dir << " and its log:\n" << node.output());
}

TEST_CASE("bad targets are refused before anything is sent") {
  auto s = sg::scenarios::load_scenario(scenario_dir / "theatre-small.toml");
  REQUIRE(s);
  sg::scenarios::run_options opts;
  opts.venue_dir = scenario_dir;
  auto r = sg::scenarios::run_over_http(*s, opts, {{"ftp://somewhere"}, admin, {}});
  REQUIRE_FALSE(r);
  CHECK(sg::render(r.error()).find("--target must look like http://host:port") !=
        std::string::npos);
  // Every edge is checked, not only the first.
  r = sg::scenarios::run_over_http(*s, opts, {{"http://127.0.0.1:1", "edge-b:8080"}, admin, {}});
  REQUIRE_FALSE(r);
  CHECK(sg::render(r.error()).find("not edge-b:8080") != std::string::npos);
  r = sg::scenarios::run_over_http(*s, opts, {{}, admin, {}});
  REQUIRE_FALSE(r);
  CHECK(sg::render(r.error()).find("--target is needed") != std::string::npos);
  r = sg::scenarios::run_over_http(*s, opts, {{"http://127.0.0.1:1"}, "", {}});
  REQUIRE_FALSE(r);
  CHECK(sg::render(r.error()).find("--admin-token") != std::string::npos);
}
