// Model-based test of section_state: random operation sequences run against the real state and
// against a deliberately naive reference model; every outcome and the whole seat map must agree.
#include "domain/section_state.hpp"
#include "messages/ec.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

using namespace std::chrono_literals;
using seatgrab::ec;
using namespace seatgrab::domain;

namespace {

const time_point t0 = time_point{1'700'000'000'000ms};

// Three short rows, so that holds collide often; max 4 seats per hold.
section_config model_config() {
  section_config cfg;
  cfg.event_id = "ev";
  cfg.section_id = "s1";
  cfg.max_seats_per_hold = 4;
  const std::vector<std::pair<std::string, std::vector<uint32_t>>> rows{
      {"A", {3, 1, 1, 2, 4, 1}}, {"B", {2, 2, 5, 1, 1}}, {"C", {1, 3, 3, 1}}};
  for (const auto& [row, ranks] : rows)
    for (uint32_t i = 0; i < ranks.size(); ++i)
      cfg.seats.push_back(seat_info{row + std::to_string(i + 1), row, i + 1, ranks[i],
                                    500 + 50 * int64_t{ranks[i]}});
  return cfg;
}

// The reference: maps of plain values, every rule spelled out the obvious way.
struct model {
  struct ref_seat {
    seat_status status = seat_status::free;
    std::string hold_id, holder, order_id;
    int64_t price = 0; // locked / paid; base price when free
  };
  struct ref_hold {
    std::string holder;
    std::vector<std::string> seats;
    time_point created_at, expires_at;
    uint64_t generation = 1;
  };

  using result = std::optional<ec>; // nothing: success

  explicit model(const section_config& c) : cfg(c) {
    for (size_t i = 0; i < cfg.seats.size(); ++i) {
      const auto& s = cfg.seats[i];
      seats[s.id].price = s.price;
      if (i == 0 || cfg.seats[i - 1].row != s.row)
        rows.emplace_back();
      rows.back().push_back(s.id);
    }
    counters.free_now = static_cast<uint32_t>(cfg.seats.size());
  }

  const seat_info& info(const std::string& id) const {
    for (const auto& s : cfg.seats)
      if (s.id == id)
        return s;
    FAIL("no seat " << id);
    return cfg.seats.front();
  }

  // Existing-hold handling shared by both hold forms.
  result retry(const std::string& hold_id, time_point now) const {
    return now >= holds.at(hold_id).expires_at ? result{ec::hold_expired} : std::nullopt;
  }

  result hold(const std::string& hold_id, const std::string& holder,
              const std::vector<std::string>& ids, time_point now, std::string& taken,
              bool& is_retry) {
    is_retry = false;
    if (hold_id.empty() || holder.empty())
      return ec::invalid_argument;
    if (holds.count(hold_id)) {
      auto a = ids;
      auto b = holds[hold_id].seats;
      std::sort(a.begin(), a.end());
      std::sort(b.begin(), b.end());
      if (holds[hold_id].holder != holder || a != b)
        return ec::invalid_argument;
      is_retry = true;
      return retry(hold_id, now);
    }
    if (ids.empty())
      return ec::invalid_argument;
    if (ids.size() > cfg.max_seats_per_hold)
      return ec::too_many_seats;
    for (size_t i = 0; i < ids.size(); ++i) {
      if (!seats.count(ids[i]))
        return ec::unknown_seat;
      for (size_t j = 0; j < i; ++j)
        if (ids[j] == ids[i])
          return ec::duplicate_seat;
    }
    for (const auto& id : ids)
      if (seats[id].status != seat_status::free)
        taken += (taken.empty() ? "" : ",") + id;
    if (!taken.empty())
      return ec::seat_taken;
    place(hold_id, holder, ids, now);
    return std::nullopt;
  }

  void place(const std::string& hold_id, const std::string& holder,
             const std::vector<std::string>& ids, time_point now) {
    holds[hold_id] = ref_hold{holder, ids, now, now + cfg.hold_ttl, 1};
    for (const auto& id : ids)
      seats[id] = ref_seat{seat_status::held, hold_id, holder, "", info(id).price};
    counters.holds++;
    counters.held_seats += ids.size();
    counters.free_now -= static_cast<uint32_t>(ids.size());
    counters.held_now += static_cast<uint32_t>(ids.size());
  }

