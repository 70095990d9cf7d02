#pragma once

// A scenario file (TOML): the venue, the sale settings, the population and its behaviour, and
// what the run must show. See scenarios/theatre-small.toml for every key.

#include <caf/expected.hpp>

#include <cstdint>
#include <filesystem>
#include <string>

namespace seatgrab::scenarios {

struct scenario {
  std::string name;
  /// "theatre", "stadium" (generated), or a venue JSON file relative to the scenario file.
  std::string venue = "theatre";
  // [sale]
  uint32_t hold_ttl_s = 300;
  uint32_t admission_per_min = 5000;
  uint32_t max_active_shoppers = 10'000;
  uint32_t max_tickets_per_account = 8;
  std::string queue_mode = "shuffle";
  uint32_t opens_after_s = 60; ///< the sale opens this long after the run starts
  // [population]
  uint32_t fans = 1000;
  uint32_t pre_queue = 0;         ///< fans who join before the opening
  uint32_t arrival_spread_s = 60; ///< the others arrive evenly over this after the opening
  uint32_t seats_min = 1;         ///< seats a fan wants, uniform in [seats_min, seats_max]
  uint32_t seats_max = 4;
  uint32_t think_min_s = 5; ///< time between the hold and the checkout
  uint32_t think_max_s = 60;
  uint32_t poll_every_s = 5;      ///< how often a waiting fan looks at the queue
  double abandon_rate = 0.2;      ///< share of holds left to expire
  double decline_rate = 0.05;     ///< share of checkouts with a declined card
  uint32_t max_duration_s = 3600; ///< the run stops here (virtual time)
  // [expect]
  /// Share of the seats that must be sold at the end (a sell-out may leave an orphan seat).
  double expect_sold_share = 0;
};

/// Reads and checks a scenario file. Errors name the file and the key (`invalid_input`).
caf::expected<scenario> load_scenario(const std::filesystem::path& file);

} // namespace seatgrab::scenarios
