#include "domain/section_state.hpp"
#include "messages/ec.hpp"

#include <doctest/doctest.h>

#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

using namespace std::chrono_literals;
using seatgrab::ec;
using namespace seatgrab::domain;

namespace {

const time_point t0 = time_point{1'700'000'000'000ms};

// One row per entry: the row name and the ranks of its seats; seat ids are row + number,
// prices 1000 + 100 * rank.
section_config make_config(std::vector<std::pair<std::string, std::vector<uint32_t>>> rows,
                           uint32_t max_seats = 8) {
  section_config cfg;
  cfg.event_id = "ev1";
  cfg.section_id = "floor";
  cfg.max_seats_per_hold = max_seats;
  for (auto& [row, ranks] : rows)
    for (uint32_t i = 0; i < ranks.size(); ++i)
      cfg.seats.push_back(seat_info{row + std::to_string(i + 1), row, i + 1, ranks[i],
                                    1000 + 100 * int64_t{ranks[i]}});
  return cfg;
}

// Two rows of ten seats, rank = seat number.
section_config two_rows() {
  return make_config(
      {{"A", {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}}, {"B", {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}}});
}

section_state make_state(section_config cfg) {
  auto st = section_state::make(std::move(cfg));
  REQUIRE(st);
  return std::move(*st);
}

ec code_of(const caf::error& err) {
  REQUIRE(err.category() == caf::atom("seatgrab"));
  return static_cast<ec>(err.code());
}

std::string context_of(const caf::error& err) {
  const auto& ctx = err.context();
  if (ctx.size() == 1 && ctx.match_element<std::string>(0))
    return ctx.get_as<std::string>(0);
  return {};
}

// Everything the queries tell, with owned strings, so two states compare as values.
struct fingerprint {
  uint64_t version = 0;
  std::vector<std::tuple<std::string, seat_status, int64_t, std::string, std::string, std::string>>
      seats;
  std::vector<hold_info> holds;
  section_counters counters;
  friend bool operator==(const fingerprint&, const fingerprint&) = default;
};

fingerprint fingerprint_of(const section_state& st) {
  fingerprint result{st.version(), {}, st.holds(), st.counters()};
  for (const auto& s : st.seats()) {
    result.seats.emplace_back(s.id, s.status, s.price, s.hold_id, s.holder, s.order_id);
    auto single = st.seat(s.id);
    REQUIRE(single);
    CHECK(*single == s);
  }
  for (const auto& h : result.holds)
    CHECK(st.find_hold(h.hold_id) == h);
  return result;
}

seat_status status_of(const section_state& st, std::string_view seat_id) {
  auto s = st.seat(seat_id);
  REQUIRE(s);
  return s->status;
}

std::vector<std::string> ids_of(const hold_info& h) {
  std::vector<std::string> result;
  for (const auto& s : h.seats)
    result.push_back(s.seat_id);
  return result;
}

using ids = std::vector<std::string>;

} // namespace

TEST_CASE("a hold lives exactly hold_ttl and is released by its timer") {
  auto st = make_state(two_rows());
  auto held = st.hold("h1", "u1", {"A1", "A2"}, t0);
  REQUIRE(held);
  REQUIRE(held->event);
  CHECK(held->event->has_held());
  CHECK(held->hold.generation == 1);
  CHECK(held->hold.expires_at == t0 + 300s);
  CHECK(held->hold.total == 1100 + 1200);
  CHECK(held->hold.seats == std::vector<held_seat>{{"A1", 1100}, {"A2", 1200}});
  CHECK(st.version() == 1);
  CHECK(st.counters().held_now == 2);
  CHECK(st.counters().free_now == 18);

  CHECK(status_of(st, "A1") == seat_status::held);
  CHECK(st.seat("A1")->holder == "u1");
  CHECK(st.holds_past(t0 + 299s).empty());
  CHECK_FALSE(st.expire("h1", 1, t0 + 299s));
  CHECK(st.version() == 1);
  CHECK(status_of(st, "A2") == seat_status::held);
  CHECK(st.holds_past(t0 + 300s).size() == 1);

  auto expired = st.expire("h1", 1, t0 + 300s);
  REQUIRE(expired);
  CHECK(expired->event.has_expired());
  CHECK(expired->seat_ids == ids{"A1", "A2"});
  CHECK(status_of(st, "A1") == seat_status::free);
  CHECK(status_of(st, "A2") == seat_status::free);
  CHECK(st.seat("A1")->price == 1100);
  CHECK(st.holds().empty());
  CHECK(st.version() == 2);
  CHECK(st.counters().expiries == 1);
  CHECK(st.counters().free_now == 20);
  // A second timer for the same hold is stale.
  CHECK_FALSE(st.expire("h1", 1, t0 + 301s));
  CHECK(st.version() == 2);
}

