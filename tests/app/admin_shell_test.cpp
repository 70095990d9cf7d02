// `seatgrab admin` against three member processes (DESIGN §9): `nodes` shows a killed member
// down within 5 s; `inspect` of a section on another member agrees with the seat map of every
// edge; `queue pause` stops admissions; a wrong token is refused; `audit` lists what was done,
// from every member.

#include "tests/support/cluster_processes.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/fan_flow.hpp"
#include "tests/support/http_client.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <chrono>

using json = nlohmann::json;
using seatgrab::test::http_client;

namespace {

/// Member `name`'s row of `nodes`.
json node_row(const json& nodes, const std::string& name) {
  for (const auto& r : nodes)
    if (r["name"] == name)
      return r;
  FAIL("no member " << name);
  return {};
}

/// How many seats of `section` the seat map of edge `edge` shows in `status`.
int seats_in(http_client& edge, const std::string& section, const std::string& status) {
  auto r = edge.request("GET", "/v1/events/stadium-tour/seatmap?section=" + section);
  REQUIRE_MESSAGE(r.result_int() == 200, r.body());
  int n = 0;
  auto map = json::parse(r.body());
  for (const auto& s : map["sections"][0]["seats"])
    n += s["status"] == status ? 1 : 0;
  return n;
}

} // namespace

TEST_CASE("the admin shell inspects and steers a cluster of three members") {
  seatgrab::test::cluster_processes cluster{{"a", "b", "c"}};
  http_client a{cluster["a"].port}, b{cluster["b"].port}, c{cluster["c"].port};

  // Every member is up, seen from any of them.
  REQUIRE(seatgrab::test::eventually([&] {
    auto nodes = cluster.admin_json("a", "nodes");
    for (const char* n : {"a", "b", "c"})
      if (node_row(nodes, n)["state"] != "up" || node_row(nodes, n)["actors"] < 0)
        return false;
    return true;
  }));

  // A section that lives on b, inspected through a, agrees with every edge's seat map, before
  // and after a fan holds two of its seats.
  auto on_b = cluster.admin_json("a", "actors section --node b")["actors"];
  REQUIRE_FALSE(on_b.empty());
  auto entity = on_b[0]["id"].get<std::string>(); // "stadium-tour/<section>"
  auto section = entity.substr(entity.find('/') + 1);
  auto fan = seatgrab::test::admit_fan(a, b, c, a, "fan@example.com", "laptop", "stadium-tour");
  auto held = c.with_token(fan.token, "POST", "/v1/events/stadium-tour/holds",
                           R"({"section":")" + section + R"(","quantity":2})",
                           {{"X-Admission-Token", fan.admission}});
  REQUIRE_MESSAGE(held.result_int() == 201, held.body());
  auto inspected = cluster.admin_json("a", "inspect section " + entity);
  CHECK(inspected["node"] == "b");
  CHECK(inspected["counters"]["held"] == 2);
  for (auto* edge : {&a, &b, &c})
    CHECK(seatgrab::test::eventually([&] {
      return seats_in(*edge, section, "held") == 2 &&
             seats_in(*edge, section, "free") == inspected["counters"]["free"];
    }));

  // The queue (on c) paused through b: a fan who joins now is not admitted until it resumes.
  auto paused = cluster.admin_json("b", "queue stadium-tour pause");
  CHECK(paused["outcome"] == "queue stadium-tour paused");
  CHECK(cluster.admin_json("a", "inspect queue stadium-tour")["counters"]["paused"] == 1);
  auto creds = R"({"email":"late@example.com","password":"correct horse"})";
  REQUIRE(a.request("POST", "/v1/accounts", creds).result_int() == 201);
  auto login = a.request("POST", "/v1/sessions", creds);
  REQUIRE(login.result_int() == 201);
  auto late = json::parse(login.body())["token"].get<std::string>();
  auto joined = b.with_token(late, "POST", "/v1/events/stadium-tour/queue", R"({"device":"pc"})");
  REQUIRE_MESSAGE(joined.result_int() == 201, joined.body());
  auto ticket = std::to_string(json::parse(joined.body())["ticket"].get<uint64_t>());
  auto admitted = [&] {
    auto polled = a.with_token(late, "GET", "/v1/events/stadium-tour/queue/" + ticket);
    return json::parse(polled.body()).value("state", "") == "admitted";
  };
  // The pacer runs every second: three rounds go by without an admission.
  CHECK_FALSE(seatgrab::test::eventually(admitted, std::chrono::seconds{3}));
  cluster.admin_json("c", "queue stadium-tour resume");
  CHECK(seatgrab::test::eventually(admitted));

  // A wrong token is refused, changes nothing, and is logged.
  auto refused = cluster.admin("a", "queue stadium-tour pause", "not-the-token");
  CHECK(refused.first == 1);
  CHECK(refused.second.find("unauthenticated") != std::string::npos);
  CHECK(cluster.admin_json("c", "inspect queue stadium-tour")["counters"]["paused"] == 0);

  // The audit log of every member, by time, through any of them.
  auto log = cluster.admin_json("c", "audit")["entries"];
  REQUIRE(log.size() == 3);
  CHECK(log[0]["node"] == "b");
  CHECK(log[0]["command"] == "queue stadium-tour pause");
  CHECK(log[0]["who"] == "tester");
  CHECK(log[0]["ok"] == true);
  CHECK(log[1]["node"] == "c");
  CHECK(log[1]["command"] == "queue stadium-tour resume");
  CHECK(log[2]["node"] == "a");
  CHECK(log[2]["ok"] == false);
  CHECK(log[2]["outcome"] == "refused: wrong admin token");

  // Each member's /metrics: its peers, and the calls its edge made to other members.
  auto metrics = a.request("GET", "/metrics").body();
  CHECK(metrics.find("seatgrab_cluster_peer_up{peer=\"b\"} 1") != std::string::npos);
  CHECK(metrics.find("seatgrab_cluster_peer_up{peer=\"c\"} 1") != std::string::npos);
  CHECK(metrics.find("seatgrab_cluster_peer_rtt_seconds{peer=\"b\"}") != std::string::npos);
  CHECK(metrics.find("seatgrab_actor_calls_total{where=\"remote\"} 0") == std::string::npos);

  // kill -9 of b: `nodes` through a shows it down within 5 s; the others stay up.
  cluster["b"].kill9();
  auto killed = std::chrono::steady_clock::now();
  CHECK(seatgrab::test::eventually(
      [&] { return node_row(cluster.admin_json("a", "nodes"), "b")["state"] == "down"; },
      std::chrono::seconds{5}));
  CHECK(std::chrono::steady_clock::now() - killed < std::chrono::seconds{5});
  auto nodes = cluster.admin_json("a", "nodes");
  CHECK(node_row(nodes, "c")["state"] == "up");
  // What b hosted is unavailable; `actors` says b did not answer.
  CHECK(cluster.admin_json("a", "actors event")["unreachable"] == json::array({"b"}));
  auto gone = cluster.admin("a", "inspect section " + entity);
  CHECK(gone.first == 1);
  CHECK(gone.second.find("unavailable") != std::string::npos);
  CHECK(a.request("GET", "/metrics").body().find("seatgrab_cluster_peer_up{peer=\"b\"} 0") !=
        std::string::npos);
}