  // Validity of a best-available request; the seats come from the real state.
  result hold_best_check(const std::string& hold_id, const std::string& holder, uint32_t n,
                         time_point now, bool& is_retry) const {
    is_retry = false;
    if (hold_id.empty() || holder.empty())
      return ec::invalid_argument;
    if (holds.count(hold_id)) {
      if (holds.at(hold_id).holder != holder || holds.at(hold_id).seats.size() != n)
        return ec::invalid_argument;
      is_retry = true;
      return retry(hold_id, now);
    }
    if (n == 0)
      return ec::invalid_argument;
    if (n > cfg.max_seats_per_hold)
      return ec::too_many_seats;
    if (blocks(n).empty())
      return ec::no_seats_available;
    return std::nullopt;
  }

  // Every run of n free seats of one row.
  std::vector<std::vector<std::string>> blocks(uint32_t n) const {
    std::vector<std::vector<std::string>> result;
    for (const auto& row : rows)
      for (size_t i = 0; i + n <= row.size(); ++i) {
        std::vector<std::string> block(row.begin() + i, row.begin() + i + n);
        if (std::all_of(block.begin(), block.end(),
                        [&](auto& id) { return seats.at(id).status == seat_status::free; }))
          result.push_back(block);
      }
    return result;
  }

  // Brute force: does taking `block` leave a free run of exactly one seat beside it?
  bool orphans(const std::vector<std::string>& block) const {
    for (const auto& row : rows) {
      auto first = std::find(row.begin(), row.end(), block.front());
      if (first == row.end())
        continue;
      auto lo = static_cast<long>(first - row.begin());
      auto hi = lo + static_cast<long>(block.size()); // one past
      auto free_at = [&](long i) {
        return i >= 0 && i < static_cast<long>(row.size()) &&
               seats.at(row[static_cast<size_t>(i)]).status == seat_status::free;
      };
      long left = 0, right = 0;
      while (free_at(lo - 1 - left))
        ++left;
      while (free_at(hi + right))
        ++right;
      return left == 1 || right == 1;
    }
    return false;
  }

  uint64_t rank_of(const std::vector<std::string>& block) const {
    uint64_t sum = 0;
    for (const auto& id : block)
      sum += info(id).rank;
    return sum;
  }

  // What best available should pick: no orphan first, then rank, then position.
  std::vector<std::string> best(uint32_t n) const {
    auto all = blocks(n); // in config order
    auto better = [&](const auto& x, const auto& y) {
      return std::make_pair(orphans(x), rank_of(x)) < std::make_pair(orphans(y), rank_of(y));
    };
    return *std::min_element(all.begin(), all.end(), better);
  }

  result extend(const std::string& hold_id, const std::string& holder, time_point now) {
    if (!holds.count(hold_id))
      return ec::hold_not_found;
    auto& h = holds[hold_id];
    if (h.holder != holder)
      return ec::not_holder;
    if (now >= h.expires_at)
      return ec::hold_expired;
    auto next = std::min(now + cfg.hold_ttl, h.created_at + cfg.max_hold_total);
    if (next <= h.expires_at)
      return ec::extension_limit;
    h.expires_at = next;
    h.generation++;
    counters.extensions++;
    return std::nullopt;
  }

  void free_hold(const std::string& hold_id) {
    for (const auto& id : holds[hold_id].seats)
      seats[id] = ref_seat{seat_status::free, "", "", "", info(id).price};
    auto n = static_cast<uint32_t>(holds[hold_id].seats.size());
    counters.free_now += n;
    counters.held_now -= n;
    holds.erase(hold_id);
  }

  result release(const std::string& hold_id, const std::string& holder) {
    if (!holds.count(hold_id))
      return ec::hold_not_found;
    if (holds[hold_id].holder != holder)
      return ec::not_holder;
    free_hold(hold_id);
    counters.releases++;
    return std::nullopt;
  }

