// Tests of the event-sourcing frame itself (domain/event_sourced.hpp), on a tiny state that
// borrows the waiting room's event type: a pause flag and a rate.
#include "domain/event_sourced.hpp"
#include "messages/ec.hpp"
#include "messages/waiting_room.pb.h"

#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <span>
#include <string>

using seatgrab::ec;
using namespace seatgrab::domain;
namespace pb = seatgrab::pb;

namespace {

using time_point = std::chrono::sys_time<std::chrono::milliseconds>;

const time_point t0{std::chrono::milliseconds{1'796'119'200'000}};

ec code_of(const caf::error& err) {
  REQUIRE(err.category() == caf::atom("seatgrab"));
  return static_cast<ec>(err.code());
}

/// Pauses (only when running) and sets a rate (only a positive one). Joins have no handler.
class pausable : public event_sourced<pausable, pb::waiting_room_event> {
public:
  caf::expected<pb::waiting_room_event> pause(time_point now) {
    auto ev = next_event(now);
    ev.mutable_paused();
    return commit(std::move(ev));
  }

  caf::expected<pb::waiting_room_event> set_rate(uint32_t per_min, time_point now) {
    auto ev = next_event(now);
    ev.mutable_rate_changed()->set_per_min(per_min);
    return commit(std::move(ev));
  }

  bool paused = false;
  uint32_t rate = 0;
  int64_t rate_set_at = 0;

private:
  friend event_sourced;

  static std::span<const kind_handler> handlers() {
    using ev_t = pb::waiting_room_event;
    static constexpr kind_handler table[] = {
        {ev_t::kPaused, [](pausable& st, const ev_t&) { return st.apply_paused(); }},
        {ev_t::kRateChanged, [](pausable& st, const ev_t& ev) { return st.apply_rate(ev); }},
    };
    return table;
  }

  std::string corruption_prefix() const { return "pausable"; }

  caf::error apply_paused() {
    if (paused)
      return corrupt("paused twice");
    paused = true;
    return {};
  }

  caf::error apply_rate(const pb::waiting_room_event& ev) {
    if (ev.rate_changed().per_min() == 0)
      return corrupt("rate 0");
    rate = ev.rate_changed().per_min();
    rate_set_at = ev.at_ms();
    return {};
  }
};

pb::waiting_room_event rate_event(uint64_t version, uint32_t per_min) {
  pb::waiting_room_event ev;
  ev.set_version(version);
  ev.set_at_ms(7);
  ev.mutable_rate_changed()->set_per_min(per_min);
  return ev;
}

} // namespace

TEST_CASE("event_sourced: committed events are numbered 1, 2, ... and stamped") {
  pausable st;
  CHECK(st.version() == 0);
  auto a = st.set_rate(60, t0);
  REQUIRE(a);
  CHECK(a->version() == 1);
  CHECK(a->at_ms() == t0.time_since_epoch().count());
  CHECK(st.rate == 60);
  CHECK(st.rate_set_at == a->at_ms());
  auto b = st.pause(t0 + std::chrono::milliseconds{5});
  REQUIRE(b);
  CHECK(b->version() == 2);
  CHECK(st.version() == 2);
  CHECK(st.paused);
  SUBCASE("replay through apply rebuilds the same state") {
    pausable replica;
    REQUIRE(!replica.apply(*a));
    REQUIRE(!replica.apply(*b));
    CHECK(replica.version() == st.version());
    CHECK(replica.rate == st.rate);
    CHECK(replica.paused == st.paused);
  }
}

TEST_CASE("event_sourced: a wrong version is corruption and changes nothing") {
  pausable st;
  REQUIRE(st.set_rate(60, t0));
  for (uint64_t v : {uint64_t{0}, uint64_t{1}, uint64_t{3}, uint64_t{100}}) {
    CAPTURE(v);
    auto err = st.apply(rate_event(v, 90));
    REQUIRE(err);
    CHECK(code_of(err) == ec::storage_corruption);
    CHECK(seatgrab::render(err).find("does not follow 1") != std::string::npos);
    CHECK(seatgrab::render(err).find("pausable: ") != std::string::npos);
    CHECK(st.version() == 1);
    CHECK(st.rate == 60);
  }
  CHECK(!st.apply(rate_event(2, 90)));
  CHECK(st.version() == 2);
  CHECK(st.rate == 90);
}

TEST_CASE("event_sourced: a failing handler changes nothing, not even the version") {
  pausable st;
  REQUIRE(st.pause(t0));
  auto again = st.pause(t0);
  REQUIRE(!again);
  CHECK(code_of(again.error()) == ec::storage_corruption);
  CHECK(seatgrab::render(again.error()).find("paused twice") != std::string::npos);
  CHECK(st.version() == 1);
  auto err = st.apply(rate_event(2, 0));
  REQUIRE(err);
  CHECK(code_of(err) == ec::storage_corruption);
  CHECK(st.version() == 1);
  CHECK(st.rate == 0);
  // The next event still gets version 2.
  auto next = st.set_rate(30, t0);
  REQUIRE(next);
  CHECK(next->version() == 2);
}

TEST_CASE("event_sourced: an event without a kind, or of a kind without handler, is corruption") {
  pausable st;
  pb::waiting_room_event none;
  none.set_version(1);
  auto err = st.apply(none);
  REQUIRE(err);
  CHECK(code_of(err) == ec::storage_corruption);
  CHECK(seatgrab::render(err).find("event has no kind") != std::string::npos);
  CHECK(st.version() == 0);
  pb::waiting_room_event join;
  join.set_version(1);
  join.mutable_joined()->set_ticket(1);
  err = st.apply(join);
  REQUIRE(err);
  CHECK(code_of(err) == ec::storage_corruption);
  CHECK(st.version() == 0);
}
