// Broken object-level authorization over HTTP: another fan cannot release or check out
// someone else's hold, read or use someone else's queue ticket, or use someone else's
// admission token. Each attempt answers its problem and changes nothing: the state is read back
// after every one.
#include "tests/http/edge_fixture.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

using nlohmann::json;
namespace sg = seatgrab;
using sg::test::body_of;

namespace {

/// Alice holds two seats of "gig"; bob is admitted to "gig" on his own device.
struct two_fans {
  sg::test::edge_fixture edge;
  sg::test::http_client c = edge.client();
  std::string alice, bob;
  uint64_t alice_ticket = 0, bob_ticket = 0;
  std::string alice_admission, bob_admission;
  std::string hold_id;

  two_fans() {
    edge.add_event();
    alice = edge.fan("alice@example.com", c);
    bob = edge.fan("bob@example.com", c);
    alice_admission = edge.admitted(alice, c, "gig", "alice-phone");
    bob_admission = edge.admitted(bob, c, "gig", "bob-phone");
    alice_ticket = ticket_of(alice, "alice-phone");
    bob_ticket = ticket_of(bob, "bob-phone");
    auto held = c.with_token(alice, "POST", "/v1/events/gig/holds",
                             json{{"seats", {"A-1-1", "A-1-2"}}}.dump(),
                             {{"X-Admission-Token", alice_admission}});
    REQUIRE_MESSAGE(held.result_int() == 201, held.body());
    hold_id = body_of(held)["id"];
  }

  /// The fan's queue ticket (joining again with the same device answers the same place).
  uint64_t ticket_of(const std::string& token, const std::string& device) {
    auto res = c.with_token(token, "POST", "/v1/events/gig/queue", json{{"device", device}}.dump());
    REQUIRE_MESSAGE(res.result_int() == 201, res.body());
    return body_of(res)["ticket"];
  }

  /// What an attempt must not change: the seats and queue as the actors count them, each
  /// fan's tickets, and alice's place in the queue.
  json state() {
    json s;
    auto metrics = c.request("GET", "/metrics");
    REQUIRE(metrics.result_int() == 200);
    std::istringstream lines{metrics.body()};
    std::string line;
    std::vector<std::string> kept;
    while (std::getline(lines, line))
      for (const auto* name :
           {"seatgrab_holds_total", "seatgrab_sales_total", "seatgrab_seats{",
            "seatgrab_queue_waiting", "seatgrab_queue_active", "seatgrab_queue_admitted_total"})
        if (line.starts_with(name))
          kept.push_back(line);
    // The actors' parts arrive in any order: compare the lines as a set.
    std::sort(kept.begin(), kept.end());
    s["metrics"] = kept;
    s["alice_tickets"] = body_of(c.with_token(alice, "GET", "/v1/tickets"));
    s["bob_tickets"] = body_of(c.with_token(bob, "GET", "/v1/tickets"));
    auto place =
        body_of(c.with_token(alice, "GET", "/v1/events/gig/queue/" + std::to_string(alice_ticket)));
    place.erase("eta_s");
    s["alice_place"] = place;
    return s;
  }

  /// Checks that `res` is the problem `status`/`code`.
  static void expect(const sg::test::http_response& res, unsigned status, const std::string& code) {
    CHECK_MESSAGE(res.result_int() == status, res.body());
    CHECK(res[boost::beast::http::field::content_type] == "application/problem+json");
    CHECK(body_of(res)["code"] == code);
  }

  /// Alice can still buy her hold: it was never touched.
  void alice_buys() {
    auto paid = c.with_token(alice, "POST", "/v1/holds/" + hold_id + "/checkout",
                             json{{"card", "4242424242424242"}}.dump());
    REQUIRE_MESSAGE(paid.result_int() == 201, paid.body());
    CHECK(body_of(paid)["tickets"].size() == 2);
  }
};

} // namespace

TEST_CASE("another fan cannot release someone else's hold") {
  two_fans f;
  auto before = f.state();
  CHECK(before["metrics"].dump().find("status=\\\"held\\\"} 2") != std::string::npos);
  auto target = "/v1/holds/" + f.hold_id;
  f.expect(f.c.with_token(f.bob, "DELETE", target), 404, "hold_not_found");
  CHECK(f.state() == before);
  // Not with an operator's token either: operators own no holds.
  f.expect(f.c.with_token(sg::test::admin_token, "DELETE", target), 404, "hold_not_found");
  CHECK(f.state() == before);
  // Nor without a session.
  f.expect(f.c.request("DELETE", target), 401, "unauthenticated");
  CHECK(f.state() == before);
  f.alice_buys();
}

