#include "domain/waiting_room.hpp"
#include "messages/ec.hpp"

#include <doctest/doctest.h>
#include <openssl/evp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using seatgrab::ec;
using namespace seatgrab::domain;
namespace pb = seatgrab::pb;

namespace {

const time_point t0 = time_point{1'700'000'000'000ms};

waiting_room_seed seed_of(uint8_t k) {
  waiting_room_seed s{};
  for (size_t i = 0; i < s.size(); ++i)
    s[i] = static_cast<uint8_t>(k * 31 + i * 7 + 1);
  return s;
}

// Opens at t0; generous TTL and abandonment so only what a test sets matters.
waiting_room_config make_config(uint32_t per_min = 6000, uint32_t max_active = 1'000'000) {
  waiting_room_config cfg;
  cfg.event_id = "ev1";
  cfg.opens_at = t0;
  cfg.admission_per_min = per_min;
  cfg.max_active_shoppers = max_active;
  cfg.admission_ttl = 24h;
  cfg.abandon_after = 24h;
  return cfg;
}

ec code_of(const caf::error& err) {
  REQUIRE(err.category() == caf::atom("seatgrab"));
  return static_cast<ec>(err.code());
}

// A room plus every event it emitted, for replay checks.
struct harness {
  explicit harness(waiting_room_config c, waiting_room_seed s = seed_of(1))
      : cfg(std::move(c)), seed(s), room(make(cfg, seed)) {}

  static waiting_room_state make(waiting_room_config c, waiting_room_seed s) {
    auto r = waiting_room_state::make(std::move(c), s);
    REQUIRE(r);
    return std::move(*r);
  }

  uint64_t join(uint64_t account, uint64_t device, time_point now) {
    auto r = room.join(account, device, now);
    REQUIRE(r);
    if (r->event)
      events.push_back(*r->event);
    return r->ticket;
  }