TEST_CASE("next_expiry is the earliest end among live holds") {
  auto st = make_state(two_rows());
  CHECK_FALSE(st.next_expiry());
  REQUIRE(st.hold("h1", "u1", {"A1"}, t0));
  REQUIRE(st.hold("h2", "u2", {"A2"}, t0 + 10s));
  REQUIRE(st.hold("h3", "u3", {"A3"}, t0 + 20s));
  CHECK(st.next_expiry() == t0 + 300s);
  REQUIRE(st.release("h1", "u1", t0 + 30s));
  CHECK(st.next_expiry() == t0 + 310s);
  REQUIRE(st.extend("h2", "u2", t0 + 40s)); // now ends at t0 + 340s, after h3
  CHECK(st.next_expiry() == t0 + 320s);
  REQUIRE(st.expire("h3", 1, t0 + 320s));
  CHECK(st.next_expiry() == t0 + 340s);
  REQUIRE(st.release("h2", "u2", t0 + 50s));
  CHECK_FALSE(st.next_expiry());
}

TEST_CASE("after an extension, a timer of the old generation releases nothing") {
  auto st = make_state(two_rows());
  REQUIRE(st.hold("h1", "u1", {"B3"}, t0));
  auto ext = st.extend("h1", "u1", t0 + 100s);
  REQUIRE(ext);
  REQUIRE(ext->event);
  CHECK(ext->event->has_extended());
  CHECK(ext->hold.generation == 2);
  CHECK(ext->hold.expires_at == t0 + 400s);
  CHECK(ext->hold.created_at == t0);

  CHECK_FALSE(st.expire("h1", 1, t0 + 300s));
  CHECK_FALSE(st.expire("h1", 1, t0 + 400s));
  CHECK_FALSE(st.expire("h1", 2, t0 + 400s - 1ms));
  CHECK_FALSE(st.expire("h1", 3, t0 + 400s));
  CHECK(status_of(st, "B3") == seat_status::held);
  CHECK(st.version() == 2);
  REQUIRE(st.expire("h1", 2, t0 + 400s));
  CHECK(status_of(st, "B3") == seat_status::free);
}

TEST_CASE("extensions are capped at created_at + max_hold_total") {
  auto st = make_state(two_rows()); // ttl 300 s, cap 600 s
  REQUIRE(st.hold("h1", "u1", {"A1"}, t0));
  auto ext = st.extend("h1", "u1", t0 + 200s);
  REQUIRE(ext);
  CHECK(ext->hold.expires_at == t0 + 500s);
  ext = st.extend("h1", "u1", t0 + 400s);
  REQUIRE(ext);
  CHECK(ext->hold.expires_at == t0 + 600s); // not t0 + 700 s
  CHECK(ext->hold.generation == 3);
  auto before = fingerprint_of(st);
  auto denied = st.extend("h1", "u1", t0 + 500s);
  REQUIRE_FALSE(denied);
  CHECK(code_of(denied.error()) == ec::extension_limit);
  CHECK(fingerprint_of(st) == before);
  denied = st.extend("h1", "u1", t0 + 600s);
  REQUIRE_FALSE(denied);
  CHECK(code_of(denied.error()) == ec::hold_expired);
  denied = st.extend("h1", "u2", t0 + 450s);
  REQUIRE_FALSE(denied);
  CHECK(code_of(denied.error()) == ec::not_holder);
  denied = st.extend("h9", "u1", t0 + 450s);
  REQUIRE_FALSE(denied);
  CHECK(code_of(denied.error()) == ec::hold_not_found);
  CHECK(fingerprint_of(st) == before);
  CHECK(st.counters().extensions == 2);
}

