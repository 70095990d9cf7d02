// The waiting room over HTTP: one place and one admission per account (issue 13, finding 1).
#include "tests/http/edge_fixture.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

using nlohmann::json;
namespace sg = seatgrab;
using sg::test::body_of;

TEST_CASE("a device holding a place refuses a second account, which gets no admission") {
  sg::test::edge_fixture edge;
  edge.add_event();
  auto c = edge.client();
  auto alice = edge.fan("alice@example.com", c);
  auto bob = edge.fan("bob@example.com", c);
  auto admission = edge.admitted(alice, c, "gig", "alice-phone");
  auto mine = body_of(
      c.with_token(alice, "POST", "/v1/events/gig/queue", json{{"device", "alice-phone"}}.dump()));
  auto ticket = mine["ticket"].get<uint64_t>();
  auto place = "/v1/events/gig/queue/" + std::to_string(ticket);
  auto before = body_of(c.with_token(alice, "GET", place));
  CHECK(before["state"] == "admitted");

  // Bob sends alice's device string: refused, no ticket, no admission token.
  auto taken =
      c.with_token(bob, "POST", "/v1/events/gig/queue", json{{"device", "alice-phone"}}.dump());
  CHECK(taken.result_int() == 409);
  CHECK(taken[boost::beast::http::field::content_type] == "application/problem+json");
  auto problem = body_of(taken);
  CHECK(problem["code"] == "device_in_use");
  CHECK_FALSE(problem.contains("ticket"));
  CHECK_FALSE(problem.contains("admission_token"));
  CHECK(taken.body().find(admission) == std::string::npos);
  // Bob has no place, and alice's place is unchanged.
  CHECK(c.with_token(bob, "GET", place).result_int() == 404);
  auto after = body_of(c.with_token(alice, "GET", place));
  CHECK(after["ticket"] == ticket);
  CHECK(after["state"] == "admitted");
  CHECK(after["admission_expires_at"] == before["admission_expires_at"]);

  // Bob on his own device gets a place of his own.
  auto own =
      c.with_token(bob, "POST", "/v1/events/gig/queue", json{{"device", "bob-phone"}}.dump());
  REQUIRE_MESSAGE(own.result_int() == 201, own.body());
  CHECK(body_of(own)["ticket"] != ticket);
}

TEST_CASE("a waiting fan's poll is answered from the room's board, an admitted fan's by the room") {
  sg::test::edge_fixture edge;
  edge.add_event("later", json{{"opens_at", "2099-01-01T00:00:00Z"}});
  edge.add_event();
  auto c = edge.client();
  auto alice = edge.fan("alice@example.com", c);
  auto bob = edge.fan("bob@example.com", c);
  auto polls = [&c](const std::string& by) {
    auto text = c.request("GET", "/metrics").body();
    auto key = "seatgrab_queue_polls_total{answered_by=\"" + by + "\"} ";
    auto at = text.find(key);
    REQUIRE_MESSAGE(at != std::string::npos, key);
    return std::stoull(text.substr(at + key.size()));
  };
  auto joined =
      c.with_token(alice, "POST", "/v1/events/later/queue", json{{"device", "alice-phone"}}.dump());
  REQUIRE(joined.result_int() == 201);
  auto place = "/v1/events/later/queue/" + std::to_string(body_of(joined)["ticket"].get<int>());
  auto waiting = body_of(c.with_token(alice, "GET", place));
  CHECK(waiting["state"] == "waiting");
  CHECK(waiting["position"] == 0);
  CHECK(waiting["eta_s"].get<uint64_t>() > 1'000'000); // until 2099
  CHECK(polls("board") == 1);
  CHECK(polls("room") == 0);
  // Someone else's ticket: refused from the board, as the room would.
  auto theirs = c.with_token(bob, "GET", place);
  CHECK(theirs.result_int() == 404);
  CHECK(body_of(theirs)["code"] == "unknown_ticket");
  CHECK(polls("board") == 2);
  // An admission comes with a token that only the room issues.
  edge.admitted(alice, c, "gig", "alice-phone");
  auto board_before = polls("board");
  auto room_before = polls("room");
  auto mine = body_of(
      c.with_token(alice, "POST", "/v1/events/gig/queue", json{{"device", "alice-phone"}}.dump()));
  auto admitted = body_of(c.with_token(
      alice, "GET", "/v1/events/gig/queue/" + std::to_string(mine["ticket"].get<int>())));
  CHECK(admitted["state"] == "admitted");
  CHECK_FALSE(admitted["admission_token"].get<std::string>().empty());
  CHECK(polls("board") == board_before);
  CHECK(polls("room") == room_before + 1);
}

TEST_CASE("an operator closes a sale over HTTP: the event says closed, joins and holds are 409") {
  sg::test::edge_fixture edge;
  edge.add_event("later", json{{"opens_at", "2099-01-01T00:00:00Z"}});
  edge.add_event();
  auto c = edge.client();
  auto alice = edge.fan("alice@example.com", c);
  auto bob = edge.fan("bob@example.com", c);
  auto admission = edge.admitted(alice, c, "gig", "alice-phone");
  auto waiting =
      c.with_token(bob, "POST", "/v1/events/later/queue", json{{"device", "bob-phone"}}.dump());
  REQUIRE(waiting.result_int() == 201);
  auto place = "/v1/events/later/queue/" + std::to_string(body_of(waiting)["ticket"].get<int>());

  // Only an operator closes.
  auto by_fan = c.with_token(alice, "POST", "/v1/admin/events/gig/close");
  CHECK(by_fan.result_int() == 403);
  CHECK(body_of(c.request("GET", "/v1/events/gig"))["state"] == "on_sale");

  for (const auto* ev : {"gig", "later"}) {
    auto closed = c.with_token(sg::test::admin_token, "POST",
                               std::string{"/v1/admin/events/"} + ev + "/close");
    CHECK_MESSAGE(closed.result_int() == 204, closed.body());
    CHECK(body_of(c.request("GET", std::string{"/v1/events/"} + ev))["state"] == "closed");
  }
  // Again: still 204 (an operator's retry), and an unknown event is 404.
  CHECK(c.with_token(sg::test::admin_token, "POST", "/v1/admin/events/gig/close").result_int() ==
        204);
  CHECK(c.with_token(sg::test::admin_token, "POST", "/v1/admin/events/nope/close").result_int() ==
        404);

  // The waiting fan is told; an admitted fan's hold and a new fan's join are refused.
  CHECK(body_of(c.with_token(bob, "GET", place))["state"] == "closed");
  auto hold = c.with_token(alice, "POST", "/v1/events/gig/holds", json{{"seats", {"A-1-1"}}}.dump(),
                           {{"X-Admission-Token", admission}});
  CHECK(hold.result_int() == 409);
  CHECK(body_of(hold)["code"] == "sale_not_open");
  auto join =
      c.with_token(bob, "POST", "/v1/events/gig/queue", json{{"device", "bob-phone-2"}}.dump());
  CHECK(join.result_int() == 409);
  CHECK(body_of(join)["code"] == "sale_not_open");
  auto map = body_of(c.request("GET", "/v1/events/gig/seatmap"));
  CHECK(map["sections"][0]["seats"][0]["status"] == "free");
}
