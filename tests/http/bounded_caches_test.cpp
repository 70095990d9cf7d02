// Maps keyed by client input are bounded or keyed only by what exists (issue 13, finding 6):
// the seat-map cache and the idempotency records.
#include "http/lookup.hpp"
#include "http/seatmap_cache.hpp"
#include "tests/http/edge_fixture.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <future>
#include <string>
#include <vector>

namespace sg = seatgrab;
using nlohmann::json;
using sg::test::body_of;
using namespace std::chrono_literals;

namespace {

using snapshot_ptr = std::shared_ptr<const sg::http::seatmap_snapshot>;

/// The seat map of `event` from `cache`, or null with the error's text in `why`.
snapshot_ptr seatmap_of(sg::http::seatmap_cache& cache, const std::string& event,
                        std::string* why = nullptr) {
  auto done = std::make_shared<std::promise<std::pair<snapshot_ptr, caf::error>>>();
  auto result = done->get_future();
  cache.get(event, 1h, [done](snapshot_ptr snap, caf::error err) {
    done->set_value({std::move(snap), std::move(err)});
  });
  REQUIRE(result.wait_for(10s) == std::future_status::ready);
  auto [snap, err] = result.get();
  if (why != nullptr)
    *why = caf::to_string(err);
  return snap;
}

} // namespace

TEST_CASE("the seat-map cache makes no entry for an event id that names no event") {
  sg::test::edge_fixture edge;
  edge.add_event("gig");
  auto cache = std::make_shared<sg::http::seatmap_cache>(sg::http::lookup{edge.node()}, 1s, 15s);
  for (int i = 0; i < 200; ++i) {
    std::string why;
    CHECK(seatmap_of(*cache, "bogus-" + std::to_string(i), &why) == nullptr);
  }
  CHECK(cache->size() == 0);
  auto snap = seatmap_of(*cache, "gig");
  REQUIRE(snap != nullptr);
  CHECK(cache->size() == 1);
  // Streams share one snapshot frame rather than each copying the map.
  CHECK(snap->stream_frame() == seatmap_of(*cache, "gig")->stream_frame());
  CHECK(snap->stream_frame()->find(*snap->whole()) != std::string::npos);
  // Over HTTP the same: 404, no entry.
  auto c = edge.client();
  CHECK(c.request("GET", "/v1/events/no-such-event/seatmap").result_int() == 404);
  CHECK(c.request("GET", "/v1/events/no-such-event/seatmap/stream").result_int() == 404);
}

TEST_CASE("the seat-map cache keeps at most its bound of events") {
  sg::test::edge_fixture edge;
  edge.add_event("gig-1");
  edge.add_event("gig-2");
  edge.add_event("gig-3");
  auto cache = std::make_shared<sg::http::seatmap_cache>(sg::http::lookup{edge.node()}, 1s, 15s, 2);
  for (auto id : {"gig-1", "gig-2", "gig-3", "gig-1"}) {
    CHECK(seatmap_of(*cache, id) != nullptr);
    CHECK(cache->size() <= 2);
  }
}

TEST_CASE("idempotency answers are bounded in memory: older ones replay from storage, new keys "
          "are taken") {
  sg::test::edge_options opts;
  opts.api.idempotency_max_records = 2;
  sg::test::edge_fixture edge{opts};
  auto c = edge.client();
  auto sign_up = [&](const std::string& email, const std::string& key) {
    return c.request("POST", "/v1/accounts",
                     json{{"email", email}, {"password", "correct horse"}}.dump(),
                     {{"Idempotency-Key", key}});
  };
  auto cached = [&] {
    auto text = c.request("GET", "/metrics").body();
    auto at = text.find("\nseatgrab_http_idempotency_records_cached ");
    REQUIRE(at != std::string::npos);
    return std::stoul(text.substr(at + 42));
  };
  std::vector<std::string> bodies;
  for (int i = 0; i < 5; ++i) {
    auto res = sign_up("fan" + std::to_string(i) + "@example.com", "k" + std::to_string(i));
    REQUIRE_MESSAGE(res.result_int() == 201, res.body());
    bodies.push_back(res.body());
    CHECK(cached() <= 2);
  }
  CHECK(cached() == 2);
  // The first answers left memory, yet a retry replays them from storage and runs nothing.
  for (int i = 0; i < 5; ++i) {
    auto replay = sign_up("fan" + std::to_string(i) + "@example.com", "k" + std::to_string(i));
    CHECK(replay.result_int() == 201);
    CHECK(replay["Idempotent-Replayed"] == "true");
    CHECK(replay.body() == bodies[i]);
  }
  // The same old key with another request is still a reuse.
  auto reused = sign_up("someone-else@example.com", "k0");
  CHECK(reused.result_int() == 422);
  CHECK(body_of(reused)["code"] == "idempotency_key_reused");
  CHECK(cached() <= 2);
}
