// kill -9 of `seatgrab serve` through the whole stack: cycles of load (holds, checkouts,
// refunds, transfers), a kill at a point drawn from the printed seed, a restart on the same
// data dir, retries of every unanswered request with its Idempotency-Key, then every
// acknowledged answer checked over HTTP and the journals checked by the independent verifier.
// `SEATGRAB_SEED=N` replays a run; `SEATGRAB_HTTP_CRASH_CYCLES=N` sets the cycles (5 here, 50
// under the `stress` label: ctest entry stress_http_crash).
#include "tests/http/crash_support.hpp"
#include "tests/support/eventually.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using nlohmann::json;
namespace sg = seatgrab;
using sg::test::eventually;
using sg::test::crash::fan_set;
using sg::test::crash::now_ms;

namespace {

constexpr int fans = 6;
constexpr int64_t hold_ttl_ms = 3000;

/// One mutating request, kept until its answer is known.
struct op {
  enum kind_t { hold, checkout, transfer, refund } kind = hold;
  int fan = 0;
  std::string target, body, key;
  std::string hold_id, ticket; ///< checkout: its hold; transfer and refund: the ticket
  int to = -1;                 ///< transfer: the recipient
  std::string seat;            ///< hold: the seat
  int64_t sent_ms = 0;
};

struct ticket_model {
  std::string seat, order;
  int owner = 0;
  bool refunded = false;
  bool in_doubt = false; ///< a transfer or refund of it is unanswered
};

/// What the server acknowledged, over all cycles. Guarded by `mtx`.
struct ledger {
  std::mutex mtx;
  std::condition_variable progress;
  struct hold_model {
    int fan = 0;
    std::string seat;
    int64_t sent_ms = 0;
    bool checked_out = false;
  };
  std::map<std::string, hold_model> holds;
  std::map<std::string, std::pair<int, std::set<std::string>>> orders; // id -> fan, tickets
  std::map<std::string, ticket_model> tickets;
  std::vector<op> unanswered;
  std::vector<std::string> problems; ///< found on load threads, reported by the main one
  uint64_t acks = 0, cycle_acks = 0, retried = 0, refunds = 0, transfers = 0;
  uint64_t cycle_sends = 0; ///< requests sent this cycle, answered or not

  /// A request is about to leave. Call with `mtx` held.
  void sent() {
    ++cycle_sends;
    progress.notify_all();
  }

  /// Applies a final answer (2xx or 4xx) to `o`. Call with `mtx` held.
  void apply(const op& o, unsigned status, const std::string& body) {
    auto ok = status / 100 == 2;
    if (o.kind == op::transfer || o.kind == op::refund)
      tickets.at(o.ticket).in_doubt = false;
    if (!ok)
      return;
    ++acks;
    ++cycle_acks;
    auto j = json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      problems.push_back(o.target + " answered " + std::to_string(status) + ": " + body);
      return;
    }
    switch (o.kind) {
    case op::hold:
      holds[j["id"].get<std::string>()] = {o.fan, o.seat, o.sent_ms, false};
      break;
    case op::checkout: {
      auto id = j["order_id"].get<std::string>();
      if (j["state"] != "completed")
        problems.push_back(o.target + ": an order answered 201 but not completed: " + body);
      auto& order = orders[id];
      order.first = o.fan;
      for (const auto& t : j["tickets"]) {
        auto tid = t["id"].get<std::string>();
        order.second.insert(tid);
        // A replayed answer must not undo a later transfer or refund of its tickets.
        tickets.try_emplace(tid,
                            ticket_model{t["seat"].get<std::string>(), id, o.fan, false, false});
      }
      holds[o.hold_id].checked_out = true;
      break;
    }
    case op::transfer:
      tickets.at(o.ticket).owner = o.to;
      ++transfers;
      break;
    case op::refund:
      tickets.at(o.ticket).refunded = true;
      ++refunds;
      break;
    }
  }
};

