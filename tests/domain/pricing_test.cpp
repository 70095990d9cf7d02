// The pricing rule on virtual time: each threshold and streak, the hourly cap on steps up, the
// "never up while fewer wait than are free" rule, freeze, manual levels, policy validation and
// replay.
#include "domain/pricing.hpp"
#include "domain/venue.hpp"
#include "messages/ec.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using seatgrab::ec;
using seatgrab::pricing_request;
using namespace seatgrab::domain;
namespace pb = seatgrab::pb;

namespace {

const time_point t0 = time_point{1'700'000'000'000ms};

ec code_of(const caf::error& err) {
  REQUIRE(err.category() == caf::atom("seatgrab"));
  return static_cast<ec>(err.code());
}

venue two_tier_venue() {
  venue v;
  v.id = "hall";
  v.tiers = {{"gold", "Gold", 10'000}, {"std", "Standard", 5'000}};
  auto sec = [](std::string id, std::string tier) {
    section s;
    s.id = std::move(id);
    s.tier = std::move(tier);
    s.rows.push_back({"A", {{s.id + "-1", 1}}});
    return s;
  };
  v.sections = {sec("s1", "gold"), sec("s2", "gold"), sec("s3", "std")};
  return v;
}

// One section "s" with ladder 100..180 in 4 levels, window of one hour from t0.
struct harness {
  pricing_state st{"ev"};
  std::vector<pb::pricing_event> journal;
  time_point now = t0;

  explicit harness(std::vector<int64_t> ladder = {100, 120, 150, 180}, uint32_t level = 0,
                   std::chrono::hours window = 1h) {
    pricing_policy p;
    p.rule.window_ends_at = t0 + window;
    p.ladders.push_back({"s", std::move(ladder), level});
    keep(st.set_policy(std::move(p), false, now));
  }

  void keep(caf::expected<pb::pricing_event> ev) {
    REQUIRE_MESSAGE(ev, seatgrab::render(ev));
    journal.push_back(*ev);
  }

  // One tick 30 s on with `free` seats free and `waiting` fans queued.
  const pb::pricing_input& tick(uint32_t free, uint64_t waiting = 1'000'000) {
    now += 30s;
    keep(st.tick({{"s", free, false}}, waiting, now));
    return journal.back().ticked().sections(0);
  }

  uint32_t level() const { return st.sections().at(0).level; }
};

} // namespace

