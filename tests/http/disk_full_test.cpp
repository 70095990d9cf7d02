// A real `seatgrab serve` whose data dir is a small tmpfs that fills up mid-sale: the node
// stays up, refuses writes with 503 + Retry-After and `storage_full`, serves reads, says why
// in /healthz, takes writes again once space is freed (no restart), and after kill -9 and a
// restart every acknowledged hold or release is there and nothing refused is.
#include "tests/http/edge_fixture.hpp"
#include "tests/persistence/tmpfs.hpp"
#include "tests/support/server_process.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <unistd.h>

using nlohmann::json;
namespace sg = seatgrab;
using steady = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

/// One fan who holds and releases seats one request at a time, remembering what the node
/// acknowledged: for each seat, "held" or "free" after its last acknowledged change, and the
/// seats whose last change was refused (a refused hold may have reached some of the actors on
/// its path, e.g. the section but not the session: an orphan that expires by itself).
struct fan {
  sg::test::http_client& c;
  std::string token;
  std::string admission;
  std::map<std::string, std::string> expected; // seat -> held|free
  std::map<std::string, std::string> holds;    // seat -> hold id, while held
  std::set<std::string> uncertain;

  /// Signs up, logs in, joins the queue with its own device and waits for admission.
  fan(sg::test::http_client& client, const std::string& name) : c(client) {
    auto creds = json{{"email", name + "@example.com"}, {"password", "correct horse"}}.dump();
    REQUIRE(c.request("POST", "/v1/accounts", creds).result_int() == 201);
    token = json::parse(c.request("POST", "/v1/sessions", creds).body())["token"];
    auto joined =
        c.with_token(token, "POST", "/v1/events/gig/queue", json{{"device", name}}.dump());
    REQUIRE(joined.result_int() == 201);
    auto target = "/v1/events/gig/queue/" +
                  std::to_string(json::parse(joined.body())["ticket"].get<uint64_t>());
    for (int k = 0; k < 10 && admission.empty(); ++k) {
      auto st = json::parse(c.with_token(token, "GET", target).body());
      if (st["state"] == "admitted")
        admission = st["admission_token"];
      else
        c.read_events(target + "/stream", 2, {{"Authorization", "Bearer " + token}},
                      std::chrono::seconds{5});
    }
    REQUIRE_FALSE(admission.empty());
  }

  /// Records the outcome of a change of `seat` to `state`.
  void record(const sg::test::http_response& res, const std::string& seat,
              const std::string& state) {
    if (res.result_int() / 100 == 2) {
      expected[seat] = state;
      uncertain.erase(seat);
    } else {
      uncertain.insert(seat);
    }
  }

  /// Holds `seat`; the response.
  sg::test::http_response hold(const std::string& seat) {
    auto res = c.with_token(token, "POST", "/v1/events/gig/holds", json{{"seats", {seat}}}.dump(),
                            {{"X-Admission-Token", admission}});
    if (res.result_int() == 201)
      holds[seat] = json::parse(res.body())["id"].get<std::string>();
    record(res, seat, "held");
    return res;
  }

  /// Releases the hold of `seat`; the response.
  sg::test::http_response release(const std::string& seat) {
    auto res = c.with_token(token, "DELETE", "/v1/holds/" + holds.at(seat));
    if (res.result_int() / 100 == 2)
      holds.erase(seat);
    record(res, seat, "free");
    return res;
  }

  /// One write: releases `seat` if held, else holds it.
  sg::test::http_response toggle(const std::string& seat) {
    return holds.count(seat) ? release(seat) : hold(seat);
  }
};

/// A refused write: 503, Retry-After, problem+json; its code.
std::string refused_code(const sg::test::http_response& res) {
  CHECK_MESSAGE(res.result_int() == 503, res.body());
  CHECK_FALSE(res[boost::beast::http::field::retry_after].empty());
  CHECK(res[boost::beast::http::field::content_type] == "application/problem+json");
  auto j = json::parse(res.body(), nullptr, false);
  return j.is_object() && j.contains("code") ? j["code"].get<std::string>() : "";
}

} // namespace

