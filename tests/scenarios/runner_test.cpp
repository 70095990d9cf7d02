// Tests of the scenario runner: theatre-small sells out in-process with every promise verified,
// a run is reproducible from its seed, and bad scenario files are refused naming file and key.
#include "messages/ec.hpp"
#include "scenarios/runner.hpp"
#include "scenarios/scenario.hpp"
#include "tests/support/forge.hpp"
#include "tests/support/source_paths.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace sg = seatgrab;

namespace {

using seatgrab::test::scenario_dir;

std::filesystem::path write_file(const std::string& name, const std::string& text) {
  auto path = std::filesystem::temp_directory_path() / name;
  std::ofstream{path} << text;
  return path;
}

sg::scenarios::run_options options(uint64_t seed) {
  sg::scenarios::run_options opts;
  opts.seed = seed;
  opts.venue_dir = scenario_dir;
  return opts;
}

std::string error_of(const std::string& toml) {
  auto s = sg::scenarios::load_scenario(write_file("bad-scenario.toml", toml));
  REQUIRE_FALSE(s);
  CHECK(s.error() == sg::ec::invalid_input);
  return sg::render(s.error());
}

} // namespace

TEST_CASE("theatre-small sells out in-process, and the verifier finds every promise kept") {
  auto s = sg::scenarios::load_scenario(scenario_dir / "theatre-small.toml");
  REQUIRE_MESSAGE(s, sg::render(s));
  auto r = sg::scenarios::run_in_process(*s, options(42));
  REQUIRE_MESSAGE(r, sg::render(r));
  INFO(r->summary());
  CHECK(r->ok());
  CHECK(r->checked.violations.empty());
  CHECK(r->seats == 494);
  CHECK(r->seats_sold >= 485); // 98 %, as the file expects
  CHECK(r->checked.seats_sold == r->seats_sold);
  CHECK(r->checked.tickets_valid == r->seats_sold); // one valid ticket per sold seat
  CHECK(r->fans.joined == 600);
  CHECK(r->checked.admissions >= r->fans.admitted); // some left, seeing it sold out
  CHECK(r->fans.abandoned > 0);                     // the behaviours happened
  CHECK(r->fans.declined > 0);
  CHECK(r->checked.expiries >= r->fans.abandoned); // abandoned holds ran out (some declines too)
  auto report = nlohmann::json::parse(r->json());
  CHECK(report["ok"] == true);
  CHECK(report["series"]["rows"].size() == r->series.size());
  CHECK(r->html().find("<svg") != std::string::npos);
}

