// The verifier's replay of dynamic pricing, with its own model (no domain state class):
// - every price change obeys the published rule: each tick's inputs give the recorded moving
//   average, pace, streaks and level; one step a tick at most, up only after `up_ticks` ticks
//   above the threshold, never above `max_up_per_hour` rule steps up an hour, never while
//   fewer fans wait than seats are free, never while frozen; the ladders are well formed;
// - every price a section applied is the engine's at that version;
// - guarantee 1: every sale charges each seat the lower of its locked price and the price in
//   force at the sale (never more than either), and its ticket carries that charge;
// - guarantee 2: no hold locks a seat above its price at the holder's admission, the price
//   version the waiting room journaled when it let the fan in.

#include "messages/catalog.pb.h"
#include "messages/ec.hpp"
#include "messages/pricing.pb.h"
#include "messages/section.pb.h"
#include "messages/tickets.pb.h"
#include "messages/waiting_room.pb.h"
#include "scenarios/journals.hpp"

#include <nlohmann/json.hpp>
#include <openssl/sha.h>

#include <algorithm>
#include <deque>
#include <set>

namespace seatgrab::scenarios {

namespace {

constexpr int64_t hour_ms = 3'600'000;

struct track {
  std::vector<int64_t> ladder;
  uint32_t level = 0;
  bool frozen = false;
  bool has_reading = false;
  uint32_t last_free = 0;
  int64_t ewma = 0;
  int64_t last_at = 0; // when `last_free` was read
  uint32_t up = 0;
  uint32_t down = 0;
  std::deque<int64_t> ups;                              // times of rule steps up
  std::vector<std::pair<uint64_t, int64_t>> by_version; // (price version, price) changes
};

struct engine {
  pb::pricing_rule rule;
  std::map<std::string, track> sections;
  std::vector<std::string> order; // policy order
  bool frozen = false;
  uint64_t version = 0;
  uint64_t ticks = 0;
};

/// The price of `section` at price version `v`: the last change at or before it, else `base`.
int64_t price_at(const engine& e, const std::string& section, uint64_t v, int64_t base) {
  auto t = e.sections.find(section);
  if (t == e.sections.end())
    return base;
  int64_t p = base;
  for (const auto& [version, price] : t->second.by_version)
    if (version <= v)
      p = price;
  return p;
}

/// What a waiting room's account key is: the first 8 bytes of the id's SHA-256, big endian,
/// never 0 (written here a second time, on purpose).
uint64_t account_key(const std::string& id) {
  unsigned char h[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(id.data()), id.size(), h);
  uint64_t k = 0;
  for (int i = 0; i < 8; ++i)
    k = (k << 8) | h[i];
  return k == 0 ? 1 : k;
}

struct pricing_checker {
  const journals& db;
  verdict& out;

  void violation(const std::string& where, uint64_t seq, const std::string& what) {
    out.violations.push_back(where + "/" + std::to_string(seq) + ": " + what);
  }

  template <class Event>
  std::vector<std::pair<uint64_t, Event>> load(const std::string& kind, const std::string& id) {
    std::vector<std::pair<uint64_t, Event>> events;
    auto log = db.history(kind, id);
    if (!log) {
      out.violations.push_back(kind + "/" + id + ": " + render(log.error()));
      return events;
    }
    for (const auto& [seq, bytes] : log->tail) {
      ++out.events;
      Event ev;
      if (!ev.ParseFromString(bytes)) {
        violation(kind + "/" + id, seq, "does not parse");
        return {};
      }
      events.emplace_back(seq, std::move(ev));
    }
    return events;
  }

  // -- the engine ------------------------------------------------------------------------

  void policy(engine& e, const std::string& where, uint64_t seq, const pb::pricing_event& ev) {
    const auto& p = ev.policy();
    if (p.price_version() != e.version + 1)
      violation(where, seq, "policy at price version " + std::to_string(p.price_version()));
    std::map<std::string, track> sections;
    e.order.clear();
    for (const auto& l : p.ladders()) {
      track t;
      t.ladder.assign(l.prices().begin(), l.prices().end());
      bool rising = !t.ladder.empty() && t.ladder.front() > 0 && t.ladder.size() <= 5;
      for (size_t i = 1; rising && i < t.ladder.size(); ++i)
        rising = t.ladder[i] > t.ladder[i - 1];
      if (!rising || t.ladder.back() > 4 * t.ladder.front() || l.level() >= t.ladder.size()) {
        violation(where, seq,
                  "the ladder of section " + l.section() + " is not 1..5 rising " +
                      "prices within 4x the floor, with its level on it");
        continue;
      }
      t.level = l.level();
      if (auto old = e.sections.find(l.section()); old != e.sections.end()) {
        t.frozen = old->second.frozen;
        t.by_version = old->second.by_version;
      }
      t.by_version.emplace_back(p.price_version(), t.ladder[t.level]);
      sections[l.section()] = std::move(t);
      e.order.push_back(l.section());
    }
    e.sections = std::move(sections);
    e.rule = p.rule();
    e.version = p.price_version();
    e.ticks = 0;
    out.price_changes += static_cast<uint64_t>(p.ladders_size());
  }

