// 1,000 clients race over HTTP for the same 100 seats: no seat may be held twice, and the seat
// map must agree with what the clients were told. Real threads; the seed is printed. The
// clients share a bounded pool of connections (descriptors are counted), and an exception in
// any thread is a test failure, not the end of the test binary.
#include "tests/http/edge_fixture.hpp"
#include "tests/support/seed.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <exception>
#include <latch>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using nlohmann::json;
namespace sg = seatgrab;

namespace {

/// One section "R" of 10 rows x 10 seats ("R-1-1" .. "R-10-10").
sg::domain::venue hundred_seats() {
  sg::domain::venue v;
  v.id = "arena";
  v.name = "Arena";
  v.tiers = {{"std", "Standard", 5000}};
  sg::domain::section s{"R", "Section R", "std", {}};
  for (int r = 1; r <= 10; ++r) {
    sg::domain::row row{std::to_string(r), {}};
    for (uint32_t n = 1; n <= 10; ++n)
      row.seats.push_back(sg::domain::seat{"R-" + std::to_string(r) + "-" + std::to_string(n), n,
                                           double(n), double(r), false, uint32_t(r * 100 + n)});
    s.rows.push_back(std::move(row));
  }
  v.sections.push_back(std::move(s));
  return v;
}

/// Exceptions thrown in worker threads, kept for the test thread to report after the join: one
/// escaping a thread would terminate the whole test binary.
class thread_failures {
public:
  /// `f` with every exception it throws recorded instead of escaping.
  template <class F>
  auto guard(F f) {
    return [this, f = std::move(f)]() mutable {
      try {
        f();
      } catch (const std::exception& e) {
        add(e.what());
      } catch (...) {
        add("an exception that is not a std::exception");
      }
    };
  }

  void add(std::string what) {
    std::lock_guard lock{mtx_};
    what_.push_back(std::move(what));
  }

  /// Fails the test once per recorded exception (from the test's thread), naming `phase`.
  void report(const char* phase) {
    std::lock_guard lock{mtx_};
    for (const auto& w : what_)
      FAIL_CHECK(phase << ": " << w);
    what_.clear();
  }

private:
  std::mutex mtx_;
  std::vector<std::string> what_;
};

/// The highest number of descriptors seen open at once by `note`.
class descriptor_peak {
public:
  void note() {
    auto n = seatgrab::test::open_descriptors();
    auto seen = peak_.load();
    while (n > seen && !peak_.compare_exchange_weak(seen, n)) {
    }
  }
  size_t peak() const { return peak_.load(); }

private:
  std::atomic<size_t> peak_{0};
};

} // namespace

