// The pricing engine on the test coordinator: the 30-s tick moving a section up under demand,
// prices reaching the sections before the waiting room, freeze, the policy locked once the
// sale opened, and levels recovered after a restart.
#include "tests/support/node_fixture.hpp"

#include <doctest/doctest.h>

#include <filesystem>

using namespace std::chrono_literals;
using seatgrab::atom::get_v;
namespace sg = seatgrab;

namespace {

constexpr auto opens_in = 600s;

// Opens 10 minutes after the node starts; admits one fan a minute, so fans keep waiting.
sg::event_info priced_event() {
  auto ev = sg::test::small_event();
  ev.id = "priced";
  ev.opens_at_ms = (sg::test::test_epoch + opens_in).time_since_epoch().count();
  ev.admission_per_min = 1;
  ev.max_active_shoppers = 1;
  ev.queue_mode = "fifo";
  return ev;
}

struct fixture {
  sg::test::node_fixture& node;
  sg::pricing_actor pricing;
  sg::event_actor event;

  static fixture make(sg::test::node_fixture& node, bool add = true) {
    if (add) {
      REQUIRE(node.call<std::string>(node.catalog(), sg::atom::put_v, sg::atom::venue_v,
                                     sg::domain::to_json(sg::test::small_venue())));
      REQUIRE(node.call<std::string>(node.catalog(), sg::atom::put_v, priced_event()));
    }
    auto p = node.call<sg::pricing_actor>(node.registry(), get_v, sg::atom::pricing_v,
                                          std::string{"priced"});
    REQUIRE(p);
    return {node, *p, node.event("priced")};
  }

  sg::pricing_info info() {
    auto i = node.call<sg::pricing_info>(pricing, get_v, sg::atom::pricing_v);
    REQUIRE(i);
    return *i;
  }

  int64_t free_price(const std::string& section) {
    auto map =
        node.call<sg::section_map>(node.section("priced", section), get_v, sg::atom::seatmap_v);
    REQUIRE(map);
    for (const auto& s : map->seats)
      if (s.status == sg::seat_state::free)
        return s.price;
    return -1;
  }

  sg::queue_info room() {
    auto q = node.call<sg::queue_info>(node.waiting_room("priced"), get_v, sg::atom::info_v);
    REQUIRE(q);
    return *q;
  }

  void hold(const std::string& id, std::vector<std::string> seats) {
    REQUIRE(node.call<sg::hold_receipt>(
        event, sg::atom::hold_v, sg::hold_request{id, "fan", std::move(seats), {}, 0, {}, {}}));
  }

  // Advances `n` pricing intervals of 30 s, one at a time; the `fans` waiting poll every
  // 10 s, as a fan's page does (a fan unseen for a minute is skipped, no longer waiting).
  void ticks(int n, int fans = 0) {
    auto room = node.waiting_room("priced");
    for (int i = 0; i < n; ++i)
      for (int k = 0; k < 3; ++k) {
        node.advance(10s);
        for (int fan = 0; fan < fans; ++fan)
          node.call<sg::queue_status>(room, get_v, uint64_t(fan + 1),
                                      "acct-" + std::to_string(fan));
      }
  }
};

sg::pricing_request front_ladder() {
  sg::pricing_request req;
  req.ladders = {{"front", {1000, 1200, 1500}}};
  req.window_s = 3600;
  return req;
}

} // namespace

TEST_CASE("pricing actor: the 30-s tick steps a section up under demand; sections learn first") {
  sg::test::node_fixture node;
  auto f = fixture::make(node);
  auto before = f.info();
  CHECK_FALSE(before.dynamic);
  CHECK(before.sections.size() == 2);
  auto set = node.call<sg::pricing_info>(f.pricing, sg::atom::put_v, front_ladder());
  REQUIRE_MESSAGE(set, sg::render(set));
  CHECK(set->dynamic);
  CHECK(set->price_version == 1);
  CHECK(set->interval_s == 30);
  REQUIRE(set->sections.size() == 2);
  CHECK(set->sections[0].ladder == std::vector<int64_t>{1000, 1200, 1500});
  CHECK(set->sections[1].ladder == std::vector<int64_t>{500}); // no ladder: its tier price
  CHECK(f.free_price("A") == 1000);
  auto q = f.room();
  CHECK(q.price_version == 1);
  CHECK(q.price_min == 500);
  CHECK(q.price_max == 1000);
  // Twenty fans wait (one admitted a minute): more than the section's 12 seats.
  auto room = node.waiting_room("priced");
  for (int i = 0; i < 20; ++i)
    REQUIRE(node.call<sg::queue_status>(room, sg::atom::join_v, "acct-" + std::to_string(i),
                                        "dev-" + std::to_string(i)));
  // Before the opening nothing is repriced, whatever happens.
  f.ticks(19, 20);
  CHECK(f.info().ticks == 0);
  f.ticks(2, 20); // opens; the first tick after it only reads the section
  CHECK(f.info().ticks >= 1);
  CHECK(f.info().sections[0].level == 0);
  // Two seats taken each tick while 12 must last an hour: the pace is far above 1.25.
  f.hold("h1", {"A-1-1", "A-1-2"});
  f.ticks(1, 20);
  CHECK(f.info().sections[0].level == 0); // one tick above is not enough
  f.hold("h2", {"A-1-3", "A-1-4"});
  f.ticks(1, 20);
  auto after = f.info();
  CHECK(after.sections[0].level == 1);
  CHECK(after.sections[0].price == 1200);
  CHECK(after.price_version == 2);
  REQUIRE(after.sections[0].history.size() == 2);
  CHECK(after.sections[0].history[1].price == 1200);
  CHECK_FALSE(after.sections[0].history[1].manual);
  CHECK(after.sections[1].level == 0); // B saw no demand
  // The section has the new price for its free seats; the held ones keep 1000.
  CHECK(f.free_price("A") == 1200);
  auto map = node.call<sg::section_map>(node.section("priced", "A"), get_v, sg::atom::seatmap_v);
  REQUIRE(map);
  CHECK(map->price_version == 2);
  CHECK(map->seats[0].price == 1000);
  // The room shows it, and admits with it from now on.
  q = f.room();
  CHECK(q.price_version == 2);
  CHECK(q.price_max == 1200);
  // Every tick is journaled with its inputs.
  auto log = node.db().load("pricing", "priced");
  REQUIRE(log);
  CHECK(log->tail.size() == 1 + after.ticks);
}

