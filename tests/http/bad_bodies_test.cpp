// Bad bodies for checkout, transfer and the gate scan: malformed JSON, wrong types, missing
// fields, oversized and unknown values each get a precise 400 (415 for another media type)
// as problem+json naming the field, and change nothing: the state is read back afterwards.
#include "tests/http/edge_fixture.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

using nlohmann::json;
namespace sg = seatgrab;
using sg::test::admin_token;
using sg::test::body_of;

namespace {

/// A body and the problem it must get.
struct bad_body {
  std::string body;
  std::string code;  ///< "invalid_json" or "invalid_field"
  std::string field; ///< for invalid_field
};

/// Says the body is JSON, even an empty one (the client only labels non-empty bodies).
const std::map<std::string, std::string> as_json{{"Content-Type", "application/json"}};

/// Checks that `res` is a 400 problem `want`.
void expect_bad(const sg::test::http_response& res, const bad_body& want) {
  CAPTURE(want.body);
  CHECK_MESSAGE(res.result_int() == 400, res.body());
  CHECK(res[boost::beast::http::field::content_type] == "application/problem+json");
  auto j = body_of(res);
  CHECK(j["code"] == want.code);
  CHECK(j["status"] == 400);
  if (!want.field.empty())
    CHECK(j["field"] == want.field);
}

/// Bodies that are not a JSON object at all.
std::vector<bad_body> not_objects() {
  return {{"{not json", "invalid_json", ""},
          {"", "invalid_json", ""},
          {"null", "invalid_json", ""},
          {"[1,2]", "invalid_json", ""},
          {"\"4242424242424242\"", "invalid_json", ""},
          {"{\"card\":\"4242\xff\"}", "invalid_json", ""}};
}

/// The usual wrong shapes of one required string field `name` of at most `max` bytes.
std::vector<bad_body> bad_strings(const std::string& name, size_t max) {
  std::vector<bad_body> all;
  for (const auto& j : {json::object(), json{{name, nullptr}}, json{{name, 42}}, json{{name, true}},
                        json{{name, json::array({"x"})}}, json{{name, json::object()}},
                        json{{name, ""}}, json{{name, std::string(max + 1, '4')}}})
    all.push_back({j.dump(), "invalid_field", name});
  return all;
}

/// Alice with a hold of A-1-1 on "gig".
struct shopper {
  sg::test::edge_fixture edge;
  sg::test::http_client c = edge.client();
  std::string alice;
  std::string hold_id;

  shopper() {
    edge.add_event();
    alice = edge.fan("alice@example.com", c);
    auto admission = edge.admitted(alice, c);
    auto held = c.with_token(alice, "POST", "/v1/events/gig/holds",
                             json{{"seats", {"A-1-1"}}}.dump(), {{"X-Admission-Token", admission}});
    REQUIRE_MESSAGE(held.result_int() == 201, held.body());
    hold_id = body_of(held)["id"];
  }

  /// Alice buys her hold; returns the order.
  json buy() {
    auto paid = c.with_token(alice, "POST", "/v1/holds/" + hold_id + "/checkout",
                             json{{"card", "4242424242424242"}}.dump());
    REQUIRE_MESSAGE(paid.result_int() == 201, paid.body());
    return body_of(paid);
  }

  /// The seat counts of "gig" as its sections report them.
  std::string seats() {
    auto text = c.request("GET", "/metrics").body();
    std::string lines;
    for (auto at = text.find("seatgrab_seats{event=\"gig\""); at != std::string::npos;
         at = text.find("seatgrab_seats{event=\"gig\"", at + 1))
      lines += text.substr(at, text.find('\n', at) - at) + "\n";
    return lines;
  }
};

} // namespace

TEST_CASE("checkout: bad bodies are 400 naming the card, and no order is begun") {
  shopper s;
  auto target = "/v1/holds/" + s.hold_id + "/checkout";
  auto before = s.seats();
  auto bodies = not_objects();
  for (auto& b : bad_strings("card", 64))
    bodies.push_back(b);
  // Not a card number: the provider takes 16 ASCII digits, nothing else.
  for (const auto* card : {"not-a-card", "4242 4242 4242 4242", "4242-4242-4242-4242",
                           "424242424242424", "42424242424242424",
                           "\xef\xbc\x94"
                           "242424242424242",
                           "+242424242424242", "4242424242424242\n"})
    bodies.push_back({json{{"card", card}}.dump(), "invalid_field", "card"});
  bodies.push_back({R"({"card":"4242\u0000424242424242"})", "invalid_field", "card"});
  for (size_t i = 0; i < bodies.size(); ++i) {
    expect_bad(s.c.with_token(s.alice, "POST", target, bodies[i].body, as_json), bodies[i]);
    // With an Idempotency-Key too: the key begins no order either.
    auto keyed = as_json;
    keyed["Idempotency-Key"] = "pay-" + std::to_string(i);
    expect_bad(s.c.with_token(s.alice, "POST", target, bodies[i].body, keyed), bodies[i]);
  }
  auto other_type =
      s.c.with_token(s.alice, "POST", target, json{{"card", "4242424242424242"}}.dump(),
                     {{"Content-Type", "text/plain"}});
  CHECK(other_type.result_int() == 415);
  CHECK(body_of(other_type)["code"] == "unsupported_media_type");
  // Nothing changed: no order was begun (not even a declined one), the seat is still held.
  CHECK(s.c.with_token(s.alice, "GET", "/v1/orders/gig~o1").result_int() == 404);
  CHECK(s.seats() == before);
  auto order = s.buy();
  CHECK(order["order_id"] == "gig~o1"); // the event's first order
  CHECK(order["state"] == "completed");
}