TEST_CASE("1,000 clients racing over HTTP for the same 100 seats never hold one twice") {
  auto seed = seatgrab::test::seed_from_env();
  CAPTURE(seed); // rerun with SEATGRAB_SEED=<seed>
  constexpr int clients = 1000;
  constexpr int workers = 20;      // connections while setting up
  constexpr int connections = 100; // connections in the race, each with its own thread
  thread_failures failures;
  descriptor_peak fds;
  sg::test::edge_options opts;
  opts.api.rate_per_s = 0; // every client comes from 127.0.0.1
  opts.server.threads = 2;
  sg::test::edge_fixture edge{opts};
  {
    auto c = edge.client();
    REQUIRE(c.with_token(sg::test::admin_token, "POST", "/v1/admin/venues",
                         sg::domain::to_json(hundred_seats()))
                .result_int() == 201);
    auto ev = c.with_token(sg::test::admin_token, "POST", "/v1/admin/events",
                           json{{"id", "race"},
                                {"venue_id", "arena"},
                                {"name", "Race"},
                                {"opens_at", "2020-01-01T00:00:00Z"},
                                {"admission_per_min", 1'000'000},
                                {"max_active_shoppers", 100'000},
                                {"queue_mode", "fifo"}}
                               .dump());
    REQUIRE_MESSAGE(ev.result_int() == 201, ev.body());
  }
  // Set up 1,000 fans (sign up, log in, join) from 20 threads.
  struct fan {
    std::string token;
    uint64_t ticket = 0;
    std::string admission;
  };
  std::vector<fan> fans(clients);
  {
    std::vector<std::thread> threads;
    for (int w = 0; w < workers; ++w)
      threads.emplace_back(failures.guard([&, w] {
        auto c = edge.client();
        for (int i = w; i < clients; i += workers) {
          auto email = "fan" + std::to_string(i) + "@example.com";
          auto creds = json{{"email", email}, {"password", "correct horse"}}.dump();
          auto up = c.request("POST", "/v1/accounts", creds);
          if (up.result_int() != 201)
            throw std::runtime_error{"sign-up of " + email + ": " + up.body()};
          auto login = c.request("POST", "/v1/sessions", creds);
          if (login.result_int() != 201)
            throw std::runtime_error{"log-in of " + email + ": " + login.body()};
          fans[i].token = json::parse(login.body())["token"];
          auto joined = c.with_token(fans[i].token, "POST", "/v1/events/race/queue",
                                     json{{"device", "d" + std::to_string(i)}}.dump());
          if (joined.result_int() != 201)
            throw std::runtime_error{"join of " + email + ": " + joined.body()};
          fans[i].ticket = json::parse(joined.body())["ticket"];
          fds.note();
        }
      }));
    for (auto& t : threads)
      t.join();
  }
  failures.report("setting up the fans");
  for (const auto& f : fans)
    REQUIRE(f.ticket != 0);
  // FIFO admits in ticket order: once the fan with the highest ticket is admitted, everyone
  // is. (That is the last fan to join, whatever its index: the 20 threads join in any order.)
  {
    auto c = edge.client();
    const auto& last = *std::max_element(
        fans.begin(), fans.end(), [](const fan& a, const fan& b) { return a.ticket < b.ticket; });
    auto target = "/v1/events/race/queue/" + std::to_string(last.ticket);
    for (int i = 0; i < 10; ++i) {
      if (json::parse(c.with_token(last.token, "GET", target).body())["state"] == "admitted")
        break;
      c.read_events(target + "/stream", 2, {{"Authorization", "Bearer " + last.token}},
                    std::chrono::seconds{5});
    }
    std::vector<std::thread> threads;
    for (int w = 0; w < workers; ++w)
      threads.emplace_back(failures.guard([&, w] {
        auto wc = edge.client();
        for (int i = w; i < clients; i += workers) {
          auto res = wc.with_token(fans[i].token, "GET",
                                   "/v1/events/race/queue/" + std::to_string(fans[i].ticket));
          auto st = json::parse(res.body());
          if (st.value("state", "") != "admitted")
            throw std::runtime_error{"fan " + std::to_string(i) + " (ticket " +
                                     std::to_string(fans[i].ticket) +
                                     ") not admitted: " + res.body()};
          fans[i].admission = st["admission_token"];
        }
      }));
    for (auto& t : threads)
      t.join();
  }
  failures.report("fetching the admission tokens");
  for (const auto& f : fans)
    REQUIRE_FALSE(f.admission.empty());

  // The race: the clients share `connections` kept-alive connections, one thread each;
  // released at once, each thread sends its clients' holds back to back (1 to 3 seats each).
  std::mt19937_64 rng{seed};
  std::vector<std::vector<std::string>> wanted(clients);
  for (auto& w : wanted) {
    std::set<std::string> pick;
    auto n = 1 + rng() % 3;
    while (pick.size() < n)
      pick.insert("R-" + std::to_string(1 + rng() % 10) + "-" + std::to_string(1 + rng() % 10));
    w.assign(pick.begin(), pick.end());
  }
  std::vector<sg::test::http_client> conns;
  for (int i = 0; i < connections; ++i) {
    conns.push_back(edge.client());
    REQUIRE(conns.back().request("GET", "/healthz").result_int() == 200); // connected
  }
  fds.note();
  std::mutex mtx;
  std::map<std::string, std::string> held_by; // seat -> client
  std::vector<std::string> double_held;
  std::map<unsigned, int> statuses;
  std::latch go{connections};
  std::vector<std::thread> racers;
  for (int k = 0; k < connections; ++k)
    racers.emplace_back([&, k] {
      go.arrive_and_wait();
      failures.guard([&, k] {
        for (int i = k; i < clients; i += connections) {
          auto res = conns[k].with_token(fans[i].token, "POST", "/v1/events/race/holds",
                                         json{{"seats", wanted[i]}}.dump(),
                                         {{"X-Admission-Token", fans[i].admission}});
          fds.note();
          std::lock_guard lock{mtx};
          ++statuses[res.result_int()];
          if (res.result_int() != 201)
            continue;
          auto hold = json::parse(res.body()); // named: a temporary would die before the loop
          for (const auto& s : hold["seats"]) {
            auto [it, fresh] = held_by.emplace(s["id"], std::to_string(i));
            if (!fresh)
              double_held.push_back(s["id"]);
          }
        }
      })();
    });
  for (auto& t : racers)
    t.join();
  failures.report("racing");
  MESSAGE("statuses: 201=" << statuses[201] << " 409=" << statuses[409]
                           << " other=" << clients - statuses[201] - statuses[409]);
  MESSAGE("at most " << fds.peak() << " descriptors open at once");
  CHECK(double_held.empty());
  CHECK(statuses[201] + statuses[409] == clients); // every client got a clear answer
  CHECK(statuses[201] >= 34);                      // at least a third of 100 seats went
  // Client and server ends of the connections, the node's files: well under the usual 1,024.
  CHECK(fds.peak() < 512);
  // The seat map shows exactly the seats the winners were told they hold.
  auto c = edge.client();
  std::set<std::string> held_in_map;
  auto map = json::parse(c.request("GET", "/v1/events/race/seatmap").body());
  for (const auto& s : map["sections"][0]["seats"])
    if (s["status"] == "held")
      held_in_map.insert(s["id"]);
  std::set<std::string> told;
  for (const auto& [seat, who] : held_by)
    told.insert(seat);
  CHECK(held_in_map == told);
}