  // One section's tick: recomputes the rule from the recorded inputs and compares.
  bool tick_section(engine& e, const std::string& where, uint64_t seq, int64_t at,
                    const pb::pricing_input& in) {
    auto it = e.sections.find(in.section());
    if (it == e.sections.end()) {
      violation(where, seq, "tick of unknown section " + in.section());
      return false;
    }
    auto& t = it->second;
    auto say = [&](const std::string& what) {
      violation(where, seq, "section " + in.section() + ": " + what);
    };
    const auto& r = e.rule;
    if (in.closed()) {
      if (in.level() != t.level)
        say("moved while sitting the tick out");
      return false;
    }
    auto taken = t.has_reading ? int64_t{t.last_free} - int64_t{in.free()} : 0;
    auto elapsed = t.has_reading ? std::max<int64_t>(at - t.last_at, 1) : 0;
    auto rate = elapsed > 0 ? taken * 1'000'000 / elapsed : 0;
    auto w = int64_t{r.ewma_permille()};
    auto ewma = t.has_reading ? (w * rate + (1000 - w) * t.ewma) / 1000 : rate;
    auto left = std::max<int64_t>((r.window_ends_at_ms() - at) / 1000, r.interval_s());
    int64_t pace = (in.free() == 0 || ewma <= 0) ? 0 : ewma * left / int64_t{in.free()};
    if (in.taken() != taken || in.elapsed_ms() != elapsed || in.ewma_milli() != ewma ||
        in.seconds_left() != left || in.pace_permille() != pace) {
      say("the inputs give taken " + std::to_string(taken) + " in " + std::to_string(elapsed) +
          " ms, average " + std::to_string(ewma) + ", " + std::to_string(left) + " s left, pace " +
          std::to_string(pace) + "; recorded " + std::to_string(in.taken()) + ", " +
          std::to_string(in.ewma_milli()) + ", " + std::to_string(in.seconds_left()) + ", " +
          std::to_string(in.pace_permille()));
      return false;
    }
    uint32_t up = 0, down = 0;
    auto level = t.level;
    while (!t.ups.empty() && t.ups.front() < at - hour_ms) // an hour, both ends included
      t.ups.pop_front();
    if (!(e.frozen || t.frozen || in.free() == 0)) {
      up = pace > int64_t{r.up_permille()} ? t.up + 1 : 0;
      down = pace < int64_t{r.down_permille()} ? t.down + 1 : 0;
      if (up >= r.up_ticks() && level + 1 < t.ladder.size() && t.ups.size() < r.max_up_per_hour() &&
          in.waiting() >= in.free()) {
        ++level;
        up = down = 0;
      } else if (down >= r.down_ticks() && level > 0) {
        --level;
        up = down = 0;
      }
    }
    if (in.level() != level) {
      auto why = in.level() > t.level
                     ? (e.frozen || t.frozen ? std::string{"while frozen"}
                        : in.waiting() < in.free()
                            ? "with " + std::to_string(in.waiting()) + " waiting for " +
                                  std::to_string(in.free()) + " free"
                        : t.ups.size() >= r.max_up_per_hour()
                            ? "past " + std::to_string(r.max_up_per_hour()) + " steps up an hour"
                            : "with pace " + std::to_string(pace) + " after " +
                                  std::to_string(t.up) + " ticks above")
                     : "against the rule";
      say("level " + std::to_string(t.level) + " -> " + std::to_string(in.level()) + " " + why +
          " (the rule gives " + std::to_string(level) + ")");
    } else if (in.up_streak() != up || in.down_streak() != down) {
      say("streaks recorded " + std::to_string(in.up_streak()) + "/" +
          std::to_string(in.down_streak()) + ", the rule gives " + std::to_string(up) + "/" +
          std::to_string(down));
    }
    // Go on from what was recorded, so that one mistake is reported once.
    t.has_reading = true;
    t.last_free = in.free();
    t.last_at = at;
    t.ewma = in.ewma_milli();
    t.up = in.up_streak();
    t.down = in.down_streak();
    if (in.level() >= t.ladder.size())
      return false;
    if (in.level() > t.level)
      t.ups.push_back(at);
    bool moved = in.level() != t.level;
    t.level = in.level();
    return moved;
  }

