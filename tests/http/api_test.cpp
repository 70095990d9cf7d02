// Integration tests of the HTTP edge: the real server on an ephemeral port, a real HTTP client,
// the whole fan journey, every error status on purpose, and bad input of every kind.
#include "http/api.hpp"
#include "tests/http/edge_fixture.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>
#include <openssl/sha.h>

#include <fstream>
#include <set>

using nlohmann::json;
namespace sg = seatgrab;
using sg::test::admin_token;
using sg::test::body_of;

namespace {

json credentials(const std::string& email, const std::string& password = "correct horse") {
  return {{"email", email}, {"password", password}};
}

} // namespace

TEST_CASE("the OpenAPI document lists exactly the routes the server answers") {
  std::ifstream in{std::string{SEATGRAB_SOURCE_DIR} + "/http/openapi.json"};
  auto doc = json::parse(in);
  std::set<std::string> documented;
  for (const auto& [path, ops] : doc["paths"].items())
    for (const auto& [method, op] : ops.items()) {
      std::string m = method;
      std::transform(m.begin(), m.end(), m.begin(), ::toupper);
      documented.insert(m + " " + path);
    }
  std::set<std::string> served(sg::http::api::routes().begin(), sg::http::api::routes().end());
  CHECK(served.size() == sg::http::api::routes().size()); // no route twice
  CHECK(documented == served);
  // And the server hands out the same document.
  sg::test::edge_fixture edge;
  auto c = edge.client();
  auto res = c.request("GET", "/v1/openapi.json");
  REQUIRE(res.result_int() == 200);
  CHECK(body_of(res) == doc);
}

