// The bot storm, in-process on virtual time: the bots' farms and tactics against the bot guard
// with its default rules; the same storm with the guard only counting (what the bots get
// without it); a guard that forgot a limit or a flag caught by the verifier; the [bots]
// section's errors.
#include "scenarios/runner.hpp"
#include "scenarios/scenario.hpp"
#include "tests/support/forge.hpp"
#include "tests/support/source_paths.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace sg = seatgrab;

namespace {

using seatgrab::test::scenario_dir;

sg::scenarios::scenario storm() {
  auto s = sg::scenarios::load_scenario(scenario_dir / "bot-storm.toml");
  REQUIRE_MESSAGE(s, sg::render(s));
  return *s;
}

sg::scenarios::run_result run(const sg::scenarios::scenario& s,
                              sg::scenarios::run_options opts = {}) {
  opts.seed = 7;
  opts.venue_dir = scenario_dir;
  auto r = sg::scenarios::run_in_process(s, opts);
  REQUIRE_MESSAGE(r, sg::render(r));
  MESSAGE(r->summary());
  return std::move(*r);
}

} // namespace

TEST_CASE("bot-storm: bots get under 1 % of the seats, people are neither stepped up nor blocked") {
  auto r = run(storm());
  CHECK(r.ok());
  REQUIRE(r.bots);
  const auto& b = *r.bots;
  CHECK(b.bots.clients == 100);
  CHECK(b.humans.clients == 1900);
  CHECK(b.seats() >= 1900); // the arena sold out but for orphans
  CHECK(b.seats_share() < 0.01);
  CHECK(b.humans_stepped_up_share() < 0.01);
  CHECK(b.humans_blocked() == 0);
  CHECK(b.humans_shadowed == 0);
  CHECK(b.bot_requests_share() >= 0.5);
  // The guard did the work: farms shadowed, their hammering throttled, their cards held back.
  CHECK(b.bots_shadowed > 25);
  CHECK(b.bots.throttled > 0);
  CHECK(b.guard.verdicts.at("shadow") == b.bots_shadowed);
  // The verifier read the guard's record and checked every card purchase against it.
  CHECK(r.checked.bot_decisions > 2000);
  CHECK(r.checked.guarded_purchases > 400);
  // report.json has the keys the issue names.
  auto j = nlohmann::json::parse(r.json());
  REQUIRE(j.contains("bots"));
  for (auto key : {"seats_share", "humans_stepped_up_share", "humans_blocked", "decisions",
                   "reasons", "top", "humans", "bots"})
    CHECK_MESSAGE(j["bots"].contains(key), key);
}

TEST_CASE("bot-storm with the guard only counting: the bots take far more, so the test can fail") {
  auto s = storm();
  s.guard = "shadow";
  s.fans = 600; // a smaller crowd makes the point
  s.pre_queue = 100;
  s.expect_sold_share = 0;
  auto r = run(s);
  REQUIRE(r.bots);
  CHECK(r.bots->seats_share() > 0.01);
  CHECK_FALSE(r.ok()); // the scenario's expectation is unmet
  // What the guard would have done is counted all the same.
  CHECK(r.bots->guard.reasons.count("shadow:shadowed") == 1);
}

TEST_CASE("a bot guard that let a device in for a 3rd account, a card buy too fast, or a flagged "
          "script check out, is caught") {
  for (std::string what : {"device", "card", "flag"}) {
    CAPTURE(what);
    auto s = storm();
    s.fans = 200;
    s.farms.resize(1);
    s.farms[0].bots = 10;
    s.expect_sold_share = 0;
    sg::scenarios::run_options opts;
    opts.before_verify = [what](sg::persistence::store& db, const std::string& event_id,
                                int64_t now) {
      return sg::test::forge_bot_limit(db, event_id, what, now);
    };
    auto r = run(s, opts);
    CHECK_FALSE(r.ok());
    auto named = std::count_if(
        r.checked.violations.begin(), r.checked.violations.end(), [&](const std::string& v) {
          return v.find(what == "device" ? "device forged-device"
                        : what == "card"
                            ? "beyond the card's"
                            : "a checkout allowed to forged-script, which polled "
                              "through its 429s after a join scored 45") != std::string::npos;
        });
    CHECK(named >= 1);
  }
}

TEST_CASE("[bots] errors name the key") {
  auto parse = [](const std::string& text) {
    return sg::scenarios::parse_scenario(text, "s.toml", "s");
  };
  auto msg = [&](const std::string& text) {
    auto s = parse(text);
    REQUIRE_FALSE(s);
    return sg::render(s.error());
  };
  CHECK(msg("[bots]\npow_bits = 16\n").find("bots.farm is missing") != std::string::npos);
  CHECK(msg("[[bots.farm]]\nbots = 3\ntactics = [\"teleport\"]\n")
            .find("bots.farm[0].tactics[0] must be one of") != std::string::npos);
  CHECK(msg("[[bots.farm]]\ntactics = [\"fast_solver\"]\n").find("bots.farm[0].bots is missing") !=
        std::string::npos);
  CHECK(msg("[[bots.farm]]\nbots = 3\ntactics = [\"shared_device\", \"rotate_devices\"]\n")
            .find("exclude each other") != std::string::npos);
  CHECK(msg("[[bots.farm]]\nbots = 3\nspeed = 9\n").find("bots.farm[0].speed is not a known key") !=
        std::string::npos);
  CHECK(msg("[bots]\nguard = \"maybe\"\n[[bots.farm]]\nbots = 1\n").find("bots.guard") !=
        std::string::npos);
  auto ok =
      parse("[bots]\nstep_up_rate = 0.2\n[[bots.farm]]\nbots = 3\ntactics = [\"fast_solver\"]\n");
  REQUIRE_MESSAGE(ok, sg::render(ok));
  CHECK(ok->bots);
  CHECK(ok->farms.size() == 1);
  CHECK(ok->bot_step_up_rate == 0.2);
}
