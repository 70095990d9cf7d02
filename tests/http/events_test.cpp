// Events over HTTP as the browser pages use them: an operator's pause told to the waiting (on
// their status and its stream), the admission rate changed by PUT .../admission, the venue's
// layout the seat map is drawn from, and the venue's currency on the event and its orders.
#include "domain/venue.hpp"
#include "tests/http/edge_fixture.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <ctime>

using json = nlohmann::json;
using seatgrab::test::admin_token;
using seatgrab::test::body_of;
namespace sg = seatgrab;

namespace {

json problem_of(const sg::test::http_response& res, unsigned status) {
  CHECK_MESSAGE(res.result_int() == status, res.body());
  CHECK(res[boost::beast::http::field::content_type] == "application/problem+json");
  return body_of(res);
}

} // namespace

TEST_CASE("a waiting fan is told, on the status and its stream, that the operator paused") {
  sg::test::edge_fixture edge;
  // One shopper at a time: bob waits while alice shops.
  edge.add_event("gig", json{{"admission_per_min", 60}, {"max_active_shoppers", 1}});
  auto c = edge.client();
  auto alice = edge.fan("alice@example.com", c);
  edge.admitted(alice, c, "gig", "alice-phone");
  auto bob = edge.fan("bob@example.com", c);
  auto joined = body_of(
      c.with_token(bob, "POST", "/v1/events/gig/queue", json{{"device", "bob-phone"}}.dump()));
  auto place = "/v1/events/gig/queue/" + std::to_string(joined["ticket"].get<uint64_t>());
  auto before = body_of(c.with_token(bob, "GET", place));
  REQUIRE(before["state"] == "waiting");
  CHECK(before["paused"] == false);

  REQUIRE(c.with_token(admin_token, "POST", "/v1/admin/events/gig/pause").result_int() == 204);
  auto during = body_of(c.with_token(bob, "GET", place));
  CHECK(during["state"] == "waiting");
  CHECK(during["paused"] == true);
  CHECK(during["position"] == before["position"]); // the place is kept
  auto frames = c.read_events(place + "/stream", 1, {{"Authorization", "Bearer " + bob}},
                              std::chrono::seconds{5});
  CHECK_MESSAGE(frames.find("\"paused\":true") != std::string::npos, frames);
  CHECK(body_of(c.request("GET", "/v1/events/gig"))["state"] == "paused");

  REQUIRE(c.with_token(admin_token, "POST", "/v1/admin/events/gig/resume").result_int() == 204);
  auto after = body_of(c.with_token(bob, "GET", place));
  CHECK(after["paused"] == false);
}

TEST_CASE("the operator changes the admission rate; bad input is refused and changes nothing") {
  sg::test::edge_fixture edge;
  edge.add_event("gig", json{{"admission_per_min", 600}});
  auto c = edge.client();
  const std::string path = "/v1/admin/events/gig/admission";
  auto rate = [&c] {
    return body_of(c.request("GET", "/v1/events/gig"))["admission_per_min"].get<int64_t>();
  };
  REQUIRE(rate() == 600);

  auto set = c.with_token(admin_token, "PUT", path, json{{"admission_per_min", 1200}}.dump());
  REQUIRE_MESSAGE(set.result_int() == 200, set.body());
  auto ev = body_of(set);
  CHECK(ev["id"] == "gig");
  CHECK(ev["admission_per_min"] == 1200);
  CHECK(rate() == 1200);

  for (const auto& bad : {json{{"admission_per_min", 0}}, json{{"admission_per_min", 1'000'001}},
                          json{{"admission_per_min", "fast"}}, json::object()}) {
    auto p = problem_of(c.with_token(admin_token, "PUT", path, bad.dump()), 400);
    CHECK(p["field"] == "admission_per_min");
  }
  auto fan = edge.fan("fan@example.com", c);
  CHECK(problem_of(c.with_token(fan, "PUT", path, json{{"admission_per_min", 1}}.dump()),
                   403)["code"] == "forbidden");
  CHECK(problem_of(c.request("PUT", path, json{{"admission_per_min", 1}}.dump()), 401)["code"] ==
        "unauthenticated");
  CHECK(problem_of(c.with_token(admin_token, "PUT", "/v1/admin/events/nope/admission",
                                json{{"admission_per_min", 1}}.dump()),
                   404)["code"] == "not_found");
  CHECK(rate() == 1200);
}