/// Sends `o` as fan `o.fan`; the answer, or nothing if the connection died (the node is gone).
std::optional<sg::test::http_response> send(sg::test::http_client& c, const fan_set& f,
                                            const op& o) {
  try {
    return c.with_token(f.tokens[o.fan], "POST", o.target, o.body,
                        {{"Idempotency-Key", o.key}, {"X-Admission-Token", f.admissions[o.fan]}});
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

/// One fan's load until `stop`: holds a random seat, buys two holds in three, refunds or
/// passes on tickets it owns. Unanswered requests go to `l.unanswered`.
void load(int fan, uint64_t seed, const std::string& tag, uint16_t port, const fan_set& f,
          ledger& l, const std::atomic<bool>& stop) {
  std::mt19937_64 rng{seed};
  sg::test::http_client c{port};
  for (int n = 0; !stop; ++n) {
    op o;
    o.fan = fan;
    o.key = tag + "-f" + std::to_string(fan) + "-" + std::to_string(n);
    o.sent_ms = now_ms();
    {
      std::lock_guard lock{l.mtx};
      std::vector<std::string> mine;
      for (const auto& [id, t] : l.tickets)
        if (t.owner == fan && !t.refunded && !t.in_doubt)
          mine.push_back(id);
      auto r = rng() % 10;
      if (!mine.empty() && r < 5) {
        o.ticket = mine[rng() % mine.size()];
        l.tickets.at(o.ticket).in_doubt = true;
        if (r < 3) {
          o.kind = op::refund;
          o.target = "/v1/tickets/" + o.ticket + "/refund";
        } else {
          o.kind = op::transfer;
          o.to = static_cast<int>((static_cast<uint64_t>(fan) + 1 + rng() % (fans - 1)) % fans);
          o.target = "/v1/tickets/" + o.ticket + "/transfer";
          o.body = json{{"to", f.emails[o.to]}}.dump();
        }
      } else {
        o.seat = std::string{rng() % 2 ? "A" : "B"} + "-" + std::to_string(1 + rng() % 2) + "-" +
                 std::to_string(1 + rng() % 6);
        o.target = "/v1/events/gig/holds";
        o.body = json{{"seats", {o.seat}}}.dump();
      }
      l.sent();
    }
    auto res = send(c, f, o);
    std::unique_lock lock{l.mtx};
    if (!res || res->result_int() >= 500) {
      l.unanswered.push_back(o);
      return; // the node is gone (or going): stop until the next cycle
    }
    l.apply(o, res->result_int(), res->body());
    l.progress.notify_all();
    if (o.kind != op::hold || res->result_int() != 201 || rng() % 3 == 0)
      continue;
    op pay;
    pay.kind = op::checkout;
    pay.fan = fan;
    auto receipt = json::parse(res->body(), nullptr, false);
    if (receipt.is_discarded() || !receipt.contains("id"))
      continue; // reported by apply
    pay.hold_id = receipt["id"];
    pay.key = o.key + "-pay";
    pay.target = "/v1/holds/" + pay.hold_id + "/checkout";
    pay.body = json{{"card", "4242424242424242"}}.dump();
    pay.sent_ms = now_ms();
    l.sent();
    lock.unlock();
    auto paid = send(c, f, pay);
    lock.lock();
    if (!paid || paid->result_int() >= 500) {
      l.unanswered.push_back(pay);
      return;
    }
    l.apply(pay, paid->result_int(), paid->body());
    l.progress.notify_all();
  }
}

/// Whether `res` is the final answer to a request: 2xx or 4xx, but not 409
/// `request_in_progress` (the same key is still running: ask again).
bool final_answer(const std::optional<sg::test::http_response>& res) {
  if (!res || res->result_int() >= 500)
    return false;
  return res->result_int() != 409 || res->body().find("request_in_progress") == std::string::npos;
}

/// After a restart: every unanswered request again, with its key, until it has a final answer.
void retry_unanswered(uint16_t port, const fan_set& f, ledger& l) {
  std::vector<op> todo;
  {
    std::lock_guard lock{l.mtx};
    todo.swap(l.unanswered);
  }
  sg::test::http_client c{port};
  for (const auto& o : todo) {
    std::optional<sg::test::http_response> res;
    eventually([&] {
      res = send(c, f, o);
      return final_answer(res);
    });
    REQUIRE_MESSAGE(res, "no answer to the retry of " << o.target);
    REQUIRE_MESSAGE(final_answer(res), o.target << ": " << res->body());
    std::lock_guard lock{l.mtx};
    ++l.retried;
    l.apply(o, res->result_int(), res->body());
  }
}

/// The elements of `a` not in `b`, space separated.
std::string describe_difference(const std::set<std::string>& a, const std::set<std::string>& b) {
  std::string out;
  for (const auto& x : a)
    if (b.count(x) == 0)
      out += (out.empty() ? "" : " ") + x;
  return out.empty() ? "none" : out;
}

/// Every acknowledged answer holds on the restarted node, and no seat is sold twice.
void check_acknowledged(uint16_t port, const fan_set& f, ledger& l, uint64_t cycle) {
  CAPTURE(cycle);
  sg::test::http_client c{port};
  // Refunded seats go back on sale asynchronously after a restart: wait (bounded) until the
  // sold seats are exactly the seats of the valid tickets, one valid ticket each.
  std::map<std::string, std::string> status;
  std::map<std::string, std::pair<int, json>> listed; // ticket id -> owner, ticket
  std::set<std::string> sold_seats, valid_seats, twice;
  auto settled = eventually(
      [&] {
        status = sg::test::crash::seat_status(c);
        listed.clear();
        for (int i = 0; i < fans; ++i) {
          auto res = c.with_token(f.tokens[i], "GET", "/v1/tickets");
          REQUIRE_MESSAGE(res.result_int() == 200, res.body());
          // Named: a loop over a member of the temporary `json::parse(...)` would read freed
          // memory (the temporary dies before the loop body runs).
          auto doc = json::parse(res.body());
          for (const auto& t : doc["tickets"])
            listed[t["id"].get<std::string>()] = {i, t};
        }
        sold_seats.clear();
        for (const auto& [seat, s] : status)
          if (s == "sold")
            sold_seats.insert(seat);
        valid_seats.clear();
        for (const auto& [id, t] : listed)
          if (t.second["status"] == "valid" &&
              !valid_seats.insert(t.second["seat"].get<std::string>()).second)
            twice.insert(t.second["seat"].get<std::string>());
        return sold_seats == valid_seats;
      },
      std::chrono::seconds{15});
  for (const auto& seat : twice)
    FAIL_CHECK("seat " << seat << " has two valid tickets");
  REQUIRE_MESSAGE(settled, sold_seats.size() << " seats sold but " << valid_seats.size()
                                             << " valid tickets; sold without a valid ticket: "
                                             << describe_difference(sold_seats, valid_seats)
                                             << "; a valid ticket without a sale: "
                                             << describe_difference(valid_seats, sold_seats));
  std::lock_guard lock{l.mtx};
  auto now = now_ms();
  // Loops name their elements (no structured bindings): doctest's macros capture them, and
  // clang 14 (the sanitizer build) cannot capture a binding.
  for (const auto& entry : l.holds) {
    const auto& id = entry.first;
    const auto& h = entry.second;
    if (!h.checked_out && h.sent_ms + hold_ttl_ms > now + 500)
      CHECK_MESSAGE((status.at(h.seat) == "held" || status.at(h.seat) == "sold"),
                    "acknowledged hold " << id << " of " << h.seat << " lost");
  }
  for (const auto& entry : l.tickets) {
    const auto& id = entry.first;
    const auto& t = entry.second;
    auto it = listed.find(id);
    if (t.refunded) {
      CHECK_MESSAGE((it == listed.end() || it->second.second["status"] == "refunded"),
                    "acknowledged refund of ticket " << id << " not applied");
      continue;
    }
    REQUIRE_MESSAGE(it != listed.end(), "acknowledged ticket " << id << " lost");
    CHECK_MESSAGE(it->second.first == t.owner, "ticket " << id << " owned by fan "
                                                         << it->second.first
                                                         << ", acknowledged for " << t.owner);
    CHECK(it->second.second["status"] == "valid");
    CHECK(status.at(t.seat) == "sold");
  }
  // Each acknowledged order is there, completed, with its tickets (every 7th cycle, all of
  // them; otherwise the latest few: each is one request).
  size_t skip = cycle % 7 == 0 || l.orders.size() < 12 ? 0 : l.orders.size() - 12;
  for (const auto& entry : l.orders) {
    const auto& id = entry.first;
    const auto& order = entry.second;
    if (skip > 0) {
      --skip;
      continue;
    }
    auto res = c.with_token(f.tokens[order.first], "GET", "/v1/orders/" + id);
    REQUIRE_MESSAGE(res.result_int() == 200, res.body());
    auto o = json::parse(res.body());
    CHECK(o["state"] == "completed");
    std::set<std::string> ids;
    for (const auto& t : o["tickets"])
      ids.insert(t["id"].get<std::string>());
    CHECK_MESSAGE(ids == order.second, "order " << id << " has other tickets than acknowledged");
  }
}

} // namespace

TEST_CASE("kill -9 cycles under load lose no acknowledged hold, order, refund or transfer") {
  auto seed = sg::test::crash::seed();
  auto cycles = sg::test::env_number("SEATGRAB_HTTP_CRASH_CYCLES", 5);
  MESSAGE("seed " << seed << " (SEATGRAB_SEED), " << cycles << " cycles");
  CAPTURE(seed);
  sg::test::temp_dir tmp{"seatgrab-http-crash-"};
  auto dir = tmp / "data";
  std::mt19937_64 rng{seed};
  fan_set f;
  ledger l;
  auto started = std::chrono::steady_clock::now();
  for (uint64_t cycle = 0; cycle < cycles; ++cycle) {
    CAPTURE(cycle);
    auto kill_after = 1 + rng() % 40; // acknowledgements before the kill...
    auto in_flight = 1 + rng() % 4;   // ...then requests sent, unanswered at the kill
    sg::test::server_process srv{SEATGRAB_BIN, dir, sg::test::admin_token};
    if (cycle == 0) {
      sg::test::crash::add_event(srv.port, hold_ttl_ms / 1000);
      f = sg::test::crash::admitted_fans(srv.port, fans);
    } else {
      retry_unanswered(srv.port, f, l);
      check_acknowledged(srv.port, f, l, cycle);
      auto v = sg::test::crash::verify_live(dir, tmp / ("secondary-" + std::to_string(cycle)));
      CHECK_MESSAGE(v.ok(), sg::test::crash::describe(v));
    }
    std::atomic<bool> stop{false};
    std::vector<std::thread> threads;
    {
      std::lock_guard lock{l.mtx};
      l.cycle_acks = 0;
      l.cycle_sends = 0;
    }
    for (int i = 0; i < fans; ++i)
      threads.emplace_back([&, i] {
        load(i, seed * 1000 + cycle * fans + static_cast<uint64_t>(i), "c" + std::to_string(cycle),
             srv.port, f, l, stop);
      });
    {
      // A bounded wait: if the seats are all taken the load acknowledges little.
      std::unique_lock lock{l.mtx};
      l.progress.wait_for(lock, std::chrono::seconds{5},
                          [&] { return l.cycle_acks >= kill_after; });
      // The kill point: just after the load sent `in_flight` more requests, so the node dies
      // with them on the wire or in its journal, not between requests.
      auto target = l.cycle_sends + in_flight;
      l.progress.wait_for(lock, std::chrono::seconds{5}, [&] { return l.cycle_sends >= target; });
      srv.kill9();
    }
    stop = true;
    for (auto& t : threads)
      t.join();
    {
      std::lock_guard lock{l.mtx};
      for (const auto& p : l.problems)
        FAIL_CHECK(p);
      l.problems.clear();
    }
    // What the restart will recover from must already satisfy every journal promise.
    auto v = sg::test::crash::verify_dir(dir, 0, false);
    CHECK_MESSAGE(v.ok(), sg::test::crash::describe(v));
  }
  // The last restart: retries, checks, a graceful stop, and the strict verifier at the end.
  {
    sg::test::server_process srv{SEATGRAB_BIN, dir, sg::test::admin_token};
    retry_unanswered(srv.port, f, l);
    check_acknowledged(srv.port, f, l, 0);
  }
  auto v = sg::test::crash::verify_dir(dir, now_ms() - 2000, true);
  CHECK_MESSAGE(v.ok(), sg::test::crash::describe(v));
  auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  MESSAGE(cycles << " kill -9 cycles in " << secs << " s (" << secs / static_cast<double>(cycles)
                 << " s each), seed " << seed << ": " << l.acks << " acknowledged ("
                 << l.holds.size() << " holds, " << l.orders.size() << " orders, " << l.refunds
                 << " refunds, " << l.transfers << " transfers), " << l.retried
                 << " retried after a restart; verifier: " << v.seats_sold << " sold, "
                 << v.tickets_valid << " valid tickets, " << v.expiries << " expiries, "
                 << v.violations.size() << " violations");
}

TEST_CASE("SIGTERM stops serve gracefully: idle connections close, the journal is flushed") {
  sg::test::temp_dir tmp{"seatgrab-http-sigterm-"};
  auto dir = tmp / "data";
  {
    sg::test::server_process srv{SEATGRAB_BIN, dir, sg::test::admin_token};
    sg::test::http_client c{srv.port};
    auto creds = json{{"email", "a@example.com"}, {"password", "correct horse"}}.dump();
    REQUIRE(c.request("POST", "/v1/accounts", creds).result_int() == 201);
    // A client idling on a kept-alive connection must not keep the server from stopping.
    sg::test::http_client idle{srv.port};
    REQUIRE(idle.request("GET", "/healthz").result_int() == 200);
    ::kill(srv.proc.pid, SIGTERM);
    int status = 0;
    REQUIRE(waitpid(srv.proc.pid, &status, 0) == srv.proc.pid);
    srv.proc.pid = -1;
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
  // Everything acknowledged before the stop is there.
  sg::test::server_process srv{SEATGRAB_BIN, dir, sg::test::admin_token};
  sg::test::http_client c{srv.port};
  CHECK(c.request("POST", "/v1/sessions",
                  json{{"email", "a@example.com"}, {"password", "correct horse"}}.dump())
            .result_int() == 201);
}