TEST_CASE("a fan's journey over HTTP: sign up to gate scan") {
  sg::test::edge_fixture edge;
  edge.add_event("gig", {{"refunds_until", "2999-01-01T00:00:00Z"}});
  auto c = edge.client();
  auto alice = edge.fan("alice@example.com", c);
  auto bob = edge.fan("bob@example.com", c);

  auto events = body_of(c.request("GET", "/v1/events"));
  REQUIRE(events["events"].size() == 1);
  CHECK(events["events"][0]["id"] == "gig");
  auto detail = body_of(c.request("GET", "/v1/events/gig"));
  CHECK(detail["venue_id"] == "hall");
  CHECK(detail["name"] == "The Gig");

  auto admission = edge.admitted(alice, c);
  auto map = body_of(c.request("GET", "/v1/events/gig/seatmap"));
  REQUIRE(map["sections"].size() == 2);
  CHECK(map["sections"][0]["seats"][0] ==
        json{{"id", "A-1-1"}, {"status", "free"}, {"price", 1000}});

  auto held =
      c.with_token(alice, "POST", "/v1/events/gig/holds",
                   json{{"seats", {"A-1-1", "B-1-1"}}}.dump(), {{"X-Admission-Token", admission}});
  REQUIRE_MESSAGE(held.result_int() == 201, held.body());
  auto hold = body_of(held);
  CHECK(hold["total"] == 1500);
  CHECK(hold["seats"].size() == 2);
  CHECK(hold["expires_at"].get<std::string>().ends_with("Z"));

  auto paid =
      c.with_token(alice, "POST", "/v1/holds/" + hold["id"].get<std::string>() + "/checkout",
                   json{{"card", "4242424242424242"}}.dump(), {{"Idempotency-Key", "pay-1"}});
  REQUIRE_MESSAGE(paid.result_int() == 201, paid.body());
  auto order = body_of(paid);
  REQUIRE(order["tickets"].size() == 2);
  auto order_id = order["order_id"].get<std::string>();
  CHECK(body_of(c.with_token(alice, "GET", "/v1/orders/" + order_id))["state"] == "completed");
  CHECK(c.with_token(bob, "GET", "/v1/orders/" + order_id).result_int() == 404);

  auto mine = body_of(c.with_token(alice, "GET", "/v1/tickets"))["tickets"];
  REQUIRE(mine.size() == 2);
  auto t1 = mine[0]["id"].get<std::string>();
  auto t2 = mine[1]["id"].get<std::string>();
  auto qr = c.with_token(alice, "GET", "/v1/tickets/" + t1 + "/qr.svg");
  CHECK(qr.result_int() == 200);
  CHECK(qr[boost::beast::http::field::content_type] == "image/svg+xml");
  CHECK(qr.body().starts_with("<svg"));
  CHECK(c.with_token(bob, "GET", "/v1/tickets/" + t1).result_int() == 404);
  CHECK(c.with_token(bob, "GET", "/v1/tickets/" + t1 + "/qr.svg").result_int() == 404);
  CHECK(c.with_token(bob, "POST", "/v1/tickets/" + t1 + "/refund").result_int() == 404);
  CHECK(c.with_token(bob, "POST", "/v1/tickets/" + t1 + "/transfer",
                     json{{"to", "bob@example.com"}}.dump())
            .result_int() == 404);

  // Transfer: bob gets version 2; alice's code is revoked at the gate at once.
  auto old_code = body_of(c.with_token(alice, "GET", "/v1/tickets/" + t1))["code"];
  auto moved = c.with_token(alice, "POST", "/v1/tickets/" + t1 + "/transfer",
                            json{{"to", "bob@example.com"}}.dump());
  REQUIRE_MESSAGE(moved.result_int() == 200, moved.body());
  CHECK(body_of(moved)["version"] == 2);
  auto bobs = body_of(c.with_token(bob, "GET", "/v1/tickets"))["tickets"];
  REQUIRE(bobs.size() == 1);
  auto scan = [&](const json& code) {
    auto res = c.with_token(admin_token, "POST", "/v1/scan", json{{"code", code}}.dump());
    REQUIRE_MESSAGE(res.result_int() == 200, res.body());
    return body_of(res)["result"].get<std::string>();
  };
  CHECK(scan(old_code) == "revoked");
  CHECK(scan(bobs[0]["code"]) == "valid");
  CHECK(scan(bobs[0]["code"]) == "already_used");
  CHECK(scan("T1.garbage.garbage") == "invalid");
  // Fans are not gate staff.
  CHECK(c.with_token(alice, "POST", "/v1/scan", json{{"code", "x"}}.dump()).result_int() == 403);

  // Refund: money back, ticket revoked, seat on sale again.
  auto code2 = body_of(c.with_token(alice, "GET", "/v1/tickets/" + t2))["code"];
  auto refunded = c.with_token(alice, "POST", "/v1/tickets/" + t2 + "/refund");
  REQUIRE_MESSAGE(refunded.result_int() == 200, refunded.body());
  CHECK(body_of(refunded)["status"] == "refunded");
  CHECK(scan(code2) == "revoked");
  bool free_again = false;
  for (int i = 0; i < 50 && !free_again; ++i) {
    auto b = body_of(c.request("GET", "/v1/events/gig/seatmap?section=B"));
    free_again = b["sections"][0]["seats"][0]["status"] == "free";
    if (!free_again) // the release is asynchronous: wait for the next seat-map delta
      c.read_events("/v1/events/gig/seatmap/stream", 2, {}, std::chrono::seconds{2});
  }
  CHECK(free_again);

  // Logout ends the session.
  CHECK(c.with_token(bob, "DELETE", "/v1/sessions").result_int() == 204);
  CHECK(c.with_token(bob, "GET", "/v1/tickets").result_int() == 401);
}