  bool expire(const std::string& hold_id, uint64_t generation, time_point now) {
    if (!holds.count(hold_id) || holds[hold_id].generation != generation ||
        now < holds[hold_id].expires_at)
      return false;
    free_hold(hold_id);
    counters.expiries++;
    return true;
  }

  result confirm(const std::string& hold_id, const std::string& holder, const std::string& order_id,
                 time_point now) {
    if (order_id.empty())
      return ec::invalid_argument;
    if (!holds.count(hold_id))
      return ec::hold_not_found;
    auto& h = holds[hold_id];
    if (h.holder != holder)
      return ec::not_holder;
    if (now >= h.expires_at)
      return ec::hold_expired;
    for (const auto& id : h.seats)
      seats[id] = ref_seat{seat_status::sold, "", "", order_id, seats[id].price};
    auto n = static_cast<uint32_t>(h.seats.size());
    counters.sales++;
    counters.sold_seats += n;
    counters.held_now -= n;
    counters.sold_now += n;
    holds.erase(hold_id);
    return std::nullopt;
  }

  result refund(const std::string& seat_id, const std::string& order_id) {
    if (!seats.count(seat_id))
      return ec::unknown_seat;
    auto& s = seats[seat_id];
    if (s.status != seat_status::sold)
      return ec::seat_not_sold;
    if (s.order_id != order_id)
      return ec::not_holder;
    s = ref_seat{seat_status::free, "", "", "", info(seat_id).price};
    counters.refunds++;
    counters.sold_now--;
    counters.free_now++;
    return std::nullopt;
  }

  const section_config& cfg;
  std::map<std::string, ref_seat> seats;
  std::map<std::string, ref_hold> holds;
  std::vector<std::vector<std::string>> rows;
  section_counters counters;
};

ec code_of(const caf::error& err) {
  REQUIRE(err.category() == caf::atom("seatgrab"));
  return static_cast<ec>(err.code());
}

std::string context_of(const caf::error& err) {
  const auto& ctx = err.context();
  return ctx.size() == 1 && ctx.match_element<std::string>(0) ? ctx.get_as<std::string>(0) : "";
}

std::string name(std::optional<ec> x) {
  return x ? std::string{seatgrab::to_string(*x)} : "ok";
}

// Empty if the real state shows exactly what the model holds, else the first difference.
std::string diff(const model& m, const section_state& st) {
  std::ostringstream out;
  for (const auto& s : st.seats()) {
    const auto& want = m.seats.at(std::string{s.id});
    if (s.status != want.status || s.hold_id != want.hold_id || s.holder != want.holder ||
        s.order_id != want.order_id || s.price != want.price) {
      out << "seat " << s.id << ": got " << to_string(s.status) << " hold=" << s.hold_id
          << " holder=" << s.holder << " order=" << s.order_id << " price=" << s.price << ", want "
          << to_string(want.status) << " hold=" << want.hold_id << " holder=" << want.holder
          << " order=" << want.order_id << " price=" << want.price;
      return out.str();
    }
  }
  auto holds = st.holds();
  if (holds.size() != m.holds.size())
    return "live holds: got " + std::to_string(holds.size()) + ", want " +
           std::to_string(m.holds.size());
  for (const auto& h : holds) {
    if (!m.holds.count(h.hold_id))
      return "unexpected hold " + h.hold_id;
    const auto& want = m.holds.at(h.hold_id);
    std::vector<std::string> ids;
    for (const auto& s : h.seats)
      ids.push_back(s.seat_id);
    if (h.holder != want.holder || ids != want.seats || h.created_at != want.created_at ||
        h.expires_at != want.expires_at || h.generation != want.generation)
      return "hold " + h.hold_id + " differs";
  }
  if (!(st.counters() == m.counters))
    return "counters differ";
  return {};
}

// Full comparison of two real states through every query.
bool same_state(const section_state& x, const section_state& y) {
  return x.version() == y.version() && x.seats() == y.seats() && x.holds() == y.holds() &&
         x.counters() == y.counters();
}

struct runner {
  explicit runner(uint64_t seed) : rng(seed), m(cfg), st(*section_state::make(cfg)) {}