TEST_CASE("another fan cannot check out someone else's hold") {
  two_fans f;
  auto before = f.state();
  auto target = "/v1/holds/" + f.hold_id + "/checkout";
  auto card = json{{"card", "4242424242424242"}}.dump();
  f.expect(f.c.with_token(f.bob, "POST", target, card), 404, "hold_not_found");
  CHECK(f.state() == before);
  // With an Idempotency-Key, and with the key alice will use: still not bob's to buy.
  f.expect(f.c.with_token(f.bob, "POST", target, card, {{"Idempotency-Key", "pay-1"}}), 404,
           "hold_not_found");
  CHECK(f.state() == before);
  // Bob retrying does not turn his failure into alice's order, and alice's key is hers.
  auto paid = f.c.with_token(f.alice, "POST", target, card, {{"Idempotency-Key", "pay-1"}});
  REQUIRE_MESSAGE(paid.result_int() == 201, paid.body());
  CHECK(paid["Idempotent-Replayed"] == "");
  auto order = body_of(paid)["order_id"].get<std::string>();
  f.expect(f.c.with_token(f.bob, "POST", target, card, {{"Idempotency-Key", "pay-1"}}), 404,
           "hold_not_found");
  CHECK(f.c.with_token(f.bob, "GET", "/v1/orders/" + order).result_int() == 404);
  CHECK(body_of(f.c.with_token(f.bob, "GET", "/v1/tickets"))["tickets"].empty());
  CHECK(body_of(f.c.with_token(f.alice, "GET", "/v1/tickets"))["tickets"].size() == 2);
}

TEST_CASE("another fan cannot read or follow someone else's queue ticket") {
  two_fans f;
  auto before = f.state();
  auto place = "/v1/events/gig/queue/" + std::to_string(f.alice_ticket);
  // Bob has a place of his own; alice's is not his to see.
  auto read = f.c.with_token(f.bob, "GET", place);
  f.expect(read, 404, "unknown_ticket");
  CHECK(read.body().find(f.alice_admission) == std::string::npos);
  auto stream =
      f.c.read_events(place + "/stream", 1, {{"Authorization", "Bearer " + f.bob}},
                      std::chrono::seconds{2}); // a 404 has no frames: read until the deadline
  CHECK(stream.starts_with("HTTP/1.1 404"));
  CHECK(stream.find("unknown_ticket") != std::string::npos);
  CHECK(stream.find(f.alice_admission) == std::string::npos);
  // A fan with no place at all learns nothing either.
  auto carol = f.edge.fan("carol@example.com", f.c);
  f.expect(f.c.with_token(carol, "GET", place), 404, "unknown_ticket");
  // Nor does anyone without a session.
  f.expect(f.c.request("GET", place), 401, "unauthenticated");
  CHECK(f.state() == before);
  // Bob's own ticket is still his, and only his.
  CHECK(f.c.with_token(f.bob, "GET", "/v1/events/gig/queue/" + std::to_string(f.bob_ticket))
            .result_int() == 200);
  f.expect(f.c.with_token(f.alice, "GET", "/v1/events/gig/queue/" + std::to_string(f.bob_ticket)),
           404, "unknown_ticket");
  f.alice_buys();
}

TEST_CASE("another fan cannot hold seats with someone else's admission token") {
  two_fans f;
  auto before = f.state();
  auto hold_with = [&](const std::string& token, const std::string& admission,
                       const std::string& event = "gig") {
    return f.c.with_token(token, "POST", "/v1/events/" + event + "/holds",
                          json{{"seats", {"B-1-1"}}}.dump(), {{"X-Admission-Token", admission}});
  };
  // Bob, admitted himself, presents alice's token.
  auto stolen = hold_with(f.bob, f.alice_admission);
  f.expect(stolen, 403, "admission_mismatch");
  CHECK(f.state() == before);
  // Carol, with no place in the queue, presents it.
  auto carol = f.edge.fan("carol@example.com", f.c);
  f.expect(hold_with(carol, f.alice_admission), 403, "admission_invalid");
  CHECK(f.state() == before);
  // Carol joins the queue (not admitted yet or admitted: her token is not alice's).
  auto carol_admission = f.edge.admitted(carol, f.c, "gig", "carol-phone");
  before = f.state();
  f.expect(hold_with(carol, f.alice_admission), 403, "admission_mismatch");
  CHECK(f.state() == before);
  // Alice's token for "gig" is not good for another event, even for alice.
  f.edge.add_event("encore");
  auto encore = f.edge.admitted(f.alice, f.c, "encore", "alice-phone");
  before = f.state();
  f.expect(hold_with(f.alice, f.alice_admission, "encore"), 403, "admission_mismatch");
  CHECK(f.state() == before);
  // Every token still works for its own holder.
  CHECK(hold_with(carol, carol_admission).result_int() == 201);
  CHECK(hold_with(f.alice, encore, "encore").result_int() == 201);
  f.alice_buys();
}