TEST_CASE("every error status on purpose, each as problem+json with a stable code") {
  sg::test::edge_options opts;
  opts.server.max_body_bytes = 4096;
  opts.server.max_header_bytes = 2048;
  sg::test::edge_fixture edge{opts};
  edge.add_event("gig", {{"max_tickets_per_account", 2}});
  edge.add_event("brief", {{"hold_ttl_s", 1}}); // for the 410 only: holds last 1 s
  auto c = edge.client();
  auto fan = edge.fan("fan@example.com", c);
  auto expect = [&](const sg::test::http_response& res, unsigned status, const std::string& code) {
    CHECK_MESSAGE(res.result_int() == status, res.body());
    CHECK(res[boost::beast::http::field::content_type] == "application/problem+json");
    auto j = body_of(res);
    CHECK(j["code"] == code);
    CHECK(j["status"] == status);
    return j;
  };
  // 400: bad JSON, and a bad field named.
  expect(c.request("POST", "/v1/accounts", "{not json"), 400, "invalid_json");
  auto field =
      expect(c.request("POST", "/v1/accounts", json{{"email", 5}}.dump()), 400, "invalid_field");
  CHECK(field["field"] == "email");
  // 401
  expect(c.request("GET", "/v1/tickets"), 401, "unauthenticated");
  expect(c.with_token("nope", "GET", "/v1/tickets"), 401, "unauthenticated");
  // A token naming an account shard that does not exist is just as unknown.
  expect(c.with_token("zz.nope", "GET", "/v1/tickets"), 401, "unauthenticated");
  expect(c.with_token("zz.nope", "DELETE", "/v1/sessions"), 401, "unauthenticated");
  expect(c.request("POST", "/v1/sessions", credentials("fan@example.com", "wrong pass").dump()),
         401, "bad_credentials");
  // 403: a fan on an operator route; a hold without admission.
  expect(c.with_token(fan, "POST", "/v1/admin/events/gig/pause"), 403, "forbidden");
  expect(c.with_token(fan, "POST", "/v1/events/gig/holds", json{{"seats", {"A-1-1"}}}.dump()), 403,
         "admission_invalid");
  // 404, 405
  expect(c.request("GET", "/v1/events/nope"), 404, "not_found");
  expect(c.request("GET", "/v1/nothing/here"), 404, "not_found");
  auto wrong_method = c.request("PUT", "/v1/events");
  expect(wrong_method, 405, "method_not_allowed");
  CHECK(wrong_method[boost::beast::http::field::allow] == "GET");
  // 409: the seat is taken, and the answer lists it.
  auto admission = edge.admitted(fan, c);
  auto other = edge.fan("other@example.com", c);
  auto other_admission = edge.admitted(other, c, "gig", "dev-2");
  auto first =
      c.with_token(other, "POST", "/v1/events/gig/holds", json{{"seats", {"A-1-2"}}}.dump(),
                   {{"X-Admission-Token", other_admission}});
  REQUIRE(first.result_int() == 201);
  auto taken = expect(c.with_token(fan, "POST", "/v1/events/gig/holds",
                                   json{{"seats", {"A-1-1", "A-1-2"}}}.dump(),
                                   {{"X-Admission-Token", admission}}),
                      409, "seat_taken");
  CHECK(taken["seats"] == json{"A-1-2"});
  // 422: over the per-account limit of 2.
  expect(c.with_token(fan, "POST", "/v1/events/gig/holds",
                      json{{"seats", {"A-2-1", "A-2-2", "A-2-3"}}}.dump(),
                      {{"X-Admission-Token", admission}}),
         422, "ticket_limit");
  // 410: the hold (1 s) expired before checkout.
  auto brief_admission = edge.admitted(fan, c, "brief");
  auto held = c.with_token(fan, "POST", "/v1/events/brief/holds", json{{"seats", {"B-2-2"}}}.dump(),
                           {{"X-Admission-Token", brief_admission}});
  REQUIRE(held.result_int() == 201);
  // Wait for the expiry on the seat-map stream (the seat turns free), not with a sleep.
  for (int i = 0; i < 20; ++i) {
    auto b = body_of(c.request("GET", "/v1/events/brief/seatmap?section=B"));
    if (b["sections"][0]["seats"][7]["status"] == "free")
      break;
    c.read_events("/v1/events/brief/seatmap/stream", 2, {}, std::chrono::seconds{2});
  }
  expect(c.with_token(fan, "POST",
                      "/v1/holds/" + body_of(held)["id"].get<std::string>() + "/checkout",
                      json{{"card", "4242424242424242"}}.dump()),
         410, "hold_expired");
  // 413, 415, 431
  expect(c.request("POST", "/v1/accounts", std::string(8000, 'x')), 413, "body_too_large");
  expect(c.request("POST", "/v1/accounts", credentials("x@example.com").dump(),
                   {{"Content-Type", "text/plain"}}),
         415, "unsupported_media_type");
  expect(c.request("GET", "/v1/events", {}, {{"X-Big", std::string(4000, 'h')}}), 431,
         "headers_too_large");
  // The server keeps serving after all that.
  CHECK(c.request("GET", "/healthz").result_int() == 200);
}