  size_t pick(size_t n) { return std::uniform_int_distribution<size_t>{0, n - 1}(rng); }
  bool chance(double p) { return std::bernoulli_distribution{p}(rng); }

  std::string hold_id() {
    if (!m.holds.empty() && chance(0.6)) {
      auto it = m.holds.begin();
      std::advance(it, static_cast<long>(pick(m.holds.size())));
      return it->first;
    }
    return chance(0.03) ? "" : "h" + std::to_string(pick(10));
  }

  std::string holder_for(const std::string& hold) {
    if (m.holds.count(hold) && chance(0.85))
      return m.holds[hold].holder;
    return chance(0.03) ? "" : "u" + std::to_string(pick(3));
  }

  std::string seat_id() { return chance(0.04) ? "Z9" : cfg.seats[pick(cfg.seats.size())].id; }

  void record(const seatgrab::pb::section_event& ev) {
    REQUIRE(ev.version() == events.size() + 1);
    events.push_back(ev);
  }

  void advance() {
    auto r = pick(100);
    if (r < 40)
      now += std::chrono::milliseconds{pick(10'000)};
    else if (r < 55)
      now += std::chrono::seconds{pick(250)};
    else if (r < 65 && !m.holds.empty()) {
      // Land exactly on, or just before, some hold's deadline.
      auto it = m.holds.begin();
      std::advance(it, static_cast<long>(pick(m.holds.size())));
      auto target = it->second.expires_at - std::chrono::milliseconds{pick(2)};
      now = std::max(now, target);
    }
  }

  void note(const std::ostringstream& what) {
    last_op = what.str() + " at t0+" + std::to_string((now - t0).count()) + "ms";
  }

  void step() {
    advance();
    std::ostringstream what;
    std::optional<ec> want;
    std::optional<ec> got;
    switch (pick(8)) {
    case 0:
    case 1: { // hold
      auto id = hold_id();
      auto holder = holder_for(id);
      std::vector<std::string> ids;
      if (m.holds.count(id) && chance(0.3)) {
        ids = m.holds[id].seats; // a retry, shuffled
        std::shuffle(ids.begin(), ids.end(), rng);
      } else {
        auto k = pick(cfg.max_seats_per_hold + 2);
        for (size_t i = 0; i < k; ++i)
          ids.push_back(!ids.empty() && chance(0.05) ? ids.front() : seat_id());
      }
      what << "hold " << id << " " << holder << " [";
      for (const auto& s : ids)
        what << s << " ";
      what << "]";
      note(what);
      std::string taken;
      bool is_retry = false;
      want = m.hold(id, holder, ids, now, taken, is_retry);
      auto res = st.hold(id, holder, ids, now);
      if (res) {
        REQUIRE(res->event.has_value() == !is_retry);
        if (res->event)
          record(*res->event);
      } else {
        got = code_of(res.error());
        if (got == ec::seat_taken)
          REQUIRE(context_of(res.error()) == taken);
      }
      break;
    }
    case 2: { // best available
      auto id = hold_id();
      auto holder = holder_for(id);
      auto n = static_cast<uint32_t>(pick(cfg.max_seats_per_hold + 2));
      what << "hold_best " << id << " " << holder << " " << n;
      note(what);
      bool is_retry = false;
      want = m.hold_best_check(id, holder, n, now, is_retry);
      auto expected_seats = !want && !is_retry ? m.best(n) : std::vector<std::string>{};
      auto res = st.hold_best(id, holder, n, now);
      if (res) {
        std::vector<std::string> ids;
        for (const auto& s : res->hold.seats)
          ids.push_back(s.seat_id);
        if (is_retry) {
          REQUIRE_FALSE(res->event);
          REQUIRE(ids == m.holds[id].seats);
        } else {
          REQUIRE(res->event);
          record(*res->event);
          // Free, adjacent, one row: exactly one of the model's blocks, and the best one.
          auto blocks = m.blocks(n);
          REQUIRE(std::find(blocks.begin(), blocks.end(), ids) != blocks.end());
          REQUIRE(ids == expected_seats);
          m.place(id, holder, ids, now);
        }
      } else {
        got = code_of(res.error());
      }
      break;
    }
    case 3: { // extend
      auto id = hold_id();
      auto holder = holder_for(id);
      what << "extend " << id << " " << holder;
      note(what);
      want = m.extend(id, holder, now);
      auto res = st.extend(id, holder, now);
      if (res) {
        REQUIRE(res->event);
        record(*res->event);
      } else {
        got = code_of(res.error());
      }
      break;
    }
    case 4: { // release
      auto id = hold_id();
      auto holder = holder_for(id);
      what << "release " << id << " " << holder;
      note(what);
      want = m.release(id, holder);
      auto res = st.release(id, holder, now);
      if (res)
        record(res->event);
      else
        got = code_of(res.error());
      break;
    }
    case 5: { // timer
      auto id = hold_id();
      uint64_t gen = m.holds.count(id) ? m.holds[id].generation : 1;
      if (chance(0.3))
        gen = gen + pick(3) - 1; // stale or from the future
      what << "expire " << id << " gen " << gen;
      note(what);
      auto fired = m.expire(id, gen, now);
      auto res = st.expire(id, gen, now);
      REQUIRE(res.has_value() == fired);
      if (res)
        record(res->event);
      break;
    }
    case 6: { // confirm
      auto id = hold_id();
      auto holder = holder_for(id);
      auto order = chance(0.03) ? "" : "o" + std::to_string(pick(4));
      what << "confirm " << id << " " << holder << " " << order;
      note(what);
      want = m.confirm(id, holder, order, now);
      auto res = st.confirm(id, holder, order, now);
      if (res)
        record(res->event);
      else
        got = code_of(res.error());
      break;
    }
    case 7: { // refund
      std::string seat = seat_id();
      std::string order = "o" + std::to_string(pick(4));
      std::vector<std::string> sold;
      for (const auto& [id, s] : m.seats)
        if (s.status == seat_status::sold)
          sold.push_back(id);
      if (!sold.empty() && chance(0.7)) {
        seat = sold[pick(sold.size())];
        if (chance(0.7))
          order = m.seats[seat].order_id;
      }
      what << "refund " << seat << " " << order;
      note(what);
      want = m.refund(seat, order);
      auto res = st.refund(seat, order, now);
      if (res)
        record(res->event);
      else
        got = code_of(res.error());
      break;
    }
    }
    REQUIRE(name(got) == name(want));
    REQUIRE(st.version() == events.size());
    auto difference = diff(m, st);
    REQUIRE(difference == "");
    if (chance(0.02))
      restore();
  }

  // Swap in a state restored from a snapshot: it must be equal and go on behaving the same.
  void restore() {
    auto snap = st.snapshot();
    auto restored = section_state::from_snapshot(cfg, snap);
    REQUIRE(restored);
    REQUIRE(same_state(*restored, st));
    REQUIRE(restored->snapshot().SerializeAsString() == snap.SerializeAsString());
    st = std::move(*restored);
  }

  void check_replay() {
    auto replayed = section_state::make(cfg);
    REQUIRE(replayed);
    for (const auto& ev : events)
      REQUIRE_FALSE(replayed->apply(ev));
    REQUIRE(same_state(*replayed, st));
  }

  section_config cfg = model_config();
  std::mt19937_64 rng;
  model m;
  section_state st;
  time_point now = t0;
  std::vector<seatgrab::pb::section_event> events;
  std::string last_op;
};

} // namespace

TEST_CASE("section_state agrees with a reference model on random operation sequences") {
  // SEATGRAB_SEED=n reruns one sequence.
  uint64_t first = 1;
  uint64_t count = 400;
  if (const char* env = std::getenv("SEATGRAB_SEED")) {
    first = std::strtoull(env, nullptr, 10);
    count = 1;
  }
  size_t events = 0;
  for (uint64_t seed = first; seed < first + count; ++seed) {
    CAPTURE(seed);
    runner r{seed};
    INFO("last operation: " << r.last_op);
    for (int i = 0; i < 200; ++i)
      r.step();
    r.check_replay();
    events += r.events.size();
  }
  // The sequences must actually do things, not fail on every step.
  CHECK(events > count * 40);
}
