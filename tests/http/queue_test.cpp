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
