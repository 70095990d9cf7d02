// Dynamic prices in a section: the price set by the engine, the lock of a hold capped by the
// price at the holder's admission (guarantee 2), the charge at the sale (guarantee 1), and the
// price history through replay and snapshots.
#include "domain/section_state.hpp"
#include "messages/ec.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace std::chrono_literals;
using seatgrab::ec;
using namespace seatgrab::domain;
namespace pb = seatgrab::pb;

namespace {

const time_point t0 = time_point{1'700'000'000'000ms};

// Ten seats A1..A10 at 1,000 each.
section_state make_section() {
  section_config cfg;
  cfg.event_id = "ev";
  cfg.section_id = "s";
  for (uint32_t i = 1; i <= 10; ++i)
    cfg.seats.push_back({"A" + std::to_string(i), "A", i, i, 1000});
  auto st = section_state::make(std::move(cfg));
  REQUIRE(st);
  return std::move(*st);
}

struct harness {
  std::vector<pb::section_event> journal;
  section_state st = make_section();

  void price(uint64_t version, int64_t p) {
    auto ch = st.set_price(version, p, t0);
    REQUIRE(ch);
    REQUIRE(*ch);
    journal.push_back((*ch)->event);
  }

  hold_info hold(std::string id, std::vector<std::string> seats, uint64_t cap = no_price_cap) {
    auto h = st.hold(std::move(id), "fan", std::move(seats), t0, cap);
    REQUIRE(h);
    journal.push_back(*h->event);
    return h->hold;
  }

  std::vector<int64_t> sell(std::string hold_id, std::string order) {
    auto ch = st.confirm(hold_id, "fan", order, t0 + 1s);
    REQUIRE(ch);
    journal.push_back(ch->event);
    std::vector<int64_t> paid;
    for (const auto& s : st.sold_to(order))
      paid.push_back(s.price);
    return paid;
  }
};

} // namespace

TEST_CASE("section pricing: free seats show the price set, held seats keep their lock") {
  harness h;
  CHECK(h.st.seat("A1")->price == 1000);
  h.hold("h1", {"A1"});
  h.price(1, 1500);
  CHECK(h.st.price_version() == 1);
  CHECK(h.st.seat("A2")->price == 1500);
  CHECK(h.st.seat("A1")->price == 1000);    // locked
  auto again = h.st.set_price(1, 1700, t0); // a resend of an older or equal version
  REQUIRE(again);
  CHECK_FALSE(*again);
  CHECK(h.st.seat("A2")->price == 1500);
  auto bad = h.st.set_price(2, 0, t0);
  REQUIRE_FALSE(bad);
  CHECK(h.st.price_version() == 1);
}

TEST_CASE("section pricing: a hold locks the lower of the price now and at the admission") {
  harness h;
  h.price(1, 1200);
  h.price(2, 1400); // the price rose after a fan was admitted at version 1
  CHECK(h.hold("h1", {"A1"}, 1).seats[0].price == 1200);
  CHECK(h.hold("h0", {"A9"}, 0).seats[0].price == 1000); // admitted before any price was set
  CHECK(h.hold("h2", {"A2"}).seats[0].price == 1400);    // no admission: the price now
  h.price(3, 1100);                                      // it fell below the admitted price
  CHECK(h.hold("h3", {"A3"}, 1).seats[0].price == 1100);
  CHECK(h.hold("h4", {"A4"}, 7).seats[0].price == 1100); // a version not seen yet: the price now
  auto best = h.st.hold_best("h5", "fan", 2, t0, 1);
  REQUIRE(best);
  for (const auto& s : best->hold.seats)
    CHECK(s.price == 1100);
  CHECK(best->event->held().price_cap_version() == 1);
}

TEST_CASE("section pricing: a sale charges the lower of the locked price and the price now") {
  harness h;
  h.price(1, 1500);
  h.hold("h1", {"A1", "A2"});
  h.hold("h2", {"A3"});
  h.price(2, 1300);
  CHECK(h.sell("h1", "o1") == std::vector<int64_t>{1300, 1300}); // the drop is passed on
  h.price(3, 1900);
  CHECK(h.sell("h2", "o2") == std::vector<int64_t>{1500}); // a rise never
  CHECK(h.journal.back().sold().prices_size() == 1);
}

TEST_CASE("section pricing: replay and snapshots keep prices, history and charges") {
  harness h;
  h.price(1, 1200);
  h.hold("h1", {"A1"});
  h.price(3, 1100);
  h.sell("h1", "o1");
  h.price(4, 1600);
  h.hold("h2", {"A2"}, 3);
  auto replayed = make_section();
  for (const auto& ev : h.journal)
    REQUIRE_FALSE(replayed.apply(ev));
  CHECK(replayed.price_version() == 4);
  CHECK(replayed.seats() == h.st.seats());
  CHECK(replayed.price_at(0, 2) == 1200);
  CHECK(replayed.price_at(0, 3) == 1100);
  CHECK(replayed.price_at(0, 0) == 1000);
  auto snap = h.st.snapshot();
  auto cfg = h.st.config();
  auto restored = section_state::from_snapshot(cfg, snap);
  REQUIRE(restored);
  CHECK(restored->seats() == h.st.seats());
  CHECK(restored->price_at(0, 1) == 1200);
  CHECK(restored->snapshot().SerializeAsString() == snap.SerializeAsString());
  // A snapshot whose history does not end at its price is corrupt.
  snap.set_price_version(9);
  CHECK_FALSE(section_state::from_snapshot(cfg, snap));
}

TEST_CASE("section pricing: a journal charging above the locked price is corrupt") {
  harness h;
  h.hold("h1", {"A1"});
  auto ch = h.st.confirm("h1", "fan", "o1", t0);
  REQUIRE(ch);
  auto fresh = make_section();
  REQUIRE_FALSE(fresh.apply(h.journal[0]));
  auto over = ch->event;
  over.mutable_sold()->set_prices(0, 1001);
  auto err = fresh.apply(over);
  REQUIRE(err);
  CHECK(err.code() == static_cast<uint8_t>(ec::storage_corruption));
  CHECK_FALSE(fresh.apply(ch->event));
}

TEST_CASE("section pricing: prices older than the history kept cap at the lowest known") {
  harness h;
  for (uint64_t v = 1; v <= 300; ++v)
    h.price(v, v % 2 ? 2000 : 1500);
  // Version 10 was dropped from the 256 kept: the cap is the lowest price known, never above.
  CHECK(h.st.price_at(0, 10) == 1000);
  CHECK(h.st.price_at(0, 299) == 2000);
  CHECK(h.st.price_at(0, 298) == 1500);
}