TEST_CASE("confirm at or after the expiry time is hold_expired and changes nothing") {
  auto st = make_state(two_rows());
  REQUIRE(st.hold("h1", "u1", {"A4", "A5"}, t0));
  auto before = fingerprint_of(st);
  auto late = st.confirm("h1", "u1", "o1", t0 + 300s); // the timer has not fired yet
  REQUIRE_FALSE(late);
  CHECK(code_of(late.error()) == ec::hold_expired);
  CHECK(fingerprint_of(st) == before);

  auto sold = st.confirm("h1", "u1", "o1", t0 + 300s - 1ms);
  REQUIRE(sold);
  CHECK(sold->event.has_sold());
  CHECK(sold->seat_ids == ids{"A4", "A5"});
  auto a4 = st.seat("A4");
  CHECK(a4->status == seat_status::sold);
  CHECK(a4->order_id == "o1");
  CHECK(a4->price == 1400);
  CHECK(st.holds().empty());
  CHECK(st.counters().sales == 1);
  CHECK(st.counters().sold_seats == 2);
  CHECK(st.counters().sold_now == 2);
  // The hold is gone: its timer and a second confirm find nothing.
  CHECK_FALSE(st.expire("h1", 1, t0 + 300s));
  auto again = st.confirm("h1", "u1", "o1", t0 + 1s);
  REQUIRE_FALSE(again);
  CHECK(code_of(again.error()) == ec::hold_not_found);
}

TEST_CASE("confirm or release by another holder is not_holder") {
  auto st = make_state(two_rows());
  REQUIRE(st.hold("h1", "u1", {"A1"}, t0));
  auto before = fingerprint_of(st);
  auto other = st.confirm("h1", "u2", "o1", t0 + 1s);
  REQUIRE_FALSE(other);
  CHECK(code_of(other.error()) == ec::not_holder);
  auto rel = st.release("h1", "u2", t0 + 1s);
  REQUIRE_FALSE(rel);
  CHECK(code_of(rel.error()) == ec::not_holder);
  auto bad_order = st.confirm("h1", "u1", "", t0 + 1s);
  REQUIRE_FALSE(bad_order);
  CHECK(code_of(bad_order.error()) == ec::invalid_argument);
  CHECK(fingerprint_of(st) == before);

  auto released = st.release("h1", "u1", t0 + 2s);
  REQUIRE(released);
  CHECK(released->event.has_released());
  CHECK(status_of(st, "A1") == seat_status::free);
  CHECK(st.counters().releases == 1);
  rel = st.release("h1", "u1", t0 + 3s);
  REQUIRE_FALSE(rel);
  CHECK(code_of(rel.error()) == ec::hold_not_found);
}

TEST_CASE("each bad hold request fails with its own code and changes nothing") {
  auto st = make_state(two_rows());
  REQUIRE(st.hold("other", "u2", {"A3"}, t0));
  REQUIRE(st.hold("sold", "u3", {"A5"}, t0));
  REQUIRE(st.confirm("sold", "u3", "o1", t0));
  auto before = fingerprint_of(st);
  struct row {
    ids seats;
    ec code;
    std::string context; // expected part of the context
  };
  std::vector<row> rows{
      {{"A1", "Z9"}, ec::unknown_seat, "Z9"},
      {{"A1", "A2", "A1"}, ec::duplicate_seat, "A1"},
      {{"A1", "A2", "A4", "A6", "A7", "A8", "A9", "A10", "B1"}, ec::too_many_seats, "9"},
      {{}, ec::invalid_argument, ""},
  };
  for (const auto& r : rows) {
    CAPTURE(r.code);
    auto res = st.hold("h1", "u1", r.seats, t0 + 1s);
    REQUIRE_FALSE(res);
    CHECK(code_of(res.error()) == r.code);
    CHECK(context_of(res.error()).find(r.context) != std::string::npos);
    CHECK(fingerprint_of(st) == before);
  }
  // Taken seats: the context lists every one of them and nothing else.
  auto taken = st.hold("h1", "u1", {"A1", "A3", "A4", "A5"}, t0 + 1s);
  REQUIRE_FALSE(taken);
  CHECK(code_of(taken.error()) == ec::seat_taken);
  CHECK(context_of(taken.error()) == "A3,A5");
  // Malformed ids and quantities.
  for (auto res :
       {st.hold("", "u1", {"A1"}, t0), st.hold("h1", "", {"A1"}, t0),
        st.hold(std::string("h\0", 2), "u1", {"A1"}, t0), st.hold_best("h1", "u1", 0, t0)}) {
    REQUIRE_FALSE(res);
    CHECK(code_of(res.error()) == ec::invalid_argument);
  }
  auto best = st.hold_best("h1", "u1", 9, t0);
  REQUIRE_FALSE(best);
  CHECK(code_of(best.error()) == ec::too_many_seats);
  // A live hold id cannot name a second hold.
  auto reused = st.hold("other", "u1", {"A1"}, t0 + 1s);
  REQUIRE_FALSE(reused);
  CHECK(code_of(reused.error()) == ec::invalid_argument);
  CHECK(fingerprint_of(st) == before);
}

