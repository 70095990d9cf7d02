// `seatgrab serve --cluster`: three member processes on loopback, each with its own data dir.
// A fan signs up, logs in, queues, polls, holds and checks out, each step through another
// member; when the member that owns the event freezes or is killed (-9), the others answer its
// requests with 503 and Retry-After within 5 s, and keep answering what they own.

#include "tests/support/cluster_processes.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/fan_flow.hpp"
#include "tests/support/http_client.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <memory>

namespace fs = std::filesystem;
using json = nlohmann::json;
using seatgrab::test::http_client;
using seatgrab::test::server_process;

namespace {

json body(const seatgrab::test::http_response& r) {
  return json::parse(r.body(), nullptr, false);
}

} // namespace

TEST_CASE("a fan buys through three members; the event's member dies and the others say 503") {
  seatgrab::test::cluster_processes node{{"a", "b", "c"}};
  http_client a{node["a"].port}, b{node["b"].port}, c{node["c"].port};

  auto fan = seatgrab::test::admit_fan(b, a, c, b, "fan@example.com", "laptop", "stadium-tour");
  auto token = fan.token;
  auto admission = fan.admission;
  auto held = a.with_token(token, "POST", "/v1/events/stadium-tour/holds",
                           R"({"section":"101","quantity":2})", {{"X-Admission-Token", admission}});
  REQUIRE_MESSAGE(held.result_int() == 201, held.body());
  auto hold_id = body(held)["id"].get<std::string>();
  auto paid = c.with_token(token, "POST", "/v1/holds/" + hold_id + "/checkout",
                           R"({"card":"4242424242424242"})", {{"Idempotency-Key", "pay-1"}});
  REQUIRE_MESSAGE(paid.result_int() == 201, paid.body());
  CHECK(body(paid)["tickets"].size() == 2);

  // The demo event lives on c (rendezvous over a, b, c; pinned in cluster/placement_test).
  // Frozen first: its connections stay open, so only the timeouts can tell (a request in
  // flight to it gets no answer), then killed.
  a.set_timeout(std::chrono::seconds{10});
  auto expect_503 = [&](const char* device) {
    auto asked = std::chrono::steady_clock::now();
    auto join = a.with_token(token, "POST", "/v1/events/stadium-tour/queue",
                             std::string{R"({"device":")"} + device + "\"}");
    CHECK_MESSAGE(join.result_int() == 503, join.body());
    CHECK_FALSE(join[boost::beast::http::field::retry_after].empty());
    CHECK(std::chrono::steady_clock::now() - asked < std::chrono::seconds{5});
  };
  ::kill(node["c"].proc.pid, SIGSTOP);
  expect_503("phone");
  node["c"].kill9();
  expect_503("tablet");
  // What the live members own still answers: the catalog, the account shards of a and b
  // (accounts are placed by e-mail), the fan's session (on a) with the tickets it bought.
  CHECK(b.request("GET", "/v1/events").result_int() == 200);
  std::map<std::string, int> signed_up; // shard -> accounts made there
  int refused = 0;
  for (int i = 0; i < 12; ++i) {
    auto email = "late" + std::to_string(i) + "@example.com";
    auto other = (i % 2 == 0 ? a : b)
                     .request("POST", "/v1/accounts",
                              R"({"email":")" + email + R"(","password":"correct horse"})");
    if (other.result_int() == 201) {
      auto id = body(other)["id"].get<std::string>();
      ++signed_up[id.substr(0, id.find('.'))];
    } else {
      // c's shard: unavailable, said at once, never a guess.
      CHECK_MESSAGE(other.result_int() == 503, other.body());
      CHECK_FALSE(other[boost::beast::http::field::retry_after].empty());
      ++refused;
    }
  }
  CHECK(signed_up["a"] > 0);
  CHECK(signed_up["b"] > 0);
  CHECK_FALSE(signed_up.contains("c"));
  CHECK(refused > 0); // a third of the e-mails belong to c's shard
  auto mine = b.with_token(token, "GET", "/v1/tickets");
  CHECK_MESSAGE(mine.result_int() == 503, mine.body()); // tickets are the box office's: on c
}

TEST_CASE("theatre-small over HTTP with its fans spread over three edges, verified from the "
          "three data dirs") {
  seatgrab::test::cluster_processes node{{"a", "b", "c"}};
  seatgrab::test::temp_dir out{"seatgrab-cluster-scenario-"};
  std::string cmd = std::string{SEATGRAB_BIN} + " scenario run " + SEATGRAB_SOURCE_DIR +
                    "/scenarios/theatre-small.toml --seed 11 --quiet --admin-token tok --report " +
                    (out / "report").string();
  for (const auto* name : {"a", "b", "c"})
    cmd += " --target http://127.0.0.1:" + std::to_string(node[name].port) + " --data-dir " +
           node.data_dir(name).string();
  auto run = seatgrab::test::run_command(cmd + " 2>&1");
  INFO(run.second);
  CHECK(run.first == 0);
  std::ifstream in{out / "report" / "report.json"};
  auto report = json::parse(in, nullptr, false);
  REQUIRE(report.is_object());
  CHECK(report["ok"] == true);
  CHECK(report["verifier"]["violations"].empty());
  CHECK(report["violations"].empty()); // the book and all three seat maps agree
  CHECK(report["fans"]["errors"] == 0);
  CHECK(report["fans"]["joined"] == 600);
  // Read from the three stores as one record (tests/scenarios/verify_test.cpp shows the parts).
  CHECK(report["verifier"]["seats_sold"].get<uint64_t>() >= 485);
  CHECK(report["verifier"]["tickets_valid"] == report["verifier"]["seats_sold"]);
  CHECK(report["verifier"]["admissions"].get<uint64_t>() >= report["fans"]["admitted"]);
  for (const auto* name : {"a", "b", "c"})
    CHECK(report["mode"].get<std::string>().find(std::to_string(node[name].port)) !=
          std::string::npos);
}