  std::optional<engine> replay(const std::string& event) {
    auto events = load<pb::pricing_event>("pricing", event);
    if (events.empty())
      return std::nullopt;
    engine e;
    auto where = "pricing/" + event;
    for (const auto& [seq, ev] : events) {
      if (ev.has_policy()) {
        policy(e, where, seq, ev);
      } else if (e.sections.empty()) {
        violation(where, seq, "a change before any policy");
      } else if (ev.has_ticked()) {
        const auto& t = ev.ticked();
        if (t.tick() != e.ticks + 1)
          violation(where, seq,
                    "tick " + std::to_string(t.tick()) + " after " + std::to_string(e.ticks));
        e.ticks = t.tick();
        std::vector<std::string> moved;
        for (const auto& in : t.sections())
          if (tick_section(e, where, seq, ev.at_ms(), in))
            moved.push_back(in.section());
        if (t.price_version() != e.version + (moved.empty() ? 0 : 1))
          violation(where, seq,
                    "price version " + std::to_string(t.price_version()) + " after " +
                        std::to_string(e.version));
        e.version = t.price_version();
        for (const auto& s : moved) {
          auto& tr = e.sections[s];
          tr.by_version.emplace_back(e.version, tr.ladder[tr.level]);
          ++out.price_changes;
        }
      } else if (ev.has_frozen() || ev.has_unfrozen()) {
        const auto& s = ev.has_frozen() ? ev.frozen().section() : ev.unfrozen().section();
        if (s.empty()) {
          e.frozen = ev.has_frozen();
          for (auto& [id, tr] : e.sections)
            tr.up = tr.down = 0;
        } else if (auto it = e.sections.find(s); it != e.sections.end())
          it->second.frozen = ev.has_frozen(), it->second.up = 0, it->second.down = 0;
        else
          violation(where, seq, "freeze of unknown section " + s);
      } else if (ev.has_level()) {
        auto it = e.sections.find(ev.level().section());
        if (it == e.sections.end() || ev.level().level() >= it->second.ladder.size() ||
            ev.level().price_version() != e.version + 1) {
          violation(where, seq, "a level that does not fit");
          continue;
        }
        auto& t = it->second;
        t.level = ev.level().level();
        t.up = t.down = 0;
        e.version = ev.level().price_version();
        t.by_version.emplace_back(e.version, t.ladder[t.level]);
        ++out.price_changes;
      }
    }
    return e;
  }

  // -- the sections, the room and the tickets ----------------------------------------------

  /// Each section's tier price, from the venue the catalog journaled.
  std::map<std::string, int64_t> base_prices(const std::string& event) {
    std::map<std::string, int64_t> result;
    auto rec = db.load("event", event);
    pb::event_created created;
    if (!rec || rec->tail.empty() || !created.ParseFromString(rec->tail.front().second))
      return result;
    auto venue = db.load("venue", created.venue_id());
    if (!venue || venue->tail.empty())
      return result;
    auto j = nlohmann::json::parse(venue->tail.front().second, nullptr, false);
    if (j.is_discarded())
      return result;
    std::map<std::string, int64_t> tiers;
    for (const auto& t : j.value("price_tiers", nlohmann::json::array()))
      tiers[t.value("id", "")] = t.value("price", int64_t{0});
    for (const auto& s : j.value("sections", nlohmann::json::array()))
      result[s.value("id", "")] = tiers[s.value("tier", "")];
    return result;
  }

  /// Per account key: the times of its admissions with the price version each carried.
  std::map<uint64_t, std::vector<std::pair<int64_t, uint64_t>>> admissions(const std::string& ev) {
    std::map<uint64_t, std::vector<std::pair<int64_t, uint64_t>>> result;
    std::map<uint64_t, uint64_t> account_of; // ticket -> account key
    uint64_t version = 0;
    for (const auto& [seq, e] : load<pb::waiting_room_event>("queue", ev)) {
      if (e.has_joined())
        account_of[e.joined().ticket()] = e.joined().account();
      else if (e.has_prices())
        version = e.prices().price_version();
      else if (e.has_tick())
        for (auto t : e.tick().admitted())
          result[account_of[t]].emplace_back(e.at_ms(), version);
    }
    return result;
  }