TEST_CASE("429 with Retry-After past the rate limit; 503 with Retry-After when overloaded") {
  {
    sg::test::edge_options opts;
    opts.api.rate_per_s = 1;
    opts.api.burst = 2;
    sg::test::edge_fixture edge{opts};
    auto c = edge.client();
    unsigned limited = 0;
    std::string retry_after;
    for (int i = 0; i < 10; ++i) {
      auto res = c.request("GET", "/v1/events");
      if (res.result_int() == 429) {
        ++limited;
        retry_after = std::string{res[boost::beast::http::field::retry_after]};
        CHECK(body_of(res)["code"] == "rate_limited");
      }
    }
    CHECK(limited >= 6);
    CHECK_FALSE(retry_after.empty());
    CHECK(c.request("GET", "/healthz").result_int() == 200); // operations are never limited
  }
  {
    sg::test::edge_options opts;
    opts.api.max_in_flight = 0;
    sg::test::edge_fixture edge{opts};
    auto c = edge.client();
    auto res = c.request("GET", "/v1/events");
    CHECK(res.result_int() == 503);
    CHECK(body_of(res)["code"] == "overloaded");
    CHECK(res[boost::beast::http::field::retry_after] == "1");
  }
}

TEST_CASE("bad input gets the right 4xx, changes nothing, and the server keeps serving") {
  sg::test::edge_options opts;
  opts.server.read_timeout = std::chrono::seconds{1};
  sg::test::edge_fixture edge{opts};
  edge.add_event();
  auto c = edge.client();
  auto fan = edge.fan("fan@example.com", c);
  auto admission = edge.admitted(fan, c);
  auto before = body_of(c.request("GET", "/v1/events/gig/seatmap"))["version"];
  auto status_of = [](const std::string& raw) { return raw.substr(0, 12); };

  // Garbage and truncated requests on raw connections.
  CHECK(status_of(sg::test::raw_exchange(edge.port(), "HELLO\r\n\r\n")) == "HTTP/1.1 400");
  CHECK(status_of(sg::test::raw_exchange(edge.port(), std::string("\x16\x03\x01\x02\x00", 5) +
                                                          "\r\n\r\n")) == "HTTP/1.1 400");
  // A truncated request (the body never completes) is cut off after the read timeout (1 s),
  // well before the client would give up (10 s).
  auto t0 = std::chrono::steady_clock::now();
  CHECK(sg::test::raw_exchange(edge.port(),
                               "POST /v1/accounts HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n"
                               "Content-Type: application/json\r\n\r\n{\"email\":",
                               std::chrono::seconds{10})
            .empty());
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds{5});
  CHECK(status_of(sg::test::raw_exchange(edge.port(), "GET / HTTP/9.9\r\n\r\n")) == "HTTP/1.1 400");
  // Invalid UTF-8 inside JSON.
  auto bad_utf8 = c.request("POST", "/v1/accounts",
                            "{\"email\":\"a\xff\xfe@example.com\",\"password\":\"correct horse\"}");
  CHECK(bad_utf8.result_int() == 400);
  // Wrong types, negative and absurd numbers.
  auto hold_with = [&](const std::string& body) {
    return c.with_token(fan, "POST", "/v1/events/gig/holds", body,
                        {{"X-Admission-Token", admission}});
  };
  CHECK(hold_with(R"({"section":"A","quantity":-1})").result_int() == 400);
  CHECK(hold_with(R"({"section":"A","quantity":18446744073709551615})").result_int() == 400);
  CHECK(hold_with(R"({"section":"A","quantity":1e308})").result_int() == 400);
  CHECK(hold_with(R"({"section":"A","quantity":"2"})").result_int() == 400);
  CHECK(hold_with(R"({"seats":"A-1-1"})").result_int() == 400);
  CHECK(hold_with(R"({"seats":[]})").result_int() == 400);
  CHECK(hold_with(R"({"seats":[1,2]})").result_int() == 400);
  CHECK(hold_with(R"([1,2,3])").result_int() == 400);
  CHECK(hold_with(R"({"seats":["Z-9-9"]})").result_int() == 422);
  CHECK(c.with_token(admin_token, "POST", "/v1/admin/events",
                     json{{"venue_id", "hall"}, {"name", "x"}, {"opens_at", "yesterday"}}.dump())
            .result_int() == 400);
  CHECK(c.with_token(
             admin_token, "POST", "/v1/admin/events",
             json{{"venue_id", "hall"}, {"name", "x"}, {"opens_at", "2026-02-30T00:00:00Z"}}.dump())
            .result_int() == 400);
  CHECK(c.with_token(admin_token, "POST", "/v1/admin/venues", "{\"id\":\"broken\"}").result_int() ==
        400);
  CHECK(c.request("PATCH", "/v1/events/gig").result_int() == 405);
  CHECK(c.request("GET", "/v1/events/gig/seatmap?section=nope").result_int() == 404);
  CHECK(c.with_token(fan, "GET", "/v1/tickets/not-an-id").result_int() == 404);
  CHECK(c.with_token(fan, "GET", "/v1/orders/gig~o999").result_int() == 404);
  CHECK(c.with_token(fan, "DELETE", "/v1/holds/nope").result_int() == 404);

  // Nothing changed: the seat map is at the same version, and the server still serves.
  CHECK(body_of(c.request("GET", "/v1/events/gig/seatmap"))["version"] == before);
  CHECK(c.request("GET", "/healthz").result_int() == 200);
  CHECK(body_of(c.request("GET", "/v1/events"))["events"].size() == 1);
}

