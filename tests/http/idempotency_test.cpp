// Idempotency keys and authentication (issue 13, finding 7): the caller is authenticated
// before a key is looked at, and a key belongs to the caller's account.
#include "tests/http/edge_fixture.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

using nlohmann::json;
namespace sg = seatgrab;
using sg::test::body_of;

namespace {

/// Logs `email` in again (a new session of the same account); returns the token.
std::string log_in(sg::test::http_client& c, const std::string& email) {
  auto in = c.request("POST", "/v1/sessions",
                      json{{"email", email}, {"password", "correct horse"}}.dump());
  REQUIRE_MESSAGE(in.result_int() == 201, in.body());
  return body_of(in)["token"];
}

} // namespace

TEST_CASE("a checkout replayed after logout is 401 without the tickets; a new session replays") {
  sg::test::edge_fixture edge;
  edge.add_event();
  auto c = edge.client();
  auto alice = edge.fan("alice@example.com", c);
  auto admission = edge.admitted(alice, c);
  auto held = c.with_token(alice, "POST", "/v1/events/gig/holds", json{{"seats", {"A-1-1"}}}.dump(),
                           {{"X-Admission-Token", admission}});
  REQUIRE_MESSAGE(held.result_int() == 201, held.body());
  auto target = "/v1/holds/" + body_of(held)["id"].get<std::string>() + "/checkout";
  auto card = json{{"card", "4242424242424242"}}.dump();
  std::map<std::string, std::string> key{{"Idempotency-Key", "pay-after-logout"}};
  auto paid = c.with_token(alice, "POST", target, card, key);
  REQUIRE_MESSAGE(paid.result_int() == 201, paid.body());
  auto code = body_of(paid)["tickets"][0]["code"].get<std::string>();

  REQUIRE(c.with_token(alice, "DELETE", "/v1/sessions").result_int() == 204);
  auto replay = c.with_token(alice, "POST", target, card, key);
  CHECK(replay.result_int() == 401);
  CHECK(body_of(replay)["code"] == "unauthenticated");
  CHECK(replay.body().find(code) == std::string::npos);
  CHECK(replay.body().find("tickets") == std::string::npos);
  CHECK(replay["Idempotent-Replayed"] == "");

  // The key is the account's: a new session of alice gets the stored answer.
  auto again = log_in(c, "alice@example.com");
  auto replayed = c.with_token(again, "POST", target, card, key);
  CHECK(replayed.result_int() == 201);
  CHECK(replayed["Idempotent-Replayed"] == "true");
  CHECK(replayed.body() == paid.body());
}

TEST_CASE("an unauthenticated request with a key is 401 and leaves no record") {
  sg::test::edge_fixture edge;
  edge.add_event();
  auto c = edge.client();
  std::map<std::string, std::string> key{{"Idempotency-Key", "anon-1"}};
  auto join = json{{"device", "phone-1"}}.dump();
  auto anon = c.request("POST", "/v1/events/gig/queue", join, key);
  CHECK(anon.result_int() == 401);
  CHECK(body_of(anon)["code"] == "unauthenticated");
  auto without_key = c.request("POST", "/v1/events/gig/queue", join);
  CHECK(anon.body() == without_key.body());
  // No record: the same key again is not a replay, nor a reuse with another body.
  auto anon_again = c.request("POST", "/v1/events/gig/queue", join, key);
  CHECK(anon_again.result_int() == 401);
  CHECK(anon_again["Idempotent-Replayed"] == "");
  auto other_body =
      c.request("POST", "/v1/events/gig/queue", json{{"device", "phone-2"}}.dump(), key);
  CHECK(other_body.result_int() == 401);
  CHECK(body_of(other_body)["code"] == "unauthenticated");
  // A bad token is the same 401.
  auto bad = c.with_token("not-a-token", "POST", "/v1/events/gig/queue", join, key);
  CHECK(bad.result_int() == 401);
  // And the key used afterwards by a real caller is a fresh request.
  auto fan = edge.fan("fan@example.com", c);
  auto joined = c.with_token(fan, "POST", "/v1/events/gig/queue", join, key);
  CHECK_MESSAGE(joined.result_int() == 201, joined.body());
  CHECK(joined["Idempotent-Replayed"] == "");
  CHECK(body_of(joined).contains("ticket"));
}

TEST_CASE("the same key from another account is not that account's answer") {
  sg::test::edge_fixture edge;
  edge.add_event();
  auto c = edge.client();
  auto alice = edge.fan("alice@example.com", c);
  auto bob = edge.fan("bob@example.com", c);
  std::map<std::string, std::string> key{{"Idempotency-Key", "join-1"}};
  auto join = json{{"device", "alice-phone"}}.dump();
  auto first = c.with_token(alice, "POST", "/v1/events/gig/queue", join, key);
  REQUIRE_MESSAGE(first.result_int() == 201, first.body());
  // Bob's identical request runs as his own: it is not given alice's ticket.
  auto theirs = c.with_token(bob, "POST", "/v1/events/gig/queue", join, key);
  CHECK(theirs.result_int() != 201);
  CHECK(theirs["Idempotent-Replayed"] == "");
  CHECK(theirs.body() != first.body());
  CHECK_FALSE(body_of(theirs).contains("ticket"));
  // Alice's replay still gets her answer.
  auto replay = c.with_token(alice, "POST", "/v1/events/gig/queue", join, key);
  CHECK(replay["Idempotent-Replayed"] == "true");
  CHECK(replay.body() == first.body());
}