TEST_CASE("a full disk mid-sale: writes get 503, reads 200, writing resumes once space returns") {
  auto where = std::filesystem::temp_directory_path() /
               ("seatgrab-http-diskfull-" + std::to_string(::getpid()));
  sg::test::tmpfs_mount mnt{where, "8m"};
  if (!mnt.mounted) {
    MESSAGE("skipped: " << mnt.why);
    return;
  }
  auto dir = where / "data";
  std::map<std::string, std::string> expected;
  std::set<std::string> uncertain;
  {
    sg::test::server_process srv{SEATGRAB_BIN, dir, sg::test::admin_token};
    sg::test::http_client c{srv.port};
    REQUIRE(c.with_token(sg::test::admin_token, "POST", "/v1/admin/venues",
                         sg::domain::to_json(sg::test::small_venue()))
                .result_int() == 201);
    REQUIRE(c.with_token(sg::test::admin_token, "POST", "/v1/admin/events",
                         json{{"id", "gig"},
                              {"venue_id", "hall"},
                              {"name", "Gig"},
                              {"opens_at", "2020-01-01T00:00:00Z"},
                              {"admission_per_min", 600000},
                              {"queue_mode", "fifo"}}
                             .dump())
                .result_int() == 201);
    // Three fans on their own seats: one fills the disk, one is refused, one resumes.
    fan filling{c, "filling"}, refused_fan{c, "refused"}, resuming{c, "resuming"};
    REQUIRE(filling.hold("A-1-1").result_int() == 201); // kept throughout
    const std::vector<std::string> fill_seats{"A-1-2", "A-1-3", "A-1-4", "A-1-5", "A-1-6"};

    // Fill the disk, then write until the journal hits ENOSPC.
    auto filler = sg::test::fill(where, 64 * 1024);
    sg::test::http_response first;
    bool full = false;
    int acked_while_filling = 0;
    for (int i = 0; i < 5000 && !full; ++i) {
      first = filling.toggle(fill_seats[i % fill_seats.size()]);
      if (first.result_int() / 100 == 2)
        ++acked_while_filling;
      else
        full = true;
    }
    REQUIRE_MESSAGE(full, "the disk never filled");
    MESSAGE("first refused write after " << acked_while_filling
                                         << " acknowledged: " << first.body());
    refused_code(first);
    int refused = 1;
    // The node lives; writes are refused with the code, reads are served.
    REQUIRE(::kill(srv.proc.pid, 0) == 0);
    for (const auto& seat : {"B-1-1", "B-1-2", "B-1-3", "B-1-4", "B-1-5"}) {
      CHECK(refused_code(refused_fan.hold(seat)) == "storage_full");
      ++refused;
    }
    CHECK(c.request("GET", "/v1/events/gig/seatmap").result_int() == 200);
    CHECK(c.request("GET", "/v1/events/gig").result_int() == 200);
    CHECK(c.request("GET", "/v1/events").result_int() == 200);
    CHECK(c.with_token(filling.token, "GET", "/v1/tickets").result_int() == 200);
    auto health = c.request("GET", "/healthz");
    CHECK(health.result_int() == 200);
    auto h = json::parse(health.body());
    CHECK(h["status"] == "degraded");
    CHECK(h["code"] == "storage_full");
    CHECK(h["writes"] == "refused");
    CHECK(h["reason"].get<std::string>().find("No space left") != std::string::npos);
    REQUIRE(::kill(srv.proc.pid, 0) == 0);

    // Space returns: writes are taken again, without a restart.
    std::filesystem::remove(filler);
    auto freed = steady::now();
    const std::vector<std::string> resume_seats{"B-2-1", "B-2-2", "B-2-3",
                                                "B-2-4", "B-2-5", "B-2-6"};
    size_t next = 0;
    int refused_after_free = 0;
    bool resumed = false;
    while (!resumed && next < resume_seats.size() && steady::now() - freed < 30s) {
      auto res = resuming.hold(resume_seats[next]);
      if (res.result_int() == 201) {
        resumed = true;
      } else {
        refused_code(res);
        ++refused;
        ++refused_after_free;
        // A refused hold may leave an orphan on its seat: try the next one once /healthz says
        // the writer resumed (bounded poll).
        ++next;
        for (auto until = steady::now() + 2s; steady::now() < until;)
          if (json::parse(c.request("GET", "/healthz").body())["status"] == "ok")
            break;
      }
    }
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - freed);
    REQUIRE(resumed);
    MESSAGE(refused << " writes refused (" << refused_after_free << " after space was freed); "
                    << "first write accepted " << took.count() << " ms after freeing space");
    for (size_t i = 0; i < 6; ++i)
      if (!filling.uncertain.count(fill_seats[i % fill_seats.size()]))
        CHECK(filling.toggle(fill_seats[i % fill_seats.size()]).result_int() / 100 == 2);
    health = c.request("GET", "/healthz");
    CHECK(json::parse(health.body())["status"] == "ok");
    for (auto* f : {&filling, &refused_fan, &resuming}) {
      expected.insert(f->expected.begin(), f->expected.end());
      uncertain.insert(f->uncertain.begin(), f->uncertain.end());
    }
    srv.kill9();
  }
  // After kill -9 and a restart: the seat of every acknowledged change is as acknowledged.
  sg::test::server_process srv{SEATGRAB_BIN, dir, sg::test::admin_token};
  sg::test::http_client c{srv.port};
  auto map = c.request("GET", "/v1/events/gig/seatmap");
  REQUIRE_MESSAGE(map.result_int() == 200, map.body());
  std::map<std::string, std::string> status;
  auto parsed = json::parse(map.body());
  for (const auto& sec : parsed["sections"])
    for (const auto& s : sec["seats"])
      status[s["id"].get<std::string>()] = s["status"].get<std::string>();
  REQUIRE(status.size() == 24);
  size_t checked = 0;
  for (const auto& entry : expected) {
    const auto& seat = entry.first; // named, not bound: doctest's CHECK_MESSAGE captures them
    const auto& want = entry.second;
    if (uncertain.count(seat))
      continue;
    CHECK_MESSAGE(status.at(seat) == want, seat << " should be " << want);
    ++checked;
  }
  MESSAGE(checked << " seats as acknowledged after kill -9 and restart");
  CHECK(checked >= 6);
}
