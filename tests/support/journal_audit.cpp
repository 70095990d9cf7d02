#include "tests/support/journal_audit.hpp"

#include "messages/ec.hpp"
#include "messages/section.pb.h"

#include <vector>

namespace seatgrab::test {

audit_result audit_sections(const persistence::store& db) {
  audit_result out;
  auto entities = db.entities("section");
  if (!entities) {
    out.failure = render(entities.error());
    return out;
  }
  for (const auto& entity : *entities) {
    // The journal is replayed from its first record; snapshots are not trusted here.
    std::map<std::string, std::vector<std::string>> holds; // live hold -> seats
    auto fail = [&](uint64_t seq, const std::string& what) {
      out.failure = "section/" + entity + "/" + std::to_string(seq) + ": " + what;
    };
    auto log = db.history("section", entity);
    if (!log) {
      out.failure = render(log.error());
      return out;
    }
    auto key = [&](const std::string& seat) { return entity + "/" + seat; };
    for (const auto& [seq, bytes] : log->tail) {
      ++out.events;
      pb::section_event ev;
      if (!ev.ParseFromString(bytes))
        return fail(seq, "does not parse"), out;
      if (ev.has_held()) {
        std::vector<std::string> seats;
        for (const auto& seat : ev.held().seat_ids()) {
          if (out.held.contains(key(seat)) || out.sold.contains(key(seat)))
            return fail(seq, "seat " + seat + " held while not free"), out;
          out.held[key(seat)] = ev.held().hold_id();
          seats.push_back(seat);
        }
        holds[ev.held().hold_id()] = seats;
      } else if (ev.has_sold()) {
        auto h = holds.find(ev.sold().hold_id());
        if (h == holds.end())
          return fail(seq, "sale of unknown hold " + ev.sold().hold_id()), out;
        for (const auto& seat : h->second) {
          if (out.sold.contains(key(seat)))
            return fail(seq, "seat " + seat + " sold twice"), out;
          out.held.erase(key(seat));
          out.sold[key(seat)] = ev.sold().order_id();
        }
        holds.erase(h);
      } else if (ev.has_released() || ev.has_expired()) {
        auto id = ev.has_released() ? ev.released().hold_id() : ev.expired().hold_id();
        auto h = holds.find(id);
        if (h == holds.end())
          return fail(seq, "release of unknown hold " + id), out;
        for (const auto& seat : h->second)
          out.held.erase(key(seat));
        holds.erase(h);
      } else if (ev.has_refunded()) {
        auto s = out.sold.find(key(ev.refunded().seat_id()));
        if (s == out.sold.end() || s->second != ev.refunded().order_id())
          return fail(seq, "refund of a seat not sold to that order"), out;
        out.sold.erase(s);
      }
    }
  }
  return out;
}

} // namespace seatgrab::test
