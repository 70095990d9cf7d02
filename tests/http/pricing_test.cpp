// Dynamic pricing over HTTP: the policy published before the sale, a hold that keeps its price
// across a reprice, a checkout after a drop charged the lower price, a fan admitted before a
// rise paying the admitted price, and a freeze that stops the rule.
#include "tests/http/edge_fixture.hpp"
#include "tests/support/eventually.hpp"

#include <doctest/doctest.h>

using json = nlohmann::json;
using seatgrab::test::admin_token;
using seatgrab::test::body_of;
namespace sg = seatgrab;

namespace {

const std::string pricing_path = "/v1/admin/events/priced/pricing";

json prices(sg::test::http_client& c) {
  auto res = c.request("GET", "/v1/events/priced/prices");
  REQUIRE_MESSAGE(res.result_int() == 200, res.body());
  return body_of(res);
}

json set_level(sg::test::http_client& c, int level) {
  auto res = c.with_token(admin_token, "POST", pricing_path + "/level",
                          json{{"section", "A"}, {"level", level}}.dump());
  REQUIRE_MESSAGE(res.result_int() == 200, res.body());
  return body_of(res);
}

int64_t free_price(sg::test::http_client& c, const std::string& seat) {
  auto map = body_of(c.request("GET", "/v1/events/priced/seatmap?section=A"));
  for (const auto& s : map["sections"][0]["seats"])
    if (s["id"] == seat)
      return s["price"].get<int64_t>();
  FAIL("no seat " << seat);
  return -1;
}

json hold(sg::test::http_client& c, const std::string& fan, const std::string& admission,
          const std::string& seat) {
  auto res = c.with_token(fan, "POST", "/v1/events/priced/holds", json{{"seats", {seat}}}.dump(),
                          {{"X-Admission-Token", admission}});
  REQUIRE_MESSAGE(res.result_int() == 201, res.body());
  return body_of(res);
}

json pay(sg::test::http_client& c, const std::string& fan, const json& held,
         const std::string& key) {
  auto res = c.with_token(fan, "POST", "/v1/holds/" + held["id"].get<std::string>() + "/checkout",
                          json{{"card", "4242424242424242"}}.dump(), {{"Idempotency-Key", key}});
  REQUIRE_MESSAGE(res.result_int() == 201, res.body());
  return body_of(res);
}

} // namespace