TEST_CASE("best available picks adjacent seats of one row with the lowest total rank") {
  // A1+A3 would be cheapest in rank but are not adjacent; B1+B2 is the best adjacent pair.
  auto st = make_state(make_config({{"A", {1, 9, 1}}, {"B", {3, 3, 3, 3}}}));
  auto best = st.hold_best("h1", "u1", 2, t0);
  REQUIRE(best);
  CHECK(ids_of(best->hold) == ids{"B1", "B2"});
  CHECK(best->hold.total == 1300 + 1300);
  REQUIRE(best->event);
  CHECK(best->event->held().seat_ids_size() == 2);
}

TEST_CASE("best available never spans rows") {
  // A3 and B1 are consecutive in the config but not in any row.
  auto st = make_state(make_config({{"A", {1, 1, 1}}, {"B", {1, 1, 1}}}));
  auto before = fingerprint_of(st);
  auto best = st.hold_best("h1", "u1", 4, t0);
  REQUIRE_FALSE(best);
  CHECK(code_of(best.error()) == ec::no_seats_available);
  CHECK(fingerprint_of(st) == before);
  CHECK(st.hold_best("h1", "u1", 3, t0));
}

TEST_CASE("best available avoids leaving a single orphan seat when it can") {
  SUBCASE("within a row, next to a sold seat") {
    // A1..A4 free, A5 sold. By rank alone A2+A3 (2) wins, but it strands A1 and A4.
    auto st = make_state(make_config({{"A", {2, 1, 1, 3, 1}}}));
    REQUIRE(st.hold("s", "u9", {"A5"}, t0));
    REQUIRE(st.confirm("s", "u9", "o9", t0));
    auto best = st.hold_best("h1", "u1", 2, t0);
    REQUIRE(best);
    CHECK(ids_of(best->hold) == ids{"A1", "A2"});
  }
  SUBCASE("at a row end") {
    // A1+A2 (rank 2) leaves A3 alone at the row end; B1+B2 (rank 4) leaves B3+B4.
    auto st = make_state(make_config({{"A", {1, 1, 5}}, {"B", {2, 2, 2, 2}}}));
    auto best = st.hold_best("h1", "u1", 2, t0);
    REQUIRE(best);
    CHECK(ids_of(best->hold) == ids{"B1", "B2"});
  }
  SUBCASE("when every block orphans a seat, rank decides") {
    auto st = make_state(make_config({{"A", {3, 1, 1}}}));
    auto best = st.hold_best("h1", "u1", 2, t0);
    REQUIRE(best);
    CHECK(ids_of(best->hold) == ids{"A2", "A3"});
  }
}

TEST_CASE("best available finds nothing when no row has n adjacent free seats") {
  auto st = make_state(make_config({{"A", {1, 1, 1, 1}}, {"B", {1, 1, 1}}}));
  REQUIRE(st.hold("x", "u9", {"A2", "A4", "B2"}, t0));
  auto before = fingerprint_of(st);
  auto best = st.hold_best("h1", "u1", 2, t0);
  REQUIRE_FALSE(best);
  CHECK(code_of(best.error()) == ec::no_seats_available);
  CHECK(fingerprint_of(st) == before);
  auto one = st.hold_best("h1", "u1", 1, t0);
  REQUIRE(one);
  CHECK(ids_of(one->hold) == ids{"A1"});
}