  // Fan i gets account i and device 1'000'000'000 + i.
  uint64_t join(uint64_t i, time_point now) { return join(i, 1'000'000'000 + i, now); }

  void open(time_point now) { keep(room.open(now)); }

  // Admitted tickets of this tick, in order.
  std::vector<uint64_t> tick(time_point now) {
    auto ev = room.tick(now);
    if (!ev)
      return {};
    events.push_back(*ev);
    return {ev->tick().admitted().begin(), ev->tick().admitted().end()};
  }

  void keep(caf::expected<pb::waiting_room_event> ev) {
    REQUIRE(ev);
    events.push_back(*ev);
  }

  waiting_room_config cfg;
  waiting_room_seed seed;
  waiting_room_state room;
  std::vector<pb::waiting_room_event> events;
};

std::string sha256_hex(const std::vector<uint8_t>& data) {
  unsigned char out[32];
  unsigned int len = 0;
  REQUIRE(EVP_Digest(data.data(), data.size(), out, &len, EVP_sha256(), nullptr) == 1);
  std::string result;
  char buf[3];
  for (unsigned i = 0; i < len; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", out[i]);
    result += buf;
  }
  return result;
}

std::vector<uint8_t> unhex(const std::string& x) {
  std::vector<uint8_t> result;
  for (size_t i = 0; i + 1 < x.size(); i += 2)
    result.push_back(static_cast<uint8_t>(std::stoi(x.substr(i, 2), nullptr, 16)));
  return result;
}

// The algorithm documented in the header, written out independently.
std::vector<uint64_t> reference_shuffle(std::vector<uint64_t> a, const waiting_room_seed& seed) {
  for (size_t i = a.size() - 1; i >= 1; --i) {
    unsigned char in[40];
    std::copy(seed.begin(), seed.end(), in);
    for (int k = 0; k < 8; ++k)
      in[32 + k] = static_cast<unsigned char>((static_cast<uint64_t>(i) >> (8 * (7 - k))) & 0xff);
    unsigned char h[32];
    unsigned int len = 0;
    EVP_Digest(in, sizeof in, h, &len, EVP_sha256(), nullptr);
    uint64_t r = 0;
    for (int k = 0; k < 8; ++k)
      r = r * 256 + h[k];
    std::swap(a[i], a[r % (i + 1)]);
  }
  return a;
}

std::vector<uint64_t> iota_tickets(uint64_t n) {
  std::vector<uint64_t> v(n);
  std::iota(v.begin(), v.end(), uint64_t{1});
  return v;
}

} // namespace

TEST_CASE("waiting room: config is validated") {
  auto cfg = make_config();
  cfg.event_id.clear();
  CHECK(code_of(waiting_room_state::make(cfg, seed_of(1)).error()) == ec::invalid_input);
  cfg = make_config(0);
  CHECK(code_of(waiting_room_state::make(cfg, seed_of(1)).error()) == ec::invalid_input);
  cfg = make_config(6000, 0);
  CHECK(code_of(waiting_room_state::make(cfg, seed_of(1)).error()) == ec::invalid_input);
  cfg = make_config();
  cfg.tick = 0ms;
  CHECK(code_of(waiting_room_state::make(cfg, seed_of(1)).error()) == ec::invalid_input);
}

TEST_CASE("waiting room: after opening admission order is join order") {
  harness h{make_config(6000)};
  h.open(t0);
  for (uint64_t i = 1; i <= 300; ++i)
    CHECK(h.join(i, t0 + std::chrono::milliseconds(i)) == i);
  CHECK(h.room.admission_order() == iota_tickets(300));
  std::vector<uint64_t> admitted;
  for (int s = 1; s <= 5; ++s)
    for (auto t : h.tick(t0 + std::chrono::seconds(s)))
      admitted.push_back(t);
  CHECK(admitted == iota_tickets(300));
}

TEST_CASE("waiting room: the pacer admits rate x time, smoothly") {
  SUBCASE("6000 per minute, 120 ticks") {
    harness h{make_config(6000)};
    h.open(t0);
    for (uint64_t i = 1; i <= 20'000; ++i)
      h.join(i, t0);
    for (int s = 1; s <= 120; ++s) {
      auto n = h.tick(t0 + std::chrono::seconds(s)).size();
      CHECK(n == 100);
    }
    auto admitted = h.room.counters().admitted;
    CHECK(admitted >= 11'900);
    CHECK(admitted <= 12'100);
  }
  SUBCASE("5000 per minute: 83 or 84 a tick, 5000 a minute exactly") {
    harness h{make_config(5000)};
    h.open(t0);
    for (uint64_t i = 1; i <= 6000; ++i)
      h.join(i, t0);
    for (int s = 1; s <= 60; ++s) {
      auto n = h.tick(t0 + std::chrono::seconds(s)).size();
      CHECK((n == 83 || n == 84));
    }
    CHECK(h.room.counters().admitted == 5000);
  }
  SUBCASE("a long gap between ticks does not burst") {
    harness h{make_config(6000)};
    h.open(t0);
    for (uint64_t i = 1; i <= 1000; ++i)
      h.join(i, t0);
    CHECK(h.tick(t0 + 1s).size() == 100);
    CHECK(h.tick(t0 + 120s).size() <= 101);
  }
}

TEST_CASE("waiting room: never more than max_active_shoppers; done and expiry free slots") {
  auto cfg = make_config(6000, 50);
  cfg.admission_ttl = 30s;
  harness h{cfg};
  h.open(t0);
  for (uint64_t i = 1; i <= 1000; ++i)
    h.join(i, t0);
  for (int s = 1; s <= 20; ++s) {
    h.tick(t0 + std::chrono::seconds(s));
    CHECK(h.room.counters().active_now <= 50);
  }
  CHECK(h.room.counters().admitted == 50);
  // Check-out and leave free slots, refilled at the next tick in queue order.
  h.keep(h.room.checked_out(1, t0 + 20s));
  h.keep(h.room.leave(2, t0 + 20s));
  CHECK(h.room.counters().active_now == 48);
  CHECK(h.tick(t0 + 21s) == std::vector<uint64_t>{51, 52});
  CHECK(h.room.counters().active_now == 50);
  // Tickets 3..50 were admitted at t0 + 1s; at t0 + 31s their 30 s are up.
  auto st = h.room.status(3, t0 + 31s);
  REQUIRE(st);
  CHECK(st->state == fan_state::expired); // even before the tick applies it
  auto ev = h.room.tick(t0 + 31s);
  REQUIRE(ev);
  h.events.push_back(*ev);
  CHECK(ev->tick().expired_size() == 48);
  CHECK(ev->tick().admitted_size() == 48);
  CHECK(h.room.counters().expired == 48);
  CHECK(h.room.counters().active_now == 50);
  CHECK(h.room.status(3, t0 + 31s)->state == fan_state::expired);
  CHECK(h.room.status(53, t0 + 31s)->state == fan_state::admitted);
  CHECK(h.room.status(53, t0 + 31s)->admission_expires_at == t0 + 61s);
  CHECK(code_of(h.room.checked_out(3, t0 + 32s).error()) == ec::invalid_argument);
}

TEST_CASE("waiting room: verifiable shuffle of the pre-queue") {
  auto run = [](waiting_room_seed seed, queue_mode mode) {
    auto cfg = make_config();
    cfg.mode = mode;
    harness h{cfg, seed};
    for (uint64_t i = 1; i <= 500; ++i)
      h.join(i, t0 - 10min + std::chrono::seconds(i));
    CHECK(!h.room.revealed_seed());
    CHECK(h.room.status(7, t0 - 5min)->position == 0);
    CHECK(h.room.status(7, t0 - 5min)->eta_s == 300);
    CHECK(code_of(h.room.open(t0 - 1ms).error()) == ec::sale_not_open);
    h.open(t0);
    CHECK(code_of(h.room.open(t0 + 1s).error()) == ec::invalid_argument);
    // Post-open joins go after the whole pre-queue.
    CHECK(h.join(501, t0 + 1s) == 501);
    auto order = h.room.admission_order();
    REQUIRE(order.size() == 501);
    CHECK(order.back() == 501);
    order.pop_back();
    return std::pair{order, std::move(h)};
  };
  auto [a, ha] = run(seed_of(1), queue_mode::shuffle);
  auto [b, hb] = run(seed_of(1), queue_mode::shuffle);
  auto [c, hc] = run(seed_of(2), queue_mode::shuffle);
  CHECK(a == b);
  CHECK(a != c);
  CHECK(a != iota_tickets(500));
  auto sorted = a;
  std::sort(sorted.begin(), sorted.end());
  CHECK(sorted == iota_tickets(500)); // a permutation
  // The commitment is the hash of the revealed seed; the order is recomputable from it.
  auto revealed = ha.room.revealed_seed();
  REQUIRE(revealed);
  CHECK(ha.room.seed_commitment() == sha256_hex(unhex(*revealed)));
  CHECK(ha.room.seed_commitment() == seed_commitment_of(seed_of(1)));
  waiting_room_seed seed{};
  auto bytes = unhex(*revealed);
  REQUIRE(bytes.size() == 32);
  std::copy(bytes.begin(), bytes.end(), seed.begin());
  CHECK(reference_shuffle(iota_tickets(500), seed) == a);
  CHECK(shuffle_order(iota_tickets(500), seed) == a);
  // Positions follow the drawn places.
  CHECK(ha.room.status(a[0], t0 + 1s)->position == 1);
  CHECK(ha.room.status(a[499], t0 + 1s)->position == 500);
  auto [f, hf] = run(seed_of(1), queue_mode::fifo);
  CHECK(f == iota_tickets(500));
}

TEST_CASE("waiting room: a pre-queue place does not depend on arrival time") {
  constexpr uint64_t n = 2000;
  harness h{make_config(), seed_of(42)};
  for (uint64_t i = 1; i <= n; ++i)
    h.join(i, t0 - 1h + std::chrono::seconds(i));
  h.open(t0);
  // Pearson correlation between join index and place.
  double mean = (n + 1) / 2.0;
  double sxy = 0;
  double sxx = 0;
  for (uint64_t i = 1; i <= n; ++i) {
    auto place = static_cast<double>(h.room.status(i, t0)->position);
    sxy += (static_cast<double>(i) - mean) * (place - mean);
    sxx += (static_cast<double>(i) - mean) * (static_cast<double>(i) - mean);
  }
  auto r = sxy / sxx; // both variables are permutations of 1..n: equal variances
  MESSAGE("correlation join index / place: " << r);
  CHECK(std::abs(r) < 0.1);
  // Over 50 seeds, the first 10% of joiners sit in the middle on average.
  double sum = 0;
  for (uint8_t s = 0; s < 50; ++s) {
    auto order = shuffle_order(iota_tickets(n), seed_of(static_cast<uint8_t>(100 + s)));
    std::vector<uint64_t> place(n + 1);
    for (uint64_t p = 0; p < n; ++p)
      place[order[p]] = p + 1;
    for (uint64_t i = 1; i <= n / 10; ++i)
      sum += static_cast<double>(place[i]);
  }
  auto early_mean = sum / (50.0 * (n / 10));
  MESSAGE("mean place of the first 10%: " << early_mean);
  // Standard error of this mean is about 577 / sqrt(10000) ≈ 6; allow 5 of them.
  CHECK(std::abs(early_mean - mean) < 30);
}

TEST_CASE("waiting room: one place per account and per device") {
  harness h{make_config()};
  auto t = h.join(7, 70, t0 - 1min);
  CHECK(t == 1);
  CHECK(h.join(7, 71, t0 - 1min) == t); // same account, other device
  // Same device, other account: refused, never handed the device's place.
  auto other = h.room.join(8, 70, t0 - 1min);
  REQUIRE_FALSE(other);
  CHECK(code_of(other.error()) == ec::device_in_use);
  CHECK(h.join(9, 90, t0 - 1min) == 2);
  CHECK(h.events.size() == 2);
  CHECK(h.room.counters().joined == 2);
  CHECK(h.room.ticket_of_account(7) == 1);
  CHECK(h.room.ticket_of_device(90) == 2);
  CHECK(!h.room.ticket_of_account(8));
  CHECK(code_of(h.room.join(0, 5, t0).error()) == ec::invalid_argument);
}

// Issue 13, finding 1: a second account sending a device string the room has seen took over
// that device's place, and with it an admission, so many accounts shopped on one place.
TEST_CASE("waiting room: a device's place is never given to a second account") {
  harness h{make_config(600, 1)};
  auto a = h.join(7, 70, t0 - 1min);
  h.open(t0);
  CHECK(h.tick(t0 + 1s) == std::vector<uint64_t>{a});
  auto before = h.room.status(a, t0 + 1s);
  REQUIRE(before);
  REQUIRE(before->state == fan_state::admitted);
  auto counters = h.room.counters();
  auto version = h.room.version();
  // Account 8 sends account 7's device: refused, and nothing changes.
  auto taken = h.room.join(8, 70, t0 + 2s);
  REQUIRE_FALSE(taken);
  CHECK(code_of(taken.error()) == ec::device_in_use);
  CHECK(!h.room.ticket_of_account(8));
  CHECK(h.room.ticket_of_device(70) == a);
  CHECK(h.room.counters() == counters);
  CHECK(h.room.version() == version);
  auto after = h.room.status(a, t0 + 2s);
  REQUIRE(after);
  CHECK(after->state == fan_state::admitted);
  CHECK(after->admitted_at == before->admitted_at);
  // Account 8 with its own device gets a place of its own, waiting behind the one active
  // shopper (max_active_shoppers is 1).
  auto b = h.join(8, 80, t0 + 3s);
  CHECK(b != a);
  CHECK(h.tick(t0 + 4s).empty());
  CHECK(h.room.counters().active_now == 1);
}

TEST_CASE("waiting room: positions never go back; ETA follows the measured rate") {
  SUBCASE("joins interleaved with ticks") {
    harness h{make_config(600), seed_of(3)};
    uint64_t next = 1;
    for (; next <= 200; ++next)
      h.join(next, t0 - 1min);
    h.open(t0);
    std::vector<uint64_t> last(5000, UINT64_MAX);
    for (int s = 1; s <= 60; ++s) {
      auto now = t0 + std::chrono::seconds(s);
      for (int k = 0; k < 7; ++k, ++next)
        h.join(next, now);
      h.tick(now);
      for (uint64_t t = 1; t < next; ++t) {
        auto st = h.room.status(t, now);
        REQUIRE(st);
        if (st->state != fan_state::waiting)
          continue;
        CHECK(st->position >= 1);
        CHECK(st->position <= last[t]);
        last[t] = st->position;
      }
    }
    CHECK(h.room.counters().admitted == 600);
  }
  SUBCASE("ETA uses the configured rate, then the measured one") {
    harness h{make_config(6000, 30)};
    h.open(t0);
    for (uint64_t i = 1; i <= 200; ++i)
      h.join(i, t0);
    // No measurement yet: 100 per second configured.
    CHECK(h.room.status(130, t0)->position == 130);
    CHECK(h.room.status(130, t0)->eta_s == 2);
    for (int s = 1; s <= 60; ++s)
      h.tick(t0 + std::chrono::seconds(s));
    // Capped at 30 active: 30 admissions in the last minute, 0.5 per second.
    CHECK(h.room.counters().admitted == 30);
    CHECK(h.room.admission_rate(t0 + 60s) == doctest::Approx(0.5));
    CHECK(h.room.status(130, t0 + 60s)->position == 100);
    CHECK(h.room.status(130, t0 + 60s)->eta_s == 200);
  }
}

TEST_CASE("waiting room: abandoned fans are skipped at their turn") {
  auto cfg = make_config(60, 1);
  cfg.admission_ttl = 20s;
  cfg.abandon_after = 10s;
  harness h{cfg};
  h.open(t0);
  for (uint64_t i = 1; i <= 3; ++i)
    h.join(i, t0);
  CHECK(h.tick(t0 + 1s) == std::vector<uint64_t>{1});
  // Ticket 3 polls, ticket 2 does not.
  for (int s = 2; s <= 21; ++s) {
    auto now = t0 + std::chrono::seconds(s);
    REQUIRE(!h.room.seen(3, now));
    h.tick(now);
  }
  CHECK(h.room.status(1, t0 + 21s)->state == fan_state::expired);
  CHECK(h.room.status(2, t0 + 21s)->state == fan_state::skipped);
  CHECK(h.room.status(3, t0 + 21s)->state == fan_state::admitted);
  CHECK(h.room.counters().skipped == 1);
  CHECK(h.room.counters().admitted == 2);
  CHECK(h.room.counters().queue_length == 0);
  CHECK(code_of(h.room.seen(99, t0)) == ec::unknown_ticket);
}

TEST_CASE("waiting room: a waiting fan who leaves is passed without budget") {
  harness h{make_config(120)}; // 2 per tick
  h.open(t0);
  for (uint64_t i = 1; i <= 6; ++i)
    h.join(i, t0);
  h.keep(h.room.leave(2, t0));
  CHECK(h.room.counters().queue_length == 5);
  CHECK(h.tick(t0 + 1s) == std::vector<uint64_t>{1, 3});
  CHECK(h.room.status(4, t0 + 1s)->position == 1);
  CHECK(code_of(h.room.leave(2, t0 + 1s).error()) == ec::invalid_argument);
}

TEST_CASE("waiting room: pause, resume and rate") {
  harness h{make_config(6000)};
  h.open(t0);
  for (uint64_t i = 1; i <= 2000; ++i)
    h.join(i, t0);
  CHECK(h.tick(t0 + 1s).size() == 100);
  h.keep(h.room.pause(t0 + 1s));
  CHECK(code_of(h.room.pause(t0 + 1s).error()) == ec::invalid_argument);
  CHECK(h.room.counters().paused);
  for (int s = 2; s <= 30; ++s)
    CHECK(h.tick(t0 + std::chrono::seconds(s)).empty());
  h.keep(h.room.resume(t0 + 30s));
  CHECK(code_of(h.room.resume(t0 + 30s).error()) == ec::invalid_argument);
  CHECK(h.tick(t0 + 31s).size() == 100); // nothing accrued while paused
  h.keep(h.room.set_rate(600, t0 + 31s));
  CHECK(h.room.counters().rate_per_min == 600);
  // The carry is capped at one tick of the new rate.
  CHECK(h.tick(t0 + 32s).size() == 10);
  CHECK(h.tick(t0 + 33s).size() == 10);
  CHECK(code_of(h.room.set_rate(0, t0).error()) == ec::invalid_argument);
  CHECK(code_of(h.room.set_rate(1'000'001, t0).error()) == ec::invalid_argument);
  CHECK(code_of(h.room.status(99'999, t0).error()) == ec::unknown_ticket);
  CHECK(code_of(h.room.status(0, t0).error()) == ec::unknown_ticket);
  CHECK(code_of(h.room.leave(99'999, t0).error()) == ec::unknown_ticket);
}

TEST_CASE("waiting room: 500,000 joins, memory per fan") {
  constexpr uint64_t n = 500'000;
  harness h{make_config()};
  h.events.reserve(0);
  auto start = std::chrono::steady_clock::now();
  for (uint64_t i = 1; i <= n; ++i) {
    // Hashes as the edge would supply them: spread over 64 bits.
    auto account = i * 0x9e3779b97f4a7c15ULL;
    auto r = h.room.join(account, account ^ 0x5555'5555'5555'5555ULL, t0 - 1h);
    REQUIRE(r);
    REQUIRE(r->ticket == i);
  }
  auto joined = std::chrono::steady_clock::now();
  REQUIRE(h.room.open(t0));
  auto opened = std::chrono::steady_clock::now();
  using ms = std::chrono::duration<double, std::milli>;
  MESSAGE(n << " joins: " << ms(joined - start).count()
            << " ms, opening (shuffle): " << ms(opened - joined).count() << " ms");
  CHECK(h.room.counters().joined == n);
  CHECK(h.room.counters().queue_length == n);
  CHECK(h.room.admission_order().size() == n);
  auto per_fan = static_cast<double>(h.room.memory_bytes()) / n;
  MESSAGE("memory per fan (accounting): " << per_fan << " bytes");
  CHECK(per_fan <= 200);
}

TEST_CASE("waiting room: replaying the events rebuilds the same room") {
  auto cfg = make_config(600, 40);
  cfg.admission_ttl = 45s;
  cfg.abandon_after = 20s;
  harness h{cfg, seed_of(9)};
  uint64_t next = 1;
  for (; next <= 150; ++next)
    h.join(next, t0 - 5min);
  h.join(1, 999, t0 - 4min); // a duplicate: no event
  h.open(t0);
  for (int s = 1; s <= 240; ++s) {
    auto now = t0 + std::chrono::seconds(s);
    if (s % 3 == 0)
      h.join(next++, now);
    // Every odd ticket polls, even ones give up sooner or later.
    for (uint64_t t = 1; t < next; t += 2)
      REQUIRE(!h.room.seen(t, now));
    if (s == 50)
      h.keep(h.room.pause(now));
    if (s == 70)
      h.keep(h.room.resume(now));
    if (s == 100)
      h.keep(h.room.set_rate(1200, now));
    if (s % 7 == 0) {
      for (uint64_t t = 1; t < next; ++t)
        if (h.room.status(t, now)->state == fan_state::admitted) {
          h.keep(t % 2 == 0 ? h.room.leave(t, now) : h.room.checked_out(t, now));
          break;
        }
    }
    if (s == 11)
      h.keep(h.room.leave(next - 1, now)); // a waiting fan leaves
    h.tick(now);
  }
  const auto& c = h.room.counters();
  MESSAGE("admitted " << c.admitted << ", skipped " << c.skipped << ", expired " << c.expired
                      << ", done " << c.done << ", events " << h.events.size());
  CHECK(c.admitted > 0);
  CHECK(c.skipped > 0);
  CHECK(c.expired > 0);
  CHECK(c.done > 0);
  auto replayed = harness::make(cfg, seed_of(9));
  for (const auto& ev : h.events)
    REQUIRE(!replayed.apply(ev));
  CHECK(replayed.version() == h.room.version());
  CHECK(replayed.counters() == h.room.counters());
  CHECK(replayed.admission_order() == h.room.admission_order());
  for (auto at : {t0 + 240s, t0 + 300s})
    for (uint64_t t = 1; t < next; ++t)
      CHECK(*replayed.status(t, at) == *h.room.status(t, at));
  // The device each ticket joined with (admission tokens are bound to it); the duplicate join
  // above did not change ticket 1's.
  CHECK(replayed.device_of(1) == 1'000'000'001u);
  for (uint64_t t = 1; t < next; ++t)
    CHECK(replayed.device_of(t) == h.room.device_of(t));
  CHECK_FALSE(replayed.device_of(next));
  SUBCASE("events that do not fit are storage_corruption") {
    auto fresh = harness::make(cfg, seed_of(9));
    CHECK(code_of(fresh.apply(h.events[1])) == ec::storage_corruption); // version gap
    auto other = harness::make(cfg, seed_of(10));                       // another seed
    for (size_t i = 0; i < 150; ++i)
      REQUIRE(!other.apply(h.events[i]));
    CHECK(h.events[150].has_opened());
    CHECK(code_of(other.apply(h.events[150])) == ec::storage_corruption);
    // A tick admitting a fan who is not at the head of the queue.
    auto bad = std::move(replayed); // moves only: a copy would share the board
    uint64_t far = 0;
    for (uint64_t k = 0; k < 5; ++k) {
      auto j = bad.join(50'000 + k, 60'000 + k, t0 + 241s);
      REQUIRE(j);
      far = j->ticket;
    }
    REQUIRE(bad.status(far, t0 + 241s)->position > 1);
    auto before = bad.counters();
    pb::waiting_room_event ev;
    ev.set_version(bad.version() + 1);
    ev.set_at_ms((t0 + 241s).time_since_epoch().count());
    ev.mutable_tick()->add_admitted(far);
    CHECK(code_of(bad.apply(ev)) == ec::storage_corruption);
    CHECK(bad.counters() == before);
  }
}

TEST_CASE("waiting room: closing ends the sale: no joins, no admissions, the waiting are told") {
  harness h{make_config(60, 2)}; // one admission a second, two shoppers at once
  h.open(t0);
  for (uint64_t i = 1; i <= 5; ++i)
    h.join(i, t0);
  CHECK(h.tick(t0 + 1s) == std::vector<uint64_t>{1});
  auto closed = h.room.close(t0 + 1s);
  REQUIRE(closed);
  CHECK(closed->has_closed());
  h.events.push_back(*closed);
  CHECK(h.room.counters().closed);
  auto version = h.room.version();
  CHECK_FALSE(h.room.close(t0 + 2s)); // closed already: nothing new
  CHECK(h.room.version() == version);
  // Nobody more is admitted, however long the pacer runs; the admitted fan keeps shopping.
  for (int s = 2; s <= 30; ++s)
    CHECK(h.tick(t0 + std::chrono::seconds(s)).empty());
  CHECK(h.room.status(1, t0 + 30s)->state == fan_state::admitted);
  // The waiting see that the sale is over, with no position or wait to hope on.
  auto waiting = h.room.status(2, t0 + 30s);
  REQUIRE(waiting);
  CHECK(waiting->state == fan_state::closed);
  CHECK(waiting->position == 0);
  CHECK(waiting->eta_s == 0);
  CHECK(to_string(fan_state::closed) == "closed");
  // A new fan is refused; a fan who joined gets their place back, as before.
  auto late = h.room.join(99, 1'000'000'099, t0 + 31s);
  REQUIRE_FALSE(late);
  CHECK(code_of(late.error()) == ec::sale_not_open);
  auto known = h.room.join(3, 1'000'000'003, t0 + 31s);
  REQUIRE(known);
  CHECK(known->ticket == 3);
  CHECK_FALSE(known->event);
  // The admitted fan's slot still frees when they are done.
  h.keep(h.room.checked_out(1, t0 + 32s));
  CHECK(h.tick(t0 + 33s).empty());

  // Replay rebuilds the closed room; an admission after the close does not fit.
  auto replayed = harness::make(h.cfg, h.seed);
  for (const auto& ev : h.events)
    REQUIRE(!replayed.apply(ev));
  CHECK(replayed.counters() == h.room.counters());
  CHECK(replayed.status(2, t0 + 40s)->state == fan_state::closed);
  pb::waiting_room_event forged;
  forged.set_version(replayed.version() + 1);
  forged.set_at_ms((t0 + 41s).time_since_epoch().count());
  forged.mutable_tick()->add_admitted(2);
  CHECK(code_of(replayed.apply(forged)) == ec::storage_corruption);
}

TEST_CASE("waiting room: a room closed before opening never opens") {
  harness h{make_config()};
  h.join(1, t0 - 1min);
  REQUIRE(h.room.close(t0 - 30s));
  auto open = h.room.open(t0, false);
  REQUIRE_FALSE(open);
  CHECK(code_of(open.error()) == ec::sale_not_open);
  CHECK_FALSE(h.room.tick(t0 + 1s));
  CHECK(h.room.status(1, t0 + 1s)->state == fan_state::closed);
}
