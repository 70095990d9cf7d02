#pragma once

// A scenario file (TOML): the venue, the sale settings, the population and its behaviour, and
// what the run must show. See scenarios/theatre-small.toml for every key.

#include "messages/pricing.hpp"

#include <caf/expected.hpp>

#include <climits>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace seatgrab::scenarios {

struct scenario {
  std::string name;
  /// "theatre", "arena", "stadium" (generated), or a venue JSON file relative to the scenario
  /// file.
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
  uint32_t arrival_spread_s = 60; ///< the others arrive over this after the opening
  /// "even" (uniform over the spread) or "spike" (most at the opening, fewer and fewer after).
  std::string arrival_curve = "even";
  uint32_t seats_min = 1; ///< seats a fan wants, uniform in [seats_min, seats_max]
  uint32_t seats_max = 4;
  uint32_t think_min_s = 5; ///< time between the hold and the checkout
  uint32_t think_max_s = 60;
  uint32_t poll_every_s = 5;        ///< how often a waiting fan looks at the queue
  double abandon_rate = 0.2;        ///< share of holds left to expire
  uint32_t patience = 20;           ///< searches that find nothing before a fan leaves
  double decline_rate = 0.05;       ///< share of checkouts with a declined card
  double refund_rate = 0;           ///< share of buyers who refund their tickets later
  double transfer_rate = 0;         ///< share of buyers who give a ticket to another fan
  uint32_t refund_after_min_s = 60; ///< time between the purchase and the refund or transfer
  uint32_t refund_after_max_s = 600;
  uint32_t max_duration_s = 3600; ///< the run stops here (scenario time)
  // [http]
  /// Real seconds per scenario second over HTTP (e.g. 0.02: a minute passes in 1.2 s).
  double time_scale = 1;
  uint32_t connections = 64; ///< keep-alive connections the HTTP client opens
  // [pricing] (optional): dynamic prices, published before the opening
  bool priced = false;
  /// Ladders by tier or section id; times in scenario seconds (over HTTP they are scaled).
  pricing_request pricing;
  // [bots] (optional): farms of bots besides the fans; with it the bot guard enforces its
  // rules (without it, it only counts: the fans of other scenarios are not its subject).
  struct bot_farm {
    uint32_t bots = 0;
    /// shared_device, rotate_devices, fast_solver, shared_card, hammer_status.
    std::vector<std::string> tactics;
  };
  std::vector<bot_farm> farms;
  bool bots = false;              ///< a [bots] section was given
  double bot_step_up_rate = 0.1;  ///< share of step-ups a bot answers (a solving service)
  uint32_t bot_step_up_tries = 3; ///< step-ups a bot attempts before its account gives up
  uint32_t hammer_per_s = 10;     ///< status polls a second of a hammering bot
  uint32_t pow_bits = 16;         ///< the guard's base proof of work
  /// "enforce", or "shadow": the guard counts what it would do (a control run: what the bots
  /// get without it).
  std::string guard = "enforce";
  double human_step_up_rate = 0.95; ///< share of step-ups a person answers right
  double human_no_signals = 0.03;   ///< people whose browser reports no signals (blockers)
  double human_language_mismatch = 0.01;
  double human_shared_prefix = 0.1; ///< people behind a shared NAT, eight to a /24
  // [expect]
  /// Share of the seats that must be sold at the end (a sell-out may leave an orphan seat).
  double expect_sold_share = 0;
  /// With bots: most of the sold seats bots may hold, of people stepped up, of people
  /// blocked or shadowed (shares of 1; blocked a count).
  double expect_bot_seat_share_max = 1;
  double expect_humans_stepped_up_max = 1;
  uint32_t expect_humans_blocked_max = UINT32_MAX;
  double expect_bot_requests_share_min = 0;
};

/// Reads and checks a scenario file. Errors name the file and the key (`invalid_input`).
caf::expected<scenario> load_scenario(const std::filesystem::path& file);

/// Parses and checks scenario TOML `text`; errors name `source` (a file name) and the key.
/// `default_name` is the name when the text sets none (`load_scenario` passes the file stem).
caf::expected<scenario> parse_scenario(std::string_view text, const std::string& source,
                                       std::string default_name);

} // namespace seatgrab::scenarios