TEST_CASE("a retried hold returns the existing hold without a new event") {
  auto st = make_state(two_rows());
  auto first = st.hold("h1", "u1", {"A1", "A2"}, t0);
  REQUIRE(first);
  auto before = fingerprint_of(st);
  auto again = st.hold("h1", "u1", {"A2", "A1"}, t0 + 10s);
  REQUIRE(again);
  CHECK_FALSE(again->event);
  CHECK(again->hold == first->hold);
  CHECK(fingerprint_of(st) == before);
  // Anything else under a live id is refused.
  for (auto res : {st.hold("h1", "u2", {"A1", "A2"}, t0), st.hold("h1", "u1", {"A1"}, t0),
                   st.hold_best("h1", "u2", 2, t0), st.hold_best("h1", "u1", 3, t0)}) {
    REQUIRE_FALSE(res);
    CHECK(code_of(res.error()) == ec::invalid_argument);
  }
  auto late = st.hold("h1", "u1", {"A1", "A2"}, t0 + 300s);
  REQUIRE_FALSE(late);
  CHECK(code_of(late.error()) == ec::hold_expired);
  CHECK(fingerprint_of(st) == before);

  auto best = st.hold_best("h2", "u1", 3, t0);
  REQUIRE(best);
  auto best_again = st.hold_best("h2", "u1", 3, t0 + 1s);
  REQUIRE(best_again);
  CHECK_FALSE(best_again->event);
  CHECK(best_again->hold == best->hold);
  CHECK(st.counters().holds == 2);
}

TEST_CASE("refund returns a sold seat to free") {
  auto st = make_state(two_rows());
  REQUIRE(st.hold("h1", "u1", {"B1", "B2"}, t0));
  REQUIRE(st.confirm("h1", "u1", "o1", t0 + 1s));
  auto before = fingerprint_of(st);
  struct row {
    std::string seat, order;
    ec code;
  };
  for (const auto& r : std::vector<row>{{"B1", "o2", ec::not_holder},
                                        {"B3", "o1", ec::seat_not_sold},
                                        {"Z1", "o1", ec::unknown_seat}}) {
    CAPTURE(r.seat);
    auto res = st.refund(r.seat, r.order, t0 + 2s);
    REQUIRE_FALSE(res);
    CHECK(code_of(res.error()) == r.code);
    CHECK(fingerprint_of(st) == before);
  }
  auto refunded = st.refund("B1", "o1", t0 + 2s);
  REQUIRE(refunded);
  CHECK(refunded->event.has_refunded());
  CHECK(refunded->seat_ids == ids{"B1"});
  CHECK(status_of(st, "B1") == seat_status::free);
  CHECK(status_of(st, "B2") == seat_status::sold);
  CHECK(st.seat("B2")->order_id == "o1");
  CHECK(st.counters().refunds == 1);
  CHECK(st.counters().sold_now == 1);
  auto twice = st.refund("B1", "o1", t0 + 3s);
  REQUIRE_FALSE(twice);
  CHECK(code_of(twice.error()) == ec::seat_not_sold);
  CHECK(st.hold("h2", "u2", {"B1"}, t0 + 4s));
}

namespace {

// Drives a state through every kind of event; returns the events in order.
std::vector<seatgrab::pb::section_event> busy_history(section_state& st) {
  std::vector<seatgrab::pb::section_event> events;
  auto keep = [&](const auto& res) {
    REQUIRE(res);
    if constexpr (std::is_same_v<std::decay_t<decltype(*res)>, hold_outcome>) {
      REQUIRE(res->event);
      events.push_back(*res->event);
    } else {
      events.push_back(res->event);
    }
  };
  keep(st.hold("h1", "u1", {"A1", "A2"}, t0));
  keep(st.hold_best("h2", "u2", 3, t0 + 1s));
  keep(st.hold("h3", "u3", {"B5"}, t0 + 2s));
  keep(st.hold("h4", "u4", {"B7", "B8"}, t0 + 3s));
  keep(st.hold("h5", "u5", {"B9"}, t0 + 4s));
  keep(st.extend("h3", "u3", t0 + 100s));
  keep(st.confirm("h1", "u1", "o1", t0 + 110s));
  keep(st.confirm("h4", "u4", "o4", t0 + 120s));
  keep(st.refund("B7", "o4", t0 + 130s));
  keep(st.release("h2", "u2", t0 + 140s));
  keep(st.expire("h5", 1, t0 + 304s));
  keep(st.hold("h6", "u1", {"A9", "A10"}, t0 + 305s));
  return events;
}

} // namespace