TEST_CASE("pricing: a policy resolves tiers and sections and names the field it refuses") {
  auto v = two_tier_venue();
  pricing_request req;
  req.ladders = {{"gold", {10'000, 12'000, 15'000}}, {"s2", {9'000, 18'000}}};
  req.start_levels = {{"gold", 1}};
  auto p = resolve(req, v, t0);
  REQUIRE(p);
  REQUIRE(p->ladders.size() == 3);
  CHECK(p->ladders[0] == section_ladder{"s1", {10'000, 12'000, 15'000}, 1});
  CHECK(p->ladders[1] == section_ladder{"s2", {9'000, 18'000}, 0}); // its own wins
  CHECK(p->ladders[2] == section_ladder{"s3", {5'000}, 0});         // tier price, static
  CHECK(p->rule.window_ends_at == t0 + 4h);
  auto refused = [&](pricing_request r, std::string field) {
    auto x = resolve(r, v, t0);
    REQUIRE_FALSE(x);
    CHECK(code_of(x.error()) == ec::invalid_input);
    CHECK_MESSAGE(seatgrab::render(x.error()).find(field) != std::string::npos,
                  seatgrab::render(x.error()));
  };
  auto r = req;
  r.ladders["gold"] = {1, 2, 3, 4, 5, 6};
  refused(r, "ladders.gold: 1 to 5 levels");
  r = req;
  r.ladders["gold"] = {100, 150, 140};
  refused(r, "ladders.gold[2]: prices must rise");
  r = req;
  r.ladders["gold"] = {100, 201};
  refused(r, "ladders.gold: the ceiling 201 exceeds 2000/1000 of the floor 100");
  r.max_ceiling_permille = 2500;
  CHECK(resolve(r, v, t0)); // an operator may allow a wider ladder, up to 4x
  r = req;
  r.ladders["vip"] = {100};
  refused(r, "ladders.vip: no tier or section");
  r = req;
  r.start_levels["gold"] = 3;
  refused(r, "start_levels.gold: level 3 is off the ladder");
  r = req;
  r.interval_s = 2;
  refused(r, "interval_s");
  r = req;
  r.ladders["gold"] = {0, 10};
  refused(r, "ladders.gold[0]: a price is 1..");
}

TEST_CASE("pricing: up one level only after two ticks in a row above 1.25") {
  harness h;
  auto in = h.tick(1000); // the first reading: nothing to compare with yet
  CHECK(in.taken() == 0);
  CHECK(in.pace_permille() == 0);
  // 20 seats in 30 s is 0.667/s, averaged with 0: 0.333/s. 980 free with 3,540 s left need
  // 0.277/s: a pace of 1.202, just under the threshold.
  in = h.tick(980);
  CHECK(in.taken() == 20);
  CHECK(in.ewma_milli() == 333);
  CHECK(in.seconds_left() == 3540);
  CHECK(in.pace_permille() == 1202);
  CHECK(in.up_streak() == 0);
  in = h.tick(930); // 50 more: 0.999/s for 0.265/s needed
  CHECK(in.pace_permille() == 999 * 3510 / 930);
  CHECK(in.up_streak() == 1);
  CHECK(h.level() == 0); // one tick above is not enough
  in = h.tick(880);
  CHECK(in.level() == 1);
  CHECK(in.up_streak() == 0); // stepped: the streak restarts
  CHECK(h.level() == 1);
  CHECK(h.st.price_version() == 2);
  CHECK(h.st.sections()[0].price == 120);
  CHECK(h.st.changes(h.journal.back()) == std::vector<price_change>{{"s", 120}});
  CHECK(h.st.changes(h.journal[h.journal.size() - 2]).empty());
}

TEST_CASE("pricing: a streak above 1.25 that breaks does not step") {
  harness h;
  h.tick(1000);
  CHECK(h.tick(930).up_streak() == 1);
  auto in = h.tick(1000); // 70 seats came back: the average goes negative
  CHECK(in.taken() == -70);
  CHECK(in.pace_permille() == 0);
  CHECK(in.up_streak() == 0);
  CHECK(h.tick(930).up_streak() == 1);
  CHECK(h.level() == 0);
}

TEST_CASE("pricing: never up while fewer fans wait than seats are free") {
  harness h;
  h.tick(1000, 10);
  auto in = h.tick(900, 10);
  CHECK(in.up_streak() == 1);
  in = h.tick(800, 799); // 799 waiting for 800 free: no step, the streak goes on
  CHECK(in.up_streak() == 2);
  CHECK(h.level() == 0);
  in = h.tick(700, 700); // as many waiting as free: steps
  CHECK(in.level() == 1);
}

TEST_CASE("pricing: at most two rule steps up within any hour, and one step per tick") {
  harness h({100, 110, 120, 130, 140}, 0, 10h);
  h.tick(10'000);
  uint32_t free = 10'000;
  std::vector<time_point> ups;
  for (int i = 0; i < 20; ++i) {
    free -= 200;
    auto before = h.level();
    auto in = h.tick(free);
    CHECK(in.level() <= before + 1);
    if (in.level() > before)
      ups.push_back(h.now);
  }
  REQUIRE(ups.size() == 2); // 10 minutes of heavy demand: capped at two
  CHECK(h.level() == 2);
  // Once the first step up is more than an hour old, a third may come (demand still outruns
  // supply); exactly an hour old it still counts.
  while (h.now < ups[0] + 1h) {
    free -= 10;
    h.tick(free);
  }
  CHECK(h.now == ups[0] + 1h);
  CHECK(h.level() == 2);
  free -= 300;
  CHECK(h.tick(free).level() == 3); // the streak went on while capped
  CHECK(h.st.sections()[0].history.back().at == ups[0] + 1h + 30s);
}

TEST_CASE("pricing: down one level after four ticks in a row below 0.75, not three") {
  harness h({100, 120, 150}, 2);
  h.tick(1000); // first reading: nothing taken, pace 0: below
  h.tick(1000);
  auto in = h.tick(1000);
  CHECK(in.down_streak() == 3);
  CHECK(h.level() == 2);
  in = h.tick(1000);
  CHECK(in.level() == 1);
  CHECK(in.down_streak() == 0);
  for (int i = 0; i < 3; ++i)
    h.tick(1000);
  CHECK(h.level() == 1);
  h.tick(1000);
  CHECK(h.level() == 0);
  for (int i = 0; i < 8; ++i)
    h.tick(1000);
  CHECK(h.level() == 0); // the floor holds
  CHECK(h.st.sections()[0].history.size() == 3);
}

TEST_CASE("pricing: a reading's rate is over the time since the one before, not one interval") {
  harness h;
  h.tick(1000);
  // Two minutes without a tick (a restart): 40 seats in 120 s is 0.333/s, not 1.333/s.
  h.now += 90s;
  auto in = h.tick(960);
  CHECK(in.elapsed_ms() == 120'000);
  CHECK(in.ewma_milli() == 333 / 2);
  CHECK(in.up_streak() == 0); // 0.167/s against the 0.278/s needed: no rush
  // On time again: 30 s.
  CHECK(h.tick(950).elapsed_ms() == 30'000);
}

TEST_CASE("pricing: freezing the event restarts every section's streaks") {
  harness h;
  h.tick(1000);
  REQUIRE(h.tick(900).up_streak() == 1);
  auto f = h.st.freeze("", h.now);
  REQUIRE(f);
  h.journal.push_back(**f);
  auto u = h.st.unfreeze("", h.now);
  REQUIRE(u);
  h.journal.push_back(**u);
  auto in = h.tick(800); // above again: a first tick, not a second
  CHECK(in.up_streak() == 1);
  CHECK(h.level() == 0);
}

TEST_CASE("pricing: a sold-out section does not move") {
  harness h({100, 120}, 1);
  h.tick(10);
  for (int i = 0; i < 6; ++i)
    CHECK(h.tick(0).level() == 1);
}

TEST_CASE("pricing: freeze stops the rule for the event or a section, unfreeze resumes it") {
  harness h({100, 120, 150}, 2);
  auto f = h.st.freeze("", h.now);
  REQUIRE(f);
  REQUIRE(*f);
  h.journal.push_back(**f);
  CHECK(h.st.frozen());
  auto again = h.st.freeze("", h.now);
  REQUIRE(again);
  CHECK_FALSE(*again); // already frozen: nothing to journal
  for (int i = 0; i < 10; ++i)
    CHECK(h.tick(1000).down_streak() == 0);
  CHECK(h.level() == 2);
  auto u = h.st.unfreeze("", h.now);
  REQUIRE(u);
  h.journal.push_back(**u);
  for (int i = 0; i < 4; ++i)
    h.tick(1000);
  CHECK(h.level() == 1);
  // Section freeze.
  auto s = h.st.freeze("s", h.now);
  REQUIRE(s);
  h.journal.push_back(**s);
  CHECK(h.st.sections()[0].frozen);
  for (int i = 0; i < 6; ++i)
    h.tick(1000);
  CHECK(h.level() == 1);
  auto bad = h.st.freeze("nope", h.now);
  REQUIRE_FALSE(bad);
  CHECK(code_of(bad.error()) == ec::unknown_section);
}

TEST_CASE("pricing: an operator sets a level by hand, even while frozen") {
  harness h;
  REQUIRE(h.st.freeze("", h.now));
  auto l = h.st.set_level("s", 3, h.now);
  REQUIRE(l);
  REQUIRE(*l);
  CHECK(h.st.sections()[0].price == 180);
  CHECK(h.st.sections()[0].history.back().manual);
  CHECK(h.st.price_version() == 2);
  auto same = h.st.set_level("s", 3, h.now);
  REQUIRE(same);
  CHECK_FALSE(*same);
  auto off = h.st.set_level("s", 4, h.now);
  REQUIRE_FALSE(off);
  CHECK(code_of(off.error()) == ec::invalid_argument);
  CHECK(h.st.price_range() == std::pair<int64_t, int64_t>{180, 180});
}

TEST_CASE("pricing: once the sale opened the published ladders stand") {
  harness h;
  pricing_policy p;
  p.rule.window_ends_at = t0 + 1h;
  p.ladders.push_back({"s", {200, 300}, 0});
  auto locked = h.st.set_policy(p, true, h.now);
  REQUIRE_FALSE(locked);
  CHECK(code_of(locked.error()) == ec::pricing_locked);
  CHECK(h.st.sections()[0].ladder == std::vector<int64_t>{100, 120, 150, 180});
  pricing_state fresh{"ev"};
  auto first = fresh.set_policy(p, true, h.now); // nor a first one after the opening
  REQUIRE_FALSE(first);
  CHECK(code_of(first.error()) == ec::pricing_locked);
  CHECK_FALSE(fresh.has_policy());
  auto before = h.st.set_policy(p, false, h.now); // before the opening: replaced
  REQUIRE(before);
  CHECK(h.st.sections()[0].price == 200);
  CHECK(h.st.price_version() == 2);
}

TEST_CASE("pricing: a replay of the journal rebuilds every level, streak and history") {
  harness h({100, 120, 150, 180});
  uint32_t free = 5000;
  h.tick(free);
  for (int i = 0; i < 40; ++i) {
    free -= (i < 20 ? 150 : 0);
    h.tick(free, i < 25 ? 100'000 : 0);
  }
  pricing_state replayed{"ev"};
  for (const auto& ev : h.journal)
    REQUIRE_FALSE(replayed.apply(ev));
  CHECK(replayed.version() == h.st.version());
  CHECK(replayed.price_version() == h.st.price_version());
  auto a = replayed.sections();
  auto b = h.st.sections();
  REQUIRE(a.size() == b.size());
  CHECK(a[0].level == b[0].level);
  CHECK(a[0].history == b[0].history);
  CHECK(b[0].history.size() >= 3); // it went up, then came down
  // The next tick decides the same on both.
  auto x = replayed.tick({{"s", free, false}}, 0, h.now + 30s);
  auto y = h.st.tick({{"s", free, false}}, 0, h.now + 30s);
  REQUIRE(x);
  REQUIRE(y);
  CHECK(x->SerializeAsString() == y->SerializeAsString());
}

TEST_CASE("pricing: a journal that jumps two levels or skips a price version is corrupt") {
  harness h;
  auto ev = h.st.tick({{"s", 900, false}}, 0, h.now + 30s);
  REQUIRE(ev);
  pricing_state fresh{"ev"};
  REQUIRE_FALSE(fresh.apply(h.journal[0]));
  auto jump = *ev;
  jump.mutable_ticked()->mutable_sections(0)->set_level(2);
  jump.mutable_ticked()->set_price_version(2);
  auto err = fresh.apply(jump);
  REQUIRE(err);
  CHECK(code_of(err) == ec::storage_corruption);
  auto skip = *ev;
  skip.mutable_ticked()->set_price_version(5);
  CHECK(fresh.apply(skip));
  CHECK_FALSE(fresh.apply(*ev));
}