TEST_CASE("Idempotency-Key: the same request replays, another is 422") {
  sg::test::edge_fixture edge;
  edge.add_event();
  auto c = edge.client();
  auto key = std::map<std::string, std::string>{{"Idempotency-Key", "signup-1"}};
  auto first = c.request("POST", "/v1/accounts", credentials("k@example.com").dump(), key);
  REQUIRE(first.result_int() == 201);
  auto again = c.request("POST", "/v1/accounts", credentials("k@example.com").dump(), key);
  CHECK(again.result_int() == 201);
  CHECK(again.body() == first.body());
  CHECK(again["Idempotent-Replayed"] == "true");
  auto other = c.request("POST", "/v1/accounts", credentials("z@example.com").dump(), key);
  CHECK(other.result_int() == 422);
  CHECK(body_of(other)["code"] == "idempotency_key_reused");
  // Without the key the same sign-up is a conflict, as it should be.
  CHECK(c.request("POST", "/v1/accounts", credentials("k@example.com").dump()).result_int() == 409);
}

TEST_CASE("the seat map is cached per version: ETag, 304, one section, gzip, SSE deltas") {
  sg::test::edge_options opts;
  opts.api.seatmap_max_age = std::chrono::hours{1}; // only the stream refreshes the cache here
  sg::test::edge_fixture edge{opts};
  edge.add_event();
  auto c = edge.client();
  auto whole = c.request("GET", "/v1/events/gig/seatmap");
  REQUIRE(whole.result_int() == 200);
  auto etag = std::string{whole[boost::beast::http::field::etag]};
  CHECK_FALSE(etag.empty());
  CHECK(c.request("GET", "/v1/events/gig/seatmap", {}, {{"If-None-Match", etag}}).result_int() ==
        304);
  auto a = c.request("GET", "/v1/events/gig/seatmap?section=A");
  REQUIRE(a.result_int() == 200);
  CHECK(body_of(a)["sections"].size() == 1);
  auto gz = c.request("GET", "/v1/events/gig/seatmap", {}, {{"Accept-Encoding", "gzip"}});
  CHECK(gz[boost::beast::http::field::content_encoding] == "gzip");
  CHECK(gz.body().size() < whole.body().size());
  CHECK(static_cast<unsigned char>(gz.body()[0]) == 0x1f); // gzip magic
  auto agz =
      c.request("GET", "/v1/events/gig/seatmap?section=A", {}, {{"Accept-Encoding", "gzip"}});
  CHECK(agz[boost::beast::http::field::content_encoding] == "gzip");
  CHECK(agz.body().size() < a.body().size());
  CHECK(static_cast<unsigned char>(agz.body()[0]) == 0x1f);
  CHECK(c.request("GET", "/v1/events/gig/seatmap?section=nope", {}, {{"Accept-Encoding", "gzip"}})
            .result_int() == 404);

  // A stream: a snapshot first, then one delta frame however many seats changed.
  auto fan = edge.fan("fan@example.com", c);
  auto admission = edge.admitted(fan, c);
  auto version = body_of(whole)["version"];
  auto held = c.with_token(fan, "POST", "/v1/events/gig/holds",
                           json{{"section", "A"}, {"quantity", 4}}.dump(),
                           {{"X-Admission-Token", admission}});
  REQUIRE(held.result_int() == 201);
  // The cached map is still the one before the hold: the stream resumes at its version and
  // its first refresh finds the four held seats.
  auto frames = c.read_events("/v1/events/gig/seatmap/stream", 2,
                              {{"Last-Event-ID", std::to_string(version.get<uint64_t>())}},
                              std::chrono::seconds{5});
  CHECK(frames.find("text/event-stream") != std::string::npos);
  CHECK(frames.find("event: delta") != std::string::npos);
  auto data = frames.substr(frames.find("data: ") + 6);
  data = data.substr(0, data.find('\n'));
  auto delta = json::parse(data);
  CHECK(delta["seats"].size() == 4); // four seats changed, one frame
  // The ETag moved with the version.
  CHECK(c.request("GET", "/v1/events/gig/seatmap", {}, {{"If-None-Match", etag}}).result_int() ==
        200);
}