TEST_CASE("an event's prices and orders are in its venue's currency") {
  sg::test::edge_fixture edge;
  auto c = edge.client();
  auto venue = sg::test::small_venue();
  venue.id = "arena";
  venue.currency = "USD";
  REQUIRE(c.with_token(admin_token, "POST", "/v1/admin/venues", sg::domain::to_json(venue))
              .result_int() == 201);
  auto made = c.with_token(admin_token, "POST", "/v1/admin/events",
                           json{{"id", "tour"},
                                {"venue_id", "arena"},
                                {"name", "The Tour"},
                                {"opens_at", "2020-01-01T00:00:00Z"},
                                {"hold_ttl_s", 300},
                                {"admission_per_min", 600000},
                                {"max_active_shoppers", 100000},
                                {"queue_mode", "fifo"}}
                               .dump());
  REQUIRE_MESSAGE(made.result_int() == 201, made.body());
  edge.add_event("gig"); // the small venue, in euros
  CHECK(body_of(c.request("GET", "/v1/events/tour"))["currency"] == "USD");
  CHECK(body_of(c.request("GET", "/v1/events/gig"))["currency"] == "EUR");
  auto listed = body_of(c.request("GET", "/v1/events")); // kept: the loop reads into it
  for (const auto& ev : listed["events"])
    CHECK(ev["currency"] == (ev["id"] == "tour" ? "USD" : "EUR"));

  auto fan = edge.fan("fan@example.com", c);
  auto admission = edge.admitted(fan, c, "tour");
  auto held = c.with_token(fan, "POST", "/v1/events/tour/holds", json{{"seats", {"A-1-1"}}}.dump(),
                           {{"X-Admission-Token", admission}});
  REQUIRE_MESSAGE(held.result_int() == 201, held.body());
  auto paid =
      c.with_token(fan, "POST", "/v1/holds/" + body_of(held)["id"].get<std::string>() + "/checkout",
                   json{{"card", "4242424242424242"}}.dump(), {{"Idempotency-Key", "k1"}});
  REQUIRE_MESSAGE(paid.result_int() == 201, paid.body());
  auto order = body_of(
      c.with_token(fan, "GET", "/v1/orders/" + body_of(paid)["order_id"].get<std::string>()));
  CHECK(order["currency"] == "USD");
}

TEST_CASE("the venue's layout: every seat's position, cached by content hash, gzipped") {
  sg::test::edge_fixture edge;
  edge.add_event();
  auto c = edge.client();
  auto res = c.request("GET", "/v1/venues/hall");
  REQUIRE_MESSAGE(res.result_int() == 200, res.body());
  auto v = body_of(res);
  CHECK(v["id"] == "hall");
  CHECK(v["currency"] == "EUR");
  REQUIRE(v["sections"].size() == 2);
  const auto& a = v["sections"][0];
  CHECK(a["id"] == "A");
  REQUIRE(a["rows"].size() == 2);
  const auto& seat = a["rows"][1]["seats"][2]; // row 2, seat 3 of small_venue()
  CHECK(seat["id"] == "A-2-3");
  CHECK(seat["x"] == 3.0);
  CHECK(seat["y"] == 2.0);
  std::string etag{res[boost::beast::http::field::etag]};
  CHECK(etag.starts_with("\"venue-"));
  CHECK(res[boost::beast::http::field::cache_control] == "public, max-age=86400");
  // Every answer is dated by the server's clock (pages count expiries down against it).
  std::string date{res[boost::beast::http::field::date]};
  std::tm tm{};
  REQUIRE_MESSAGE(strptime(date.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm) != nullptr, date);
  auto dated = std::chrono::system_clock::from_time_t(timegm(&tm));
  CHECK(std::chrono::abs(std::chrono::system_clock::now() - dated) < std::chrono::seconds{60});

  auto again = c.request("GET", "/v1/venues/hall", "", {{"If-None-Match", etag}});
  CHECK(again.result_int() == 304);
  CHECK(again.body().empty());
  auto gz = c.request("GET", "/v1/venues/hall", "", {{"Accept-Encoding", "gzip"}});
  REQUIRE(gz.result_int() == 200);
  CHECK(gz[boost::beast::http::field::content_encoding] == "gzip");
  CHECK(gz.body().starts_with("\x1f\x8b"));
  CHECK(gz.body().size() < res.body().size());
  std::string gz_etag{gz[boost::beast::http::field::etag]};
  CHECK(gz_etag != etag); // a cache never hands the gzipped copy to a client without gzip
  CHECK(c.request("GET", "/v1/venues/hall", "", {{"If-None-Match", gz_etag}}).result_int() == 200);
  auto coding = [&c](const std::string& accepted) {
    return std::string{
        c.request("GET", "/v1/venues/hall", "",
                  {{"Accept-Encoding", accepted}})[boost::beast::http::field::content_encoding]};
  };
  CHECK(coding("gzip;q=0") == "");
  CHECK(coding("gzip;q=0 , br") == "");
  CHECK(coding("GZIP;Q=0.000") == "");
  CHECK(coding("x-gzip;q=0, gzip") == "gzip");
  CHECK(coding("br, Gzip;q=0.5") == "gzip");
  CHECK(coding("deflate") == "");

  CHECK(problem_of(c.request("GET", "/v1/venues/nope"), 404)["code"] == "not_found");
  // The event names its venue.
  CHECK(body_of(c.request("GET", "/v1/events/gig"))["venue_id"] == "hall");
}
