// kill -9 of `seatgrab serve` under HTTP load, then a restart on the same data dir: every hold
// and order the server acknowledged (201) must still be there. The seed is printed.
#include "tests/http/edge_fixture.hpp"
#include "tests/support/server_process.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <random>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using nlohmann::json;
namespace sg = seatgrab;

TEST_CASE("kill -9 under load loses no acknowledged hold or order") {
  auto seed = std::getenv("SEATGRAB_SEED")
                  ? std::strtoull(std::getenv("SEATGRAB_SEED"), nullptr, 10)
                  : std::random_device{}();
  CAPTURE(seed);
  sg::test::temp_dir tmp{"seatgrab-http-crash-"};
  auto dir = tmp / "data";
  constexpr int fans = 6;
  std::vector<std::string> tokens(fans);
  std::vector<std::string> admissions(fans);
  std::mutex mtx;
  std::vector<std::pair<int, std::vector<std::string>>> acked_holds; // fan, seats
  std::vector<std::pair<int, std::string>> acked_orders;             // fan, order id
  {
    sg::test::server_process srv{SEATGRAB_BIN, dir, sg::test::admin_token};
    sg::test::http_client c{srv.port};
    REQUIRE(c.with_token(sg::test::admin_token, "POST", "/v1/admin/venues",
                         sg::domain::to_json(sg::test::small_venue()))
                .result_int() == 201);
    REQUIRE(c.with_token(sg::test::admin_token, "POST", "/v1/admin/events",
                         json{{"id", "gig"},
                              {"venue_id", "hall"},
                              {"name", "Gig"},
                              {"opens_at", "2020-01-01T00:00:00Z"},
                              {"admission_per_min", 600000},
                              {"queue_mode", "fifo"}}
                             .dump())
                .result_int() == 201);
    for (int i = 0; i < fans; ++i) {
      auto creds =
          json{{"email", "f" + std::to_string(i) + "@example.com"}, {"password", "correct horse"}}
              .dump();
      REQUIRE(c.request("POST", "/v1/accounts", creds).result_int() == 201);
      tokens[i] = json::parse(c.request("POST", "/v1/sessions", creds).body())["token"];
      auto joined = c.with_token(tokens[i], "POST", "/v1/events/gig/queue",
                                 json{{"device", "d" + std::to_string(i)}}.dump());
      REQUIRE(joined.result_int() == 201);
      auto target = "/v1/events/gig/queue/" +
                    std::to_string(json::parse(joined.body())["ticket"].get<uint64_t>());
      for (int k = 0; k < 10 && admissions[i].empty(); ++k) {
        auto st = json::parse(c.with_token(tokens[i], "GET", target).body());
        if (st["state"] == "admitted")
          admissions[i] = st["admission_token"];
        else
          c.read_events(target + "/stream", 2, {{"Authorization", "Bearer " + tokens[i]}},
                        std::chrono::seconds{5});
      }
      REQUIRE_FALSE(admissions[i].empty());
    }
    // Load: each fan holds one seat at a time and buys every other hold, until the kill.
    std::atomic<bool> stop{false};
    int acks = 0; // guarded by mtx
    std::condition_variable progress;
    std::vector<std::thread> load;
    for (int i = 0; i < fans; ++i)
      load.emplace_back([&, i] {
        std::mt19937_64 rng{seed + static_cast<uint64_t>(i)};
        sg::test::http_client fc{srv.port};
        for (int round = 0; !stop; ++round) {
          try {
            auto seat = std::string{rng() % 2 ? "A" : "B"} + "-" + std::to_string(1 + rng() % 2) +
                        "-" + std::to_string(1 + rng() % 6);
            auto res = fc.with_token(tokens[i], "POST", "/v1/events/gig/holds",
                                     json{{"seats", {seat}}}.dump(),
                                     {{"X-Admission-Token", admissions[i]}});
            if (res.result_int() != 201)
              continue;
            auto hold = json::parse(res.body());
            {
              std::lock_guard lock{mtx};
              acked_holds.emplace_back(i, std::vector<std::string>{seat});
              ++acks;
            }
            progress.notify_all();
            if (round % 2 == 0)
              continue;
            auto paid = fc.with_token(tokens[i], "POST",
                                      "/v1/holds/" + hold["id"].get<std::string>() + "/checkout",
                                      json{{"card", "4242424242424242"}}.dump());
            if (paid.result_int() == 201) {
              std::lock_guard lock{mtx};
              acked_orders.emplace_back(i, json::parse(paid.body())["order_id"]);
              ++acks;
            }
            progress.notify_all();
          } catch (const std::exception&) {
            return; // the server is gone
          }
        }
      });
    {
      // Kill mid-flight once the load has some acknowledged holds and orders (24 seats bound
      // how many holds can succeed, hence the deadline).
      std::unique_lock lock{mtx};
      progress.wait_for(lock, std::chrono::seconds{60},
                        [&] { return acks >= 16 && acked_orders.size() >= 2; });
    }
    srv.kill9();
    stop = true;
    for (auto& t : load)
      t.join();
  }
  REQUIRE_FALSE(acked_holds.empty());
  MESSAGE(acked_holds.size() << " holds and " << acked_orders.size() << " orders acknowledged");
  sg::test::server_process srv{SEATGRAB_BIN, dir, sg::test::admin_token};
  sg::test::http_client c{srv.port};
  std::map<std::string, std::string> status;
  auto map = c.request("GET", "/v1/events/gig/seatmap");
  REQUIRE_MESSAGE(map.result_int() == 200, map.body());
  auto parsed = json::parse(map.body()); // named: a temporary would die before the loop
  for (const auto& sec : parsed["sections"])
    for (const auto& s : sec["seats"])
      status[s["id"].get<std::string>()] = s["status"].get<std::string>();
  REQUIRE_MESSAGE(status.size() == 24, map.body().substr(0, 300));
  for (const auto& [fan, seats] : acked_holds)
    for (const auto& seat : seats)
      CHECK_MESSAGE((status.at(seat) == "held" || status.at(seat) == "sold"),
                    "acknowledged hold of " << seat << " lost");
  for (const auto& [fan, order] : acked_orders) {
    auto res = c.with_token(tokens[fan], "GET", "/v1/orders/" + order); // tokens survive too
    REQUIRE_MESSAGE(res.result_int() == 200, res.body());
    auto o = json::parse(res.body());
    CHECK(o["state"] == "completed");
    for (const auto& t : o["tickets"])
      CHECK(status.at(t["seat"].get<std::string>()) == "sold");
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("SIGTERM stops serve gracefully: idle connections close, the journal is flushed") {
  sg::test::temp_dir tmp{"seatgrab-http-sigterm-"};
  auto dir = tmp / "data";
  {
    sg::test::server_process srv{SEATGRAB_BIN, dir, sg::test::admin_token};
    sg::test::http_client c{srv.port};
    auto creds = json{{"email", "a@example.com"}, {"password", "correct horse"}}.dump();
    REQUIRE(c.request("POST", "/v1/accounts", creds).result_int() == 201);
    // A client idling on a kept-alive connection must not keep the server from stopping.
    sg::test::http_client idle{srv.port};
    REQUIRE(idle.request("GET", "/healthz").result_int() == 200);
    ::kill(srv.proc.pid, SIGTERM);
    int status = 0;
    REQUIRE(waitpid(srv.proc.pid, &status, 0) == srv.proc.pid);
    srv.proc.pid = -1;
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
  // Everything acknowledged before the stop is there.
  sg::test::server_process srv{SEATGRAB_BIN, dir, sg::test::admin_token};
  sg::test::http_client c{srv.port};
  CHECK(c.request("POST", "/v1/sessions",
                  json{{"email", "a@example.com"}, {"password", "correct horse"}}.dump())
            .result_int() == 201);
  std::filesystem::remove_all(dir);
}