TEST_CASE("proof of work: a join needs a fresh, solved challenge of the event") {
  sg::test::edge_options opts;
  opts.bots.pow_base_bits = 8; // the bot guard's base challenge
  sg::test::edge_fixture edge{opts};
  edge.add_event();
  auto c = edge.client();
  auto fan = edge.fan("fan@example.com", c);
  auto challenge = body_of(c.request("GET", "/v1/events/gig/challenge"));
  CHECK(challenge["difficulty"] == 8);
  auto token = challenge["challenge"].get<std::string>();
  // Solve: SHA-256(challenge ":" nonce) must start with 8 zero bits; keep a failing nonce too.
  std::string nonce;
  std::string wrong;
  for (uint64_t n = 0; nonce.empty() || wrong.empty(); ++n) {
    auto input = token + ":" + std::to_string(n);
    unsigned char digest[32];
    SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
    (digest[0] == 0 ? nonce : wrong) = std::to_string(n);
  }
  auto join = [&](const json& body) {
    return c.with_token(fan, "POST", "/v1/events/gig/queue", body.dump());
  };
  // No challenge at all: the guard asks for one, and the answer brings it.
  auto none = join({{"device", "d1"}});
  CHECK(none.result_int() == 403);
  CHECK(body_of(none)["code"] == "challenge_required");
  CHECK(body_of(none)["challenge"]["difficulty"] == 8);
  CHECK(join({{"device", "d1"}, {"challenge", token}}).result_int() == 400); // no nonce
  auto bad = join({{"device", "d1"}, {"challenge", token}, {"nonce", wrong}});
  CHECK(bad.result_int() == 403);
  CHECK(body_of(bad)["code"] == "challenge_failed");
  auto forged = token;
  forged.back() = forged.back() == 'a' ? 'b' : 'a';
  CHECK(join({{"device", "d1"}, {"challenge", forged}, {"nonce", nonce}}).result_int() == 403);
  CHECK(join({{"device", "d1"}, {"challenge", token}, {"nonce", nonce}}).result_int() == 201);
  auto replay = join({{"device", "d1"}, {"challenge", token}, {"nonce", nonce}});
  CHECK(replay.result_int() == 403); // a challenge works once
  CHECK(body_of(replay)["detail"] == "challenge used before");
}

TEST_CASE("/metrics reports requests, latency, inventory, queue and journal in Prometheus text") {
  sg::test::edge_fixture edge;
  edge.add_event();
  auto c = edge.client();
  auto fan = edge.fan("fan@example.com", c);
  auto admission = edge.admitted(fan, c);
  REQUIRE(c.with_token(fan, "POST", "/v1/events/gig/holds", json{{"seats", {"A-1-1"}}}.dump(),
                       {{"X-Admission-Token", admission}})
              .result_int() == 201);
  auto res = c.request("GET", "/metrics");
  REQUIRE(res.result_int() == 200);
  CHECK(std::string{res[boost::beast::http::field::content_type]}.starts_with("text/plain"));
  const auto& text = res.body();
  for (const auto* line :
       {"seatgrab_http_requests_total{route=\"POST /v1/events/{id}/holds\",status=\"201\"} 1",
        "seatgrab_http_request_seconds_bucket{route=\"POST /v1/events/{id}/holds\",le=\"+Inf\"} 1",
        "seatgrab_holds_total{event=\"gig\"} 1", "seatgrab_seats{event=\"gig\",status=\"held\"} 1",
        "seatgrab_queue_admitted_total{event=\"gig\"} 1", "seatgrab_journal_batches_total",
        "seatgrab_journal_sync_seconds_total", "# TYPE seatgrab_http_request_seconds histogram",
        "seatgrab_actor_calls_total{where=\"remote\"} 0",
        "seatgrab_actor_call_seconds_bucket{where=\"local\",le=\"+Inf\"}"})
    CHECK_MESSAGE(text.find(line) != std::string::npos, line);
}