TEST_CASE("pricing over HTTP: published before the sale, locked holds, lower charges, freeze") {
  sg::test::edge_fixture edge;
  // On sale only when an operator opens it: the policy is published first.
  edge.add_event("priced", {{"opens_at", "2099-01-01T00:00:00Z"}});
  auto c = edge.client();
  auto fan = edge.fan("fan@example.com", c);

  // Before a policy: every section at its tier price, not dynamic.
  auto before = prices(c);
  CHECK(before["dynamic"] == false);
  CHECK(before["sections"][0]["ladder"] == json::array({1000}));

  // Bad policies name the field; a fan may not publish one.
  auto bad = c.with_token(admin_token, "PUT", pricing_path,
                          json{{"ladders", {{"front", {1000, 900}}}}}.dump());
  CHECK(bad.result_int() == 400);
  CHECK(body_of(bad)["code"] == "invalid_input");
  CHECK(body_of(bad)["detail"].get<std::string>().find("ladders.front[1]") != std::string::npos);
  auto wide = c.with_token(admin_token, "PUT", pricing_path,
                           json{{"ladders", {{"front", {1000, 2500}}}}}.dump());
  CHECK(wide.result_int() == 400);
  auto typo = c.with_token(admin_token, "PUT", pricing_path,
                           json{{"ladders", {{"front", {1000, "1200"}}}}}.dump());
  CHECK(typo.result_int() == 400);
  CHECK(body_of(typo)["field"] == "ladders.front[1]");
  CHECK(c.with_token(fan, "PUT", pricing_path, json{{"ladders", {{"front", {1000}}}}}.dump())
            .result_int() == 403);
  CHECK(prices(c)["dynamic"] == false); // nothing changed

  // Published: section A at the top of 1000..1500, and the rule drops a level after every
  // tick without demand (down_ticks 1) unless frozen.
  json policy{{"interval_s", 5},
              {"ladders", {{"front", {1000, 1200, 1500}}}},
              {"start_levels", {{"front", 2}}},
              {"down_ticks", 1}};
  auto put = c.with_token(admin_token, "PUT", pricing_path, policy.dump());
  REQUIRE_MESSAGE(put.result_int() == 200, put.body());
  auto p = body_of(put);
  CHECK(p["dynamic"] == true);
  CHECK(p["interval_s"] == 5);
  CHECK(p["sections"][0]["price"] == 1500);
  CHECK(p["sections"][1]["ladder"] == json::array({500}));
  REQUIRE(body_of(c.with_token(admin_token, "POST", pricing_path + "/freeze"))["frozen"] == true);
  CHECK(sg::test::eventually([&] { return free_price(c, "A-1-1") == 1500; }));
  auto detail = body_of(c.request("GET", "/v1/events/priced"));
  CHECK(detail["prices"] == "/v1/events/priced/prices");
  CHECK(detail["price_range"] == json{{"min", 500}, {"max", 1500}});
  CHECK(detail["pricing"]["ladders"]["A"] == json::array({1000, 1200, 1500}));
  CHECK(detail["pricing"]["ladders"]["B"] == json::array({500}));

  // The sale opens; the ladders stand from now on.
  REQUIRE(c.with_token(admin_token, "POST", "/v1/admin/events/priced/open").result_int() == 204);
  auto late = c.with_token(admin_token, "PUT", pricing_path, policy.dump());
  CHECK(late.result_int() == 409);
  CHECK(body_of(late)["code"] == "pricing_locked");

  // Guarantee 1: a hold keeps its price across a reprice, and a checkout after a drop is
  // charged the lower price.
  auto admission = edge.admitted(fan, c, "priced", "dev-fan");
  auto held = hold(c, fan, admission, "A-1-1");
  CHECK(held["total"] == 1500);
  auto dropped = set_level(c, 0);
  CHECK(dropped["sections"][0]["price"] == 1000);
  CHECK(dropped["sections"][0]["history"].back()["by"] == "operator");
  CHECK(free_price(c, "A-1-2") == 1000);
  auto map = body_of(c.request("GET", "/v1/events/priced/seatmap?section=A"));
  CHECK(map["sections"][0]["seats"][0]["status"] == "held");
  CHECK(map["sections"][0]["seats"][0]["price"] == 1500); // locked
  CHECK(map["price_version"].get<uint64_t>() >= 2);
  auto order = pay(c, fan, held, "pay-1");
  CHECK(order["total"] == 1000);
  CHECK(order["locked_total"] == 1500);
  CHECK(order["seats"] == json::array({json{{"id", "A-1-1"}, {"price", 1000}}}));
  CHECK(order["tickets"][0]["price"] == 1000);

  // Guarantee 2: a fan admitted at 1000 pays 1000 after the price rose to 1500.
  auto second = edge.fan("second@example.com", c);
  auto admitted_low = edge.admitted(second, c, "priced", "dev-second");
  auto status = body_of(c.with_token(second, "GET", "/v1/events/priced/queue/2"));
  CHECK(status["state"] == "admitted");
  CHECK(status["price_range"] == json{{"min", 500}, {"max", 1000}});
  auto seen = body_of(c.request("GET", "/v1/events/priced/seatmap"))["version"].get<uint64_t>();
  auto raised = set_level(c, 2);
  CHECK(raised["sections"][0]["price"] == 1500);
  // The seat-map stream pushes the change: resumed at the version seen, its next frame is a
  // delta of section A's free seats at the new price.
  auto frames = c.read_events("/v1/events/priced/seatmap/stream", 2,
                              {{"Last-Event-ID", std::to_string(seen)}}, std::chrono::seconds{5});
  REQUIRE(frames.find("event: delta") != std::string::npos);
  auto data = frames.substr(frames.find("data: ") + 6);
  auto delta = json::parse(data.substr(0, data.find('\n')));
  CHECK(delta["price_version"].get<uint64_t>() == raised["price_version"].get<uint64_t>());
  REQUIRE(delta["seats"].size() >= 9); // 12 seats, the sold and held ones keep their price
  for (const auto& s : delta["seats"]) {
    CHECK(s["section"] == "A");
    CHECK(s["status"] == "free");
    CHECK(s["price"] == 1500);
  }
  CHECK(free_price(c, "A-1-3") == 1500); // what a fan admitted now is shown
  auto capped = hold(c, second, admitted_low, "A-1-3");
  CHECK(capped["total"] == 1000);
  auto second_order = pay(c, second, capped, "pay-2");
  CHECK(second_order["total"] == 1000);

  // Guarantee 3: a transfer carries the price paid (1000), not the price now (1500).
  auto ticket = order["tickets"][0]["id"].get<std::string>();
  auto given = c.with_token(fan, "POST", "/v1/tickets/" + ticket + "/transfer",
                            json{{"to", "second@example.com"}}.dump());
  REQUIRE_MESSAGE(given.result_int() == 200, given.body());
  auto theirs = body_of(c.with_token(second, "GET", "/v1/tickets"))["tickets"];
  auto received = std::find_if(theirs.begin(), theirs.end(),
                               [](const json& t) { return t["seat"] == "A-1-1"; });
  REQUIRE(received != theirs.end());
  CHECK((*received)["price"] == 1000);

  // Freeze stops the rule: ticks go on, the level stays at the top.
  auto ticks = prices(c)["ticks"].get<uint64_t>();
  CHECK(sg::test::eventually([&] { return prices(c)["ticks"].get<uint64_t>() >= ticks + 2; },
                             std::chrono::seconds{30}));
  CHECK(prices(c)["sections"][0]["level"] == 2);
  // Unfrozen, the next tick without demand drops a level.
  auto thawed = c.with_token(admin_token, "POST", pricing_path + "/unfreeze");
  REQUIRE(thawed.result_int() == 200);
  CHECK(body_of(thawed)["frozen"] == false);
  CHECK(sg::test::eventually([&] { return prices(c)["sections"][0]["level"] == 1; },
                             std::chrono::seconds{30}));
  auto history = prices(c)["sections"][0]["history"];
  CHECK(history.back()["by"] == "rule");
  CHECK(history.back()["price"] == 1200);
  // Operators watch it in the metrics: level and price per section, changes, freezes.
  REQUIRE(c.with_token(admin_token, "POST", pricing_path + "/freeze", json{{"section", "B"}}.dump())
              .result_int() == 200);
  auto metrics = c.request("GET", "/metrics").body();
  auto level_now = prices(c)["sections"][0]["level"].get<int>();
  CHECK(metrics.find("seatgrab_price_level{event=\"priced\",section=\"A\"} " +
                     std::to_string(level_now) + "\n") != std::string::npos);
  CHECK(metrics.find("seatgrab_price{event=\"priced\",section=\"B\"} 500\n") != std::string::npos);
  CHECK(metrics.find("seatgrab_pricing_frozen{event=\"priced\"} 0\n") != std::string::npos);
  CHECK(metrics.find("seatgrab_price_frozen_sections{event=\"priced\"} 1\n") != std::string::npos);
  CHECK(metrics.find("seatgrab_price_version{event=\"priced\"} ") != std::string::npos);
  // An unknown section is 404, a level off the ladder 400.
  CHECK(c.with_token(admin_token, "POST", pricing_path + "/freeze", json{{"section", "Z"}}.dump())
            .result_int() == 404);
  CHECK(c.with_token(admin_token, "POST", pricing_path + "/level",
                     json{{"section", "A"}, {"level", 3}}.dump())
            .result_int() == 400);
}
