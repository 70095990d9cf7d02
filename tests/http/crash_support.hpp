#pragma once

// What the kill -9 tests of `seatgrab serve` share (tests/http/crash_test.cpp,
// tests/http/crash_reply_test.cpp): the seed, an event with admitted fans, the seat map, and
// the independent verifier over a data dir, also while a node runs on it.

#include "persistence/store.hpp"
#include "scenarios/verify.hpp"
#include "tests/http/edge_fixture.hpp"
#include "tests/support/seed.hpp"
#include "tests/support/server_process.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace seatgrab::test::crash {

/// `SEATGRAB_SEED` if set, else a fresh one (the tests print it).
inline uint64_t seed() {
  return seed_from_env();
}

/// Wall time in ms since the epoch (the node's clock).
inline int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// Fans with a session and an admission each; fan i is "f<i>@example.com".
struct fan_set {
  std::vector<std::string> emails, tokens, admissions;
};

/// Adds the small venue (sections A, B; 2 x 6 seats each) and event "gig": on sale, FIFO
/// queue, holds of `hold_ttl_s`, refunds allowed, 100 tickets per account.
inline void add_event(uint16_t port, int64_t hold_ttl_s) {
  http_client c{port};
  auto venue =
      c.with_token(admin_token, "POST", "/v1/admin/venues", domain::to_json(small_venue()));
  REQUIRE_MESSAGE(venue.result_int() == 201, venue.body());
  auto ev = c.with_token(admin_token, "POST", "/v1/admin/events",
                         nlohmann::json{{"id", "gig"},
                                        {"venue_id", "hall"},
                                        {"name", "Gig"},
                                        {"opens_at", "2020-01-01T00:00:00Z"},
                                        {"refunds_until", "2099-01-01T00:00:00Z"},
                                        {"hold_ttl_s", hold_ttl_s},
                                        {"max_tickets_per_account", 100},
                                        {"admission_per_min", 600000},
                                        {"max_active_shoppers", 100000},
                                        {"queue_mode", "fifo"}}
                             .dump());
  REQUIRE_MESSAGE(ev.result_int() == 201, ev.body());
}

/// Signs up `n` fans, logs them in and has each admitted from the queue of "gig".
inline fan_set admitted_fans(uint16_t port, int n) {
  http_client c{port};
  fan_set f;
  for (int i = 0; i < n; ++i) {
    f.emails.push_back("f" + std::to_string(i) + "@example.com");
    auto creds = nlohmann::json{{"email", f.emails.back()}, {"password", "correct horse"}}.dump();
    REQUIRE(c.request("POST", "/v1/accounts", creds).result_int() == 201);
    f.tokens.push_back(
        nlohmann::json::parse(c.request("POST", "/v1/sessions", creds).body())["token"]);
    auto joined = c.with_token(f.tokens.back(), "POST", "/v1/events/gig/queue",
                               nlohmann::json{{"device", "d" + std::to_string(i)}}.dump());
    REQUIRE_MESSAGE(joined.result_int() == 201, joined.body());
    auto target = "/v1/events/gig/queue/" +
                  std::to_string(nlohmann::json::parse(joined.body())["ticket"].get<uint64_t>());
    std::string admission;
    for (int k = 0; k < 10 && admission.empty(); ++k) {
      auto st = nlohmann::json::parse(c.with_token(f.tokens.back(), "GET", target).body());
      if (st["state"] == "admitted")
        admission = st["admission_token"];
      else // the pacer admits once a second: wait on the status stream
        c.read_events(target + "/stream", 2, {{"Authorization", "Bearer " + f.tokens.back()}},
                      std::chrono::seconds{5});
    }
    REQUIRE_FALSE(admission.empty());
    f.admissions.push_back(admission);
  }
  return f;
}

/// Seat id -> "free", "held" or "sold" on the seat map of "gig".
inline std::map<std::string, std::string> seat_status(http_client& c) {
  auto map = c.request("GET", "/v1/events/gig/seatmap");
  REQUIRE_MESSAGE(map.result_int() == 200, map.body());
  auto parsed = nlohmann::json::parse(map.body());
  std::map<std::string, std::string> status;
  for (const auto& sec : parsed["sections"])
    for (const auto& s : sec["seats"])
      status[s["id"].get<std::string>()] = s["status"].get<std::string>();
  REQUIRE(status.size() == 24);
  return status;
}

/// The verifier over `dir`, which no node has open (e.g. after a kill -9): holds expired
/// before `end_ms` must have ended (0: not checked); tickets against sales if `tickets`.
inline scenarios::verdict verify_dir(const std::filesystem::path& dir, int64_t end_ms,
                                     bool tickets) {
  auto db = persistence::store::open({dir, persistence::durability::fsync});
  REQUIRE_MESSAGE(db, render(db));
  return scenarios::verify(**db, {end_ms, tickets, true});
}

/// The verifier over `dir` while a node runs on it (a RocksDB secondary instance whose own
/// files go to `secondary`), tickets included; holds that expired 2 s ago must have ended.
inline scenarios::verdict verify_live(const std::filesystem::path& dir,
                                      const std::filesystem::path& secondary) {
  std::filesystem::create_directories(secondary);
  auto db = persistence::store::open_secondary(dir, secondary);
  REQUIRE_MESSAGE(db, render(db));
  return scenarios::verify(**db, {now_ms() - 2000, true, true});
}

/// The verdict's violations, one a line (the first 20).
inline std::string describe(const scenarios::verdict& v) {
  std::ostringstream out;
  out << v.violations.size() << " violation(s)";
  for (size_t i = 0; i < v.violations.size() && i < 20; ++i)
    out << "\n  " << v.violations[i];
  return out.str();
}

} // namespace seatgrab::test::crash