TEST_CASE("snapshot and from_snapshot give the same state") {
  auto cfg = two_rows();
  auto st = make_state(cfg);
  busy_history(st);
  auto snap = st.snapshot();
  auto restored = section_state::from_snapshot(cfg, snap);
  REQUIRE(restored);
  CHECK(fingerprint_of(*restored) == fingerprint_of(st));
  CHECK(restored->snapshot().SerializeAsString() == snap.SerializeAsString());
  CHECK(restored->holds().size() == 2);
  // Both go on identically, including for holds and sales made before the snapshot.
  for (auto* s : {&st, &*restored}) {
    REQUIRE(s->refund("A2", "o1", t0 + 400s));
    REQUIRE(s->expire("h3", 2, t0 + 400s));
    REQUIRE(s->confirm("h6", "u1", "o6", t0 + 401s));
    REQUIRE(s->hold_best("h7", "u7", 4, t0 + 402s));
  }
  CHECK(fingerprint_of(*restored) == fingerprint_of(st));
}

TEST_CASE("from_snapshot rejects a snapshot that does not fit") {
  auto cfg = two_rows();
  auto st = make_state(cfg);
  busy_history(st);
  auto snap = st.snapshot();
  SUBCASE("another section") {
    auto other = cfg;
    other.section_id = "balcony";
    auto res = section_state::from_snapshot(other, snap);
    REQUIRE_FALSE(res);
    CHECK(code_of(res.error()) == ec::storage_corruption);
  }
  SUBCASE("another seat count") {
    auto other = cfg;
    other.seats.pop_back();
    auto res = section_state::from_snapshot(other, snap);
    REQUIRE_FALSE(res);
    CHECK(code_of(res.error()) == ec::storage_corruption);
  }
  SUBCASE("a held seat without a hold") {
    snap.mutable_holds()->RemoveLast();
    auto res = section_state::from_snapshot(cfg, snap);
    REQUIRE_FALSE(res);
    CHECK(code_of(res.error()) == ec::storage_corruption);
  }
  SUBCASE("a bad status byte") {
    (*snap.mutable_seat_status())[3] = 7;
    auto res = section_state::from_snapshot(cfg, snap);
    REQUIRE_FALSE(res);
    CHECK(code_of(res.error()) == ec::storage_corruption);
  }
}

TEST_CASE("replaying the emitted events into a fresh state gives the same state") {
  auto cfg = two_rows();
  auto st = make_state(cfg);
  auto events = busy_history(st);
  CHECK(events.size() == st.version());
  auto replayed = make_state(cfg);
  for (const auto& ev : events) {
    // Through bytes, as from the journal.
    seatgrab::pb::section_event copy;
    REQUIRE(copy.ParseFromString(ev.SerializeAsString()));
    REQUIRE_FALSE(replayed.apply(copy));
  }
  CHECK(fingerprint_of(replayed) == fingerprint_of(st));
  // Snapshot + tail replay gives the same state too.
  auto mid = make_state(cfg);
  for (size_t i = 0; i < 6; ++i)
    REQUIRE_FALSE(mid.apply(events[i]));
  auto tail = section_state::from_snapshot(cfg, mid.snapshot());
  REQUIRE(tail);
  for (size_t i = 6; i < events.size(); ++i)
    REQUIRE_FALSE(tail->apply(events[i]));
  CHECK(fingerprint_of(*tail) == fingerprint_of(st));
}