  void check_event(const std::string& event, const engine& e) {
    auto base = base_prices(event);
    auto admitted = admissions(event);
    std::map<std::string, int64_t> charged; // seat|order -> what the sale charged
    auto sections = db.entities("section", out.violations);
    if (!sections)
      return;
    for (const auto& entity : *sections) {
      if (!entity.starts_with(event + "/"))
        continue;
      auto section = entity.substr(event.size() + 1);
      auto where = "section/" + entity;
      auto tier = base.count(section) ? base[section] : 0;
      std::optional<int64_t> now; // the price set last, if any
      std::map<std::string, std::vector<std::pair<std::string, int64_t>>> locks; // hold -> seats
      for (const auto& [seq, ev] : load<pb::section_event>("section", entity)) {
        auto price_now = now.value_or(tier);
        if (ev.has_price()) {
          auto want = price_at(e, section, ev.price().price_version(), tier);
          if (ev.price().price() != want)
            violation(where, seq,
                      "price " + std::to_string(ev.price().price()) + " at version " +
                          std::to_string(ev.price().price_version()) + ", the engine's is " +
                          std::to_string(want));
          now = ev.price().price();
        } else if (ev.has_held()) {
          const auto& h = ev.held();
          auto& lock = locks[h.hold_id()];
          for (int i = 0; i < h.prices_size() && i < h.seat_ids_size(); ++i)
            lock.emplace_back(h.seat_ids(i), h.prices(i));
          // The admission in force: the holder's last one before the hold.
          std::optional<uint64_t> version;
          if (auto a = admitted.find(account_key(h.holder())); a != admitted.end())
            for (const auto& [at, v] : a->second)
              if (at <= ev.at_ms())
                version = v;
          for (int i = 0; i < h.prices_size(); ++i) {
            if (tier > 0 && h.prices(i) > price_now)
              violation(where, seq,
                        "hold " + h.hold_id() + " locked seat " + h.seat_ids(i) + " at " +
                            std::to_string(h.prices(i)) + ", above the price then " +
                            std::to_string(price_now));
            if (!version || tier == 0)
              continue;
            auto cap = price_at(e, section, *version, tier);
            if (h.prices(i) > cap)
              violation(where, seq,
                        "guarantee 2: hold " + h.hold_id() + " of " + h.holder() + " locked seat " +
                            h.seat_ids(i) + " at " + std::to_string(h.prices(i)) + ", above " +
                            std::to_string(cap) + ", its price at the admission (price version " +
                            std::to_string(*version) + ")");
          }
        } else if (ev.has_sold()) {
          auto l = locks.find(ev.sold().hold_id());
          if (l == locks.end())
            continue; // the section check reports it
          const auto& lock = l->second;
          if (ev.sold().prices_size() != 0 && size_t(ev.sold().prices_size()) != lock.size()) {
            violation(where, seq,
                      "sale of hold " + ev.sold().hold_id() + " names " +
                          std::to_string(ev.sold().prices_size()) + " charges for " +
                          std::to_string(lock.size()) + " seats");
            locks.erase(l);
            continue;
          }
          for (size_t i = 0; i < lock.size(); ++i) {
            const auto& [seat, locked] = lock[i];
            auto paid = ev.sold().prices_size() == 0 ? locked : ev.sold().prices(int(i));
            auto want = tier > 0 ? std::min(locked, price_now) : locked;
            if (paid != want)
              violation(where, seq,
                        "guarantee 1: hold " + ev.sold().hold_id() + " seat " + seat + " charged " +
                            std::to_string(paid) + ", not the lower of its lock " +
                            std::to_string(locked) + " and the price then " +
                            std::to_string(price_now));
            charged[seat + "|" + ev.sold().order_id()] = paid;
            ++out.priced_sales;
          }
          locks.erase(l);
        } else if (ev.has_released() || ev.has_expired()) {
          locks.erase(ev.has_released() ? ev.released().hold_id() : ev.expired().hold_id());
        }
      }
    }
    // A ticket carries what its seat was charged (its refund pays that back).
    for (const auto& [seq, ev] : load<pb::ticket_event>("ticket", event))
      if (ev.has_issued())
        for (const auto& s : ev.issued().seats())
          if (auto c = charged.find(s.seat_id() + "|" + ev.issued().order_id());
              c != charged.end() && c->second != s.price())
            violation("ticket/" + event, seq,
                      "ticket " + s.ticket_id() + " of seat " + s.seat_id() + " at " +
                          std::to_string(s.price()) + ", its seat was charged " +
                          std::to_string(c->second));
  }
};

} // namespace

void verify_pricing(const journals& db, verdict& out) {
  auto events = db.entities("pricing", out.violations);
  if (!events) {
    out.violations.push_back(render(events.error()));
    return;
  }
  pricing_checker c{db, out};
  for (const auto& event : *events)
    if (auto e = c.replay(event))
      c.check_event(event, *e);
}

} // namespace seatgrab::scenarios