TEST_CASE("transfer: bad bodies are 400 naming the recipient; the ticket stays its owner's") {
  shopper s;
  auto bob = s.edge.fan("bob@example.com", s.c);
  auto ticket = s.buy()["tickets"][0];
  auto target = "/v1/tickets/" + ticket["id"].get<std::string>() + "/transfer";
  auto bodies = not_objects();
  for (auto& b : bad_strings("to", 254))
    bodies.push_back(b);
  bodies.push_back({json{{"to", "nobody@example.com"}}.dump(), "invalid_field", "to"});
  bodies.push_back({json{{"to", "alice@example.com"}}.dump(), "invalid_field", "to"}); // herself
  for (const auto& b : bodies)
    expect_bad(s.c.with_token(s.alice, "POST", target, b.body, as_json), b);
  // Authentication comes before the body: no session, no reading of it.
  auto anonymous = s.c.request("POST", target, "{not json");
  CHECK(anonymous.result_int() == 401);
  CHECK(body_of(anonymous)["code"] == "unauthenticated");
  auto other_type = s.c.with_token(s.alice, "POST", target, json{{"to", "bob@example.com"}}.dump(),
                                   {{"Content-Type", "text/plain"}});
  CHECK(other_type.result_int() == 415);
  // Nothing changed: alice still owns version 1 with the same code; bob has nothing.
  auto now =
      body_of(s.c.with_token(s.alice, "GET", "/v1/tickets/" + ticket["id"].get<std::string>()));
  CHECK(now["version"] == ticket["version"]);
  CHECK(now["code"] == ticket["code"]);
  CHECK(body_of(s.c.with_token(bob, "GET", "/v1/tickets"))["tickets"].empty());
  // And the ticket still moves when asked properly.
  auto moved = s.c.with_token(s.alice, "POST", target, json{{"to", "bob@example.com"}}.dump());
  CHECK_MESSAGE(moved.result_int() == 200, moved.body());
}

TEST_CASE("scan: bad bodies are 400 naming the code; no ticket is admitted by them") {
  shopper s;
  auto code = s.buy()["tickets"][0]["code"].get<std::string>();
  auto scan = [&](const std::string& body) {
    return s.c.with_token(admin_token, "POST", "/v1/scan", body, as_json);
  };
  auto bodies = not_objects();
  for (auto& b : bad_strings("code", 1024))
    bodies.push_back(b);
  for (const auto& b : bodies)
    expect_bad(scan(b.body), b);
  // Well-formed but not one of our tickets: answered, as the gate expects, with "invalid".
  auto forged = code;
  forged.back() = forged.back() == 'A' ? 'B' : 'A';
  for (const auto& unknown : {std::string{"T1.garbage.garbage"}, std::string{"garbage"}, forged,
                              code.substr(0, code.size() / 2), code + "x"}) {
    auto res = scan(json{{"code", unknown}}.dump());
    CHECK_MESSAGE(res.result_int() == 200, res.body());
    CHECK(body_of(res)["result"] == "invalid");
  }
  // Not gate staff, or no session: refused before the body is read.
  auto fan = s.c.with_token(s.alice, "POST", "/v1/scan", "{not json");
  CHECK(fan.result_int() == 403);
  CHECK(body_of(fan)["code"] == "forbidden");
  CHECK(s.c.request("POST", "/v1/scan", "{not json").result_int() == 401);
  // Nothing changed: the real code is admitted now, once.
  auto first = scan(json{{"code", code}}.dump());
  REQUIRE_MESSAGE(first.result_int() == 200, first.body());
  CHECK(body_of(first)["result"] == "valid");
  CHECK(body_of(scan(json{{"code", code}}.dump()))["result"] == "already_used");
}