TEST_CASE("the same seed gives the same report; another seed another run") {
  auto s = sg::scenarios::load_scenario(write_file("tiny.toml", R"(
name = "tiny"
[sale]
admission_per_min = 600
max_tickets_per_account = 4
opens_after_s = 10
[population]
fans = 120
pre_queue = 40
arrival_spread_s = 30
think_max_s = 20
refund_rate = 0.2
transfer_rate = 0.1
refund_after_max_s = 120
)"));
  REQUIRE_MESSAGE(s, sg::render(s));
  auto a = sg::scenarios::run_in_process(*s, options(5));
  auto b = sg::scenarios::run_in_process(*s, options(5));
  auto c = sg::scenarios::run_in_process(*s, options(6));
  REQUIRE(a);
  REQUIRE(b);
  REQUIRE(c);
  CHECK(a->ok());
  CHECK(a->json() == b->json());
  CHECK(a->json() != c->json());
}

TEST_CASE("refund-wave: refunded seats go back on sale and are bought again") {
  auto s = sg::scenarios::load_scenario(scenario_dir / "refund-wave.toml");
  REQUIRE_MESSAGE(s, sg::render(s));
  auto r = sg::scenarios::run_in_process(*s, options(11));
  REQUIRE_MESSAGE(r, sg::render(r));
  INFO(r->summary());
  CHECK(r->ok());
  CHECK(r->fans.refunds > 0);
  CHECK(r->fans.transfers > 0);
  // More tickets were bought than seats are sold now: refunded seats were sold again.
  CHECK(r->fans.seats_bought > r->seats_sold);
  CHECK(r->seats_sold >= 480); // 97 % of 494, as the file expects
  CHECK(r->checked.seats_sold == r->seats_sold);
  CHECK(r->checked.tickets_valid == r->seats_sold); // refunded tickets are no longer valid
}

TEST_CASE("a run that double-sells a seat is caught by the verifier") {
  auto s = sg::scenarios::load_scenario(scenario_dir / "theatre-small.toml");
  REQUIRE_MESSAGE(s, sg::render(s));
  auto opts = options(42);
  // The test hook: one seat sold again behind the actors' back.
  opts.before_verify = [](sg::persistence::store& db, const std::string& event_id, int64_t now) {
    return sg::test::double_sell_first_sale(db, event_id, now);
  };
  auto r = sg::scenarios::run_in_process(*s, opts);
  REQUIRE_MESSAGE(r, sg::render(r));
  INFO(r->summary());
  CHECK_FALSE(r->ok());
  auto sold_twice =
      std::any_of(r->checked.violations.begin(), r->checked.violations.end(),
                  [](const std::string& v) { return v.find("sold twice") != std::string::npos; });
  CHECK(sold_twice);
  CHECK(r->summary().find("FAILED") != std::string::npos);
}

TEST_CASE("pricing-surge: prices step up as demand outruns supply; every sale keeps 1 and 2") {
  auto s = sg::scenarios::load_scenario(scenario_dir / "pricing-surge.toml");
  REQUIRE_MESSAGE(s, sg::render(s));
  REQUIRE(s->priced);
  auto r = sg::scenarios::run_in_process(*s, options(7));
  REQUIRE_MESSAGE(r, sg::render(r));
  INFO(r->summary());
  CHECK(r->ok());
  REQUIRE(r->pricing);
  // The premium stalls went up the ladder, within the hour's cap of two steps.
  const auto& stalls = r->pricing->sections.at(0);
  CHECK(stalls.section == "stalls");
  CHECK(stalls.level >= 1);
  CHECK(stalls.level <= 2);
  size_t rule_steps = 0;
  for (const auto& s2 : r->pricing->sections)
    for (const auto& h : s2.history)
      rule_steps += h.manual ? 0 : 1;
  CHECK(rule_steps > r->pricing->sections.size()); // the policy's prices, and steps after
  // Every sold seat was checked against the lock, the price at the sale and at the admission.
  CHECK(r->checked.priced_sales >= r->seats_sold);
  CHECK(r->seats_sold >= 479);
  auto report = nlohmann::json::parse(r->json());
  REQUIRE(report.contains("pricing"));
  CHECK(report["pricing"]["sections"][0]["steps"].size() == stalls.history.size());
  CHECK(report["pricing"]["priced_sales_checked"] == r->checked.priced_sales);
  CHECK(r->html().find("Price per section over time") != std::string::npos);
}

TEST_CASE("pricing-surge with refunds: seats resold at new prices keep every promise") {
  auto s = sg::scenarios::load_scenario(scenario_dir / "pricing-surge.toml");
  REQUIRE_MESSAGE(s, sg::render(s));
  s->refund_rate = 0.2; // refunded seats go back on sale, at the price of the moment
  s->refund_after_min_s = 60;
  s->refund_after_max_s = 300;
  auto r = sg::scenarios::run_in_process(*s, options(8));
  REQUIRE_MESSAGE(r, sg::render(r));
  INFO(r->summary());
  CHECK(r->fans.refunds > 0);
  CHECK(r->fans.seats_bought > r->seats_sold); // some seats were sold twice over, one by one
  CHECK(r->ok());
}

TEST_CASE("a node charging fans above their admitted price is caught by the verifier") {
  auto s = sg::scenarios::load_scenario(scenario_dir / "pricing-surge.toml");
  REQUIRE_MESSAGE(s, sg::render(s));
  auto opts = options(7);
  // The test hook: sessions forget the admission's price cap, so a fan let in before a step up
  // who holds after it is charged the new price.
  opts.test_skip_price_caps = true;
  auto r = sg::scenarios::run_in_process(*s, opts);
  REQUIRE_MESSAGE(r, sg::render(r));
  INFO(r->summary());
  CHECK_FALSE(r->ok());
  auto overcharged = std::count_if(
      r->checked.violations.begin(), r->checked.violations.end(),
      [](const std::string& v) { return v.find("guarantee 2") != std::string::npos; });
  CHECK(overcharged >= 1);
  // Nothing else is wrong with the run: every violation is an overcharge.
  CHECK(static_cast<size_t>(overcharged) == r->checked.violations.size());
}

TEST_CASE("a price step the rule did not allow is caught by the verifier") {
  auto s = sg::scenarios::load_scenario(scenario_dir / "pricing-surge.toml");
  REQUIRE_MESSAGE(s, sg::render(s));
  auto opts = options(7);
  // The test hook: a tick that moves a section up with nothing taken since the last one.
  opts.before_verify = [](sg::persistence::store& db, const std::string& event_id, int64_t) {
    return sg::test::forge_price_step(db, event_id);
  };
  auto r = sg::scenarios::run_in_process(*s, opts);
  REQUIRE_MESSAGE(r, sg::render(r));
  INFO(r->summary());
  CHECK_FALSE(r->ok());
  REQUIRE(r->checked.violations.size() >= 1);
  auto against_rule =
      std::any_of(r->checked.violations.begin(), r->checked.violations.end(), [](const auto& v) {
        return v.starts_with("pricing/sale/") &&
               v.find("section stalls: level") != std::string::npos;
      });
  CHECK(against_rule);
}

TEST_CASE("bad scenario files are refused, naming the file and the key") {
  CHECK(error_of("[pricing]\nladders = { premium = [100, \"x\"] }\n")
            .find("pricing.ladders.premium[1] must be a positive integer") != std::string::npos);
  CHECK(error_of("[pricing]\ninterval_s = 30\n").find("pricing.ladders is missing") !=
        std::string::npos);
  CHECK(error_of("[pricing]\nladders = { a = [1] }\nstart_levels = { a = 9 }\n")
            .find("pricing.start_levels.a must be a level from 0 to 4") != std::string::npos);
  CHECK(error_of("[population]\nfanz = 3\n").find("population.fanz is not a known key") !=
        std::string::npos);
  CHECK(error_of("[population]\nfans = -3\n").find("population.fans must be an integer") !=
        std::string::npos);
  CHECK(error_of("[sale]\nqueue_mode = \"random\"\n").find("sale.queue_mode") != std::string::npos);
  CHECK(error_of("[population]\nabandon_rate = 2.5\n").find("population.abandon_rate") !=
        std::string::npos);
  CHECK(error_of("[population]\nseats_max = 9\n[sale]\nmax_tickets_per_account = 4\n")
            .find("population.seats_max must not exceed") != std::string::npos);
  CHECK(error_of("[population]\narrival_curve = \"wave\"\n").find("population.arrival_curve") !=
        std::string::npos);
  CHECK(error_of("[http]\ntime_scale = 0\n").find("http.time_scale") != std::string::npos);
  auto syntax = error_of("[sale\nhold_ttl_s = 3\n");
  CHECK(syntax.find("bad-scenario.toml:1:") != std::string::npos); // file and line
}
