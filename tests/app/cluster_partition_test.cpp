// A network partition: three members, each in its own network namespace (tests/support/netns),
// talking plain TCP over a bridge (--insecure-cluster: the partition is what is tested here;
// TLS between members has its own test, still "wip"). One member's link is taken down: what it owns
// answers 503 through the others' edges, which keep selling the rest; the link comes up again and
// the cluster serves that member's entities as before. The three data dirs, verified as one record
// (scenarios/verify), show no seat held or sold twice. Needs root (CI runs as root).

#include "messages/ec.hpp"
#include "persistence/store.hpp"
#include "scenarios/verify.hpp"
#include "tests/support/cluster_file.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/fan_flow.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/netns.hpp"
#include "tests/support/process.hpp"
#include "tests/support/server_process.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <fstream>
#include <future>
#include <map>
#include <memory>
#include <unistd.h>

using json = nlohmann::json;
using seatgrab::test::http_client;
using steady = std::chrono::steady_clock;

namespace {

const std::vector<std::string> members{"a", "b", "c"};
const std::string event = "stadium-tour";

json body(const seatgrab::test::http_response& r) {
  return json::parse(r.body(), nullptr, false);
}

} // namespace

TEST_CASE("a partitioned member: 503 for what it owns, the rest sells; healed, it serves again") {
  REQUIRE_MESSAGE(::geteuid() == 0, "network namespaces need root");
  seatgrab::test::temp_dir dir{"seatgrab-partition-"};
  auto d = dir.path();
  auto p = [&](const std::string& f) { return (d / f).string(); };
  seatgrab::test::netns_cluster net{members};
  {
    std::ofstream out{d / "cluster.toml"};
    for (const auto& m : members)
      out << seatgrab::test::cluster_member(m, net.ip(m) + ":7100", net.ip(m) + ":8100");
  }
  std::ofstream{d / "secret"} << "0123456789abcdef0123456789abcdef\n";
  std::filesystem::permissions(d / "secret", std::filesystem::perms::owner_read |
                                                 std::filesystem::perms::owner_write);
  auto launch = [&](const std::string& m) {
    return std::make_unique<seatgrab::test::server_process>(
        SEATGRAB_BIN, d / ("data-" + m), "tok",
        std::vector<std::string>{"--cluster", p("cluster.toml"), "--node", m,
                                 "--cluster-secret-file", p("secret"), "--demo", "--listen",
                                 net.ip(m) + ":8100", "--insecure-cluster"},
        std::vector<std::string>{}, net.exec_in(m));
  };
  std::map<std::string, std::future<std::unique_ptr<seatgrab::test::server_process>>> starting;
  for (const auto& m : members)
    starting[m] = std::async(std::launch::async, launch, m);
  std::map<std::string, std::unique_ptr<seatgrab::test::server_process>> node;
  std::map<std::string, std::unique_ptr<http_client>> edge;
  for (auto& [m, f] : starting) {
    node[m] = f.get();
    edge[m] = std::make_unique<http_client>(node[m]->port, node[m]->host);
  }
  // The operator's shell, from the test's namespace over the bridge.
  auto shell = [&](const std::string& via, const std::string& command) {
    return seatgrab::test::run_command(
        "timeout 30 " + std::string{SEATGRAB_BIN} + " admin --connect " + net.ip(via) +
        ":7100 --admin-token tok --as tester --json -c '" + command + "' 2>&1");
  };
  auto admin = [&](const std::string& via, const std::string& command) {
    auto r = shell(via, command);
    REQUIRE_MESSAGE(r.first == 0, command << ": " << r.second);
    auto j = json::parse(r.second, nullptr, false);
    REQUIRE_MESSAGE(!j.is_discarded(), r.second);
    return j;
  };
  auto states = [&](const std::string& via) {
    std::map<std::string, std::string> out;
    for (const auto& row : admin(via, "nodes"))
      out[row["name"].get<std::string>()] = row["state"].get<std::string>();
    return out;
  };
  auto all_up = [&](const std::string& via) {
    for (const auto& [m, state] : states(via))
      if (state != "up")
        return false;
    return true;
  };
  REQUIRE(seatgrab::test::eventually([&] { return all_up("a"); }, std::chrono::seconds{60}));
  // Up in the shell's view (the connections) a moment before every registry has met the others.
  std::string last_problem;
  INFO(last_problem);
  REQUIRE(seatgrab::test::eventually(
      [&] {
        for (const auto& m : members)
          for (const auto& cmd : {"inspect event " + event, std::string{"actors section"}})
            if (auto r = shell(m, cmd); r.first != 0) {
              last_problem = m + ": " + cmd + ": " + r.second;
              return false;
            }
        return true;
      },
      std::chrono::seconds{60}));

  // The member to cut off: not the one of the event actor (every hold passes through it), so
  // that the rest can keep selling. The fan and the edge it uses: of the other two.
  auto event_home = admin("a", "inspect event " + event)["node"].get<std::string>();
  std::string victim, via;
  for (const auto& m : members)
    if (m != event_home)
      (victim.empty() ? victim : via) = m;
  CAPTURE(victim);
  CAPTURE(via);
  std::map<std::string, std::string> section_home; // section id -> member
  auto listed = admin("a", "actors section");
  for (const auto& a : listed["actors"]) {
    auto id = a["id"].get<std::string>(); // "stadium-tour/101"
    section_home[id.substr(id.find('/') + 1)] = a["node"].get<std::string>();
  }
  std::string cut_section, live_section;
  for (const auto& [s, m] : section_home) {
    if (m == victim && cut_section.empty())
      cut_section = s;
    if (m != victim && live_section.empty())
      live_section = s;
  }
  INFO(section_home.size() << " sections listed");
  REQUIRE_FALSE(cut_section.empty());
  REQUIRE_FALSE(live_section.empty());
  // A fan whose account shard and session are not on the victim (their token is checked by
  // their shard, their holds go through their session): new fans until one is.
  seatgrab::test::admitted_fan fan;
  for (int i = 0;; ++i) {
    REQUIRE(i < 20);
    fan = seatgrab::test::admit_fan(*edge[via], *edge[via], *edge[via], *edge[via],
                                    "fan" + std::to_string(i) + "@example.com",
                                    "dev" + std::to_string(i), event);
    auto session_home = admin("a", "inspect session " + fan.account)["node"].get<std::string>();
    if (fan.account.substr(0, fan.account.find('.')) != victim && session_home != victim)
      break;
  }
  auto hold = [&](const std::string& section) {
    return edge[via]->with_token(fan.token, "POST", "/v1/events/" + event + "/holds",
                                 R"({"section":")" + section + R"(","quantity":1})",
                                 {{"X-Admission-Token", fan.admission}});
  };
  // Before the cut: a seat of the victim's section bought.
  auto before = hold(cut_section);
  REQUIRE_MESSAGE(before.result_int() == 201, before.body());
  auto bought_seat = body(before)["seats"][0]["id"].get<std::string>();
  auto paid = edge[via]->with_token(
      fan.token, "POST", "/v1/holds/" + body(before)["id"].get<std::string>() + "/checkout",
      R"({"card":"4242424242424242"})", {{"Idempotency-Key", "pay-before"}});
  REQUIRE_MESSAGE(paid.result_int() == 201, paid.body());

  // The cut: what the victim owns answers 503 with Retry-After within 5 s; the rest sells.
  net.cut(victim);
  edge[via]->set_timeout(std::chrono::seconds{10});
  auto asked = steady::now();
  auto refused = hold(cut_section);
  CHECK_MESSAGE(refused.result_int() == 503, refused.body());
  CHECK_FALSE(refused[boost::beast::http::field::retry_after].empty());
  CHECK(steady::now() - asked < std::chrono::seconds{5});
  auto sold_on = hold(live_section);
  CHECK_MESSAGE(sold_on.result_int() == 201, sold_on.body());
  // The others see the victim down (heartbeats stop: dropped after 3 s).
  CHECK(seatgrab::test::eventually([&] { return states(via)[victim] == "down"; },
                                   std::chrono::seconds{15}));
  auto still_refused = hold(cut_section);
  CHECK_MESSAGE(still_refused.result_int() == 503, still_refused.body());

  // Healed: the members find each other again, by themselves, and the victim's sections sell.
  net.heal(victim);
  CHECK(seatgrab::test::eventually([&] { return all_up(via) && all_up(victim); },
                                   std::chrono::seconds{60}));
  seatgrab::test::http_response again;
  CHECK(seatgrab::test::eventually(
      [&] {
        again = hold(cut_section);
        return again.result_int() == 201;
      },
      std::chrono::seconds{30}));
  CHECK_MESSAGE(again.result_int() == 201, again.body());

  // Every edge shows the same map, with the seat bought before the cut still sold.
  std::map<std::string, std::string> first;
  for (const auto& m : members) {
    std::map<std::string, std::string> status;
    auto map = edge[m]->request("GET", "/v1/events/" + event + "/seatmap?section=" + cut_section);
    REQUIRE_MESSAGE(map.result_int() == 200, map.body());
    auto parsed = body(map); // kept: a range over a temporary's member would dangle
    for (const auto& sec : parsed["sections"])
      for (const auto& seat : sec["seats"])
        status[seat["id"].get<std::string>()] = seat["status"].get<std::string>();
    INFO(bought_seat << " among " << status.size() << " seats");
    CHECK(status[bought_seat] == "sold");
    if (first.empty())
      first = status;
    else
      CHECK(status == first);
  }

  // Nothing held or sold twice, in the three members' journals read as one.
  std::vector<std::unique_ptr<seatgrab::persistence::store>> stores;
  std::vector<const seatgrab::persistence::store*> dbs;
  for (const auto& m : members) {
    auto db =
        seatgrab::persistence::store::open_secondary(d / ("data-" + m), d / ("secondary-" + m));
    REQUIRE_MESSAGE(db, seatgrab::render(db));
    stores.push_back(std::move(*db));
    dbs.push_back(stores.back().get());
  }
  auto v = seatgrab::scenarios::verify(dbs, {0, true, true});
  CHECK_MESSAGE(v.ok(), (v.ok() ? "" : v.violations.front()));
  CHECK(v.sold.contains(event + "|" + bought_seat));
  CHECK(v.seats_held >= 2); // the hold of the cut and the one after healing
}