TEST_CASE("apply rejects events that do not fit, changing nothing") {
  auto cfg = two_rows();
  auto st = make_state(cfg);
  auto events = busy_history(st);
  auto fresh = make_state(cfg);
  REQUIRE_FALSE(fresh.apply(events[0]));
  auto before = fingerprint_of(fresh);
  auto expect_corrupt = [&](const seatgrab::pb::section_event& ev) {
    auto err = fresh.apply(ev);
    REQUIRE(err);
    CHECK(code_of(err) == ec::storage_corruption);
    CHECK(fingerprint_of(fresh) == before);
  };
  expect_corrupt(events[0]); // replayed twice: version does not follow
  expect_corrupt(events[2]); // a gap
  auto clash = events[1];    // h2 taking A1, which h1 holds
  clash.mutable_held()->set_seat_ids(0, "A1");
  expect_corrupt(clash);
  auto unknown = events[1];
  unknown.mutable_held()->set_seat_ids(0, "Q1");
  expect_corrupt(unknown);
  seatgrab::pb::section_event empty;
  empty.set_version(2);
  expect_corrupt(empty);
  seatgrab::pb::section_event stray;
  stray.set_version(2);
  stray.mutable_released()->set_hold_id("nope");
  expect_corrupt(stray);
}

TEST_CASE("an invalid config is refused") {
  auto dup = two_rows();
  dup.seats[3].id = "A1";
  auto split = make_config({{"A", {1, 1}}, {"B", {1}}, {"A", {1}}});
  split.seats[3].id = "A9";
  auto none = two_rows();
  none.seats.clear();
  auto ttl = two_rows();
  ttl.max_hold_total = ttl.hold_ttl - 1ms;
  for (const auto& cfg : {dup, split, none, ttl}) {
    auto st = section_state::make(cfg);
    REQUIRE_FALSE(st);
    CHECK(code_of(st.error()) == ec::invalid_input);
  }
}

TEST_CASE("a closed section takes no new hold; what was held may still be sold") {
  auto cfg = two_rows();
  auto st = make_state(cfg);
  auto h1 = st.hold("h1", "u1", {"A1", "A2"}, t0);
  auto h2 = st.hold("h2", "u2", {"B1"}, t0);
  REQUIRE(h1);
  REQUIRE(h2);
  CHECK_FALSE(st.closed());
  auto closed = st.close(t0 + 1s);
  REQUIRE(closed);
  CHECK(closed->has_closed());
  CHECK(st.closed());
  auto version = st.version();
  auto before = fingerprint_of(st);
  // New holds, of named seats or best available, are refused and change nothing.
  auto named = st.hold("h3", "u3", {"A5"}, t0 + 2s);
  REQUIRE_FALSE(named);
  CHECK(code_of(named.error()) == ec::sale_not_open);
  CHECK(context_of(named.error()).find("closed") != std::string::npos);
  auto best = st.hold_best("h4", "u4", 2, t0 + 2s);
  REQUIRE_FALSE(best);
  CHECK(code_of(best.error()) == ec::sale_not_open);
  CHECK(fingerprint_of(st) == before);
  // A retry of a live hold is still answered as that hold, without an event.
  auto again = st.hold("h1", "u1", {"A2", "A1"}, t0 + 3s);
  REQUIRE(again);
  CHECK_FALSE(again->event);
  // Closing again changes nothing.
  CHECK_FALSE(st.close(t0 + 3s));
  CHECK(st.version() == version);
  // The holds placed before go on: one is sold, the other released; refunds go on too.
  REQUIRE(st.confirm("h1", "u1", "o1", t0 + 4s));
  REQUIRE(st.release("h2", "u2", t0 + 4s));
  REQUIRE(st.refund("A1", "o1", t0 + 5s));
  CHECK(status_of(st, "A1") == seat_status::free);
  CHECK_FALSE(st.hold("h5", "u5", {"A1"}, t0 + 6s)); // freed, but the sale is over

  // The close survives a snapshot and a replay.
  auto restored = section_state::from_snapshot(cfg, st.snapshot());
  REQUIRE(restored);
  CHECK(restored->closed());
  auto replayed = make_state(cfg);
  REQUIRE_FALSE(replayed.apply(*h1->event));
  REQUIRE_FALSE(replayed.apply(*h2->event));
  REQUIRE_FALSE(replayed.apply(*closed));
  CHECK(replayed.closed());
  auto twice = *closed;
  twice.set_version(replayed.version() + 1);
  CHECK(replayed.apply(twice)); // a second close in a journal is corruption
}