TEST_CASE("pricing actor: freeze stops changes; a manual level still applies; policy locks") {
  sg::test::node_fixture node;
  auto f = fixture::make(node);
  REQUIRE(node.call<sg::pricing_info>(f.pricing, sg::atom::put_v, front_ladder()));
  auto frozen = node.call<sg::pricing_info>(f.pricing, sg::atom::freeze_v, std::string{});
  REQUIRE(frozen);
  CHECK(frozen->frozen);
  auto room = node.waiting_room("priced");
  for (int i = 0; i < 20; ++i)
    REQUIRE(node.call<sg::queue_status>(room, sg::atom::join_v, "acct-" + std::to_string(i),
                                        "dev-" + std::to_string(i)));
  f.ticks(21, 20);
  for (int i = 1; i <= 6; ++i) {
    f.hold("h" + std::to_string(i),
           {"A-" + std::to_string((i - 1) / 3 + 1) + "-" + std::to_string((i - 1) % 3 * 2 + 1)});
    f.ticks(1, 20);
  }
  CHECK(f.info().sections[0].level == 0); // demand, but frozen
  CHECK(f.info().ticks >= 6);
  auto manual = node.call<sg::pricing_info>(f.pricing, sg::atom::level_v, std::string{"A"}, 2u);
  REQUIRE(manual);
  CHECK(manual->sections[0].price == 1500);
  CHECK(manual->sections[0].history.back().manual);
  CHECK(f.free_price("A") == 1500);
  CHECK(f.room().price_max == 1500);
  auto off = node.call<sg::pricing_info>(f.pricing, sg::atom::level_v, std::string{"A"}, 3u);
  REQUIRE_FALSE(off);
  CHECK(sg::ec_of(off.error()) == sg::ec::invalid_argument);
  auto unknown = node.call<sg::pricing_info>(f.pricing, sg::atom::freeze_v, std::string{"Z"});
  REQUIRE_FALSE(unknown);
  CHECK(sg::ec_of(unknown.error()) == sg::ec::unknown_section);
  // The sale opened: the published ladders stand.
  auto late = node.call<sg::pricing_info>(f.pricing, sg::atom::put_v, front_ladder());
  REQUIRE_FALSE(late);
  CHECK(sg::ec_of(late.error()) == sg::ec::pricing_locked);
  // A policy that names what the venue lacks is refused before anything else.
  auto bad = front_ladder();
  bad.ladders["vip"] = {1};
  auto refused = node.call<sg::pricing_info>(f.pricing, sg::atom::put_v, bad);
  REQUIRE_FALSE(refused);
  CHECK(sg::ec_of(refused.error()) == sg::ec::invalid_input);
}

TEST_CASE("pricing actor: an early opening by an operator locks the policy too") {
  sg::test::node_fixture node;
  auto f = fixture::make(node);
  REQUIRE(node.call<void>(node.waiting_room("priced"), sg::atom::open_v));
  auto late = node.call<sg::pricing_info>(f.pricing, sg::atom::put_v, front_ladder());
  REQUIRE_FALSE(late);
  CHECK(sg::ec_of(late.error()) == sg::ec::pricing_locked);
  CHECK_FALSE(f.info().dynamic);
}

TEST_CASE("pricing actor: levels and prices survive a restart") {
  auto dir = std::filesystem::temp_directory_path() / "seatgrab-pricing-recovery";
  std::filesystem::remove_all(dir);
  {
    sg::test::node_fixture node{dir, sg::persistence::durability::fsync};
    auto f = fixture::make(node);
    REQUIRE(node.call<sg::pricing_info>(f.pricing, sg::atom::put_v, front_ladder()));
    REQUIRE(node.call<sg::pricing_info>(f.pricing, sg::atom::level_v, std::string{"A"}, 2u));
    REQUIRE(node.call<sg::pricing_info>(f.pricing, sg::atom::freeze_v, std::string{"B"}));
  }
  {
    sg::test::node_fixture node{dir, sg::persistence::durability::fsync, sg::test::test_epoch + 1h};
    auto f = fixture::make(node, false);
    auto info = f.info();
    CHECK(info.dynamic);
    CHECK(info.price_version == 2);
    CHECK(info.sections[0].level == 2);
    CHECK(info.sections[1].frozen);
    CHECK(f.free_price("A") == 1500);
    CHECK(f.room().price_version == 2);
    auto st = node.call<sg::actor_status>(f.pricing, sg::atom::status_v);
    REQUIRE(st);
    auto pushed = std::find_if(st->counters.begin(), st->counters.end(),
                               [](const auto& c) { return c.name == "pushed_version"; });
    REQUIRE(pushed != st->counters.end());
    CHECK(pushed->value == 2);
  }
  std::filesystem::remove_all(dir);
}
