#include "scenarios/verify.hpp"

#include "messages/catalog.pb.h"
#include "messages/ec.hpp"
#include "messages/section.pb.h"
#include "messages/tickets.pb.h"
#include "messages/waiting_room.pb.h"

#include <openssl/sha.h>

#include <set>

namespace seatgrab::scenarios {

namespace {

struct hold_model {
  std::string event;
  std::vector<std::string> seats;
  int64_t expires_at_ms = 0;
};

/// Seats are named "<event>|<seat>" across sections (seat ids are unique within an event).
std::string seat_key(const std::string& event, const std::string& seat) {
  return event + "|" + seat;
}

struct checker {
  const persistence::store& db;
  verdict out;
  std::map<std::string, std::string> sold; // seat key -> order id
  std::map<std::string, std::string> held; // seat key -> hold id

  void violation(const std::string& kind, const std::string& entity, uint64_t seq,
                 const std::string& what) {
    out.violations.push_back(kind + "/" + entity + "/" + std::to_string(seq) + ": " + what);
  }

  template <class Event>
  bool load(const std::string& kind, const std::string& entity,
            std::vector<std::pair<uint64_t, Event>>& events) {
    auto log = db.history(kind, entity);
    if (!log) {
      out.violations.push_back(kind + "/" + entity + ": " + render(log.error()));
      return false;
    }
    for (const auto& [seq, bytes] : log->tail) {
      ++out.events;
      Event ev;
      if (!ev.ParseFromString(bytes)) {
        violation(kind, entity, seq, "does not parse");
        return false;
      }
      events.emplace_back(seq, std::move(ev));
    }
    return true;
  }

  void sections(const verify_options& opts) {
    auto entities = db.entities("section");
    if (!entities) {
      out.violations.push_back(render(entities.error()));
      return;
    }
    for (const auto& entity : *entities) {
      auto event = entity.substr(0, entity.find('/'));
      std::vector<std::pair<uint64_t, pb::section_event>> events;
      if (!load("section", entity, events))
        continue;
      std::map<std::string, hold_model> holds; // live holds of the section
      for (const auto& [seq, ev] : events) {
        auto bad = [&](const std::string& what) { violation("section", entity, seq, what); };
        if (ev.has_held()) {
          const auto& x = ev.held();
          hold_model h{event, {}, x.expires_at_ms()};
          for (const auto& seat : x.seat_ids()) {
            auto key = seat_key(event, seat);
            if (held.contains(key) || sold.contains(key))
              bad("seat " + seat + " held while not free");
            held[key] = x.hold_id();
            h.seats.push_back(seat);
          }
          if (x.expires_at_ms() <= ev.at_ms())
            bad("hold " + x.hold_id() + " expires before it starts");
          holds[x.hold_id()] = std::move(h);
          ++out.holds;
        } else if (ev.has_extended()) {
          auto h = holds.find(ev.extended().hold_id());
          if (h == holds.end()) {
            bad("extension of unknown hold " + ev.extended().hold_id());
            continue;
          }
          if (ev.at_ms() >= h->second.expires_at_ms)
            bad("hold " + h->first + " extended after its expiry");
          h->second.expires_at_ms = ev.extended().expires_at_ms();
        } else if (ev.has_sold()) {
          auto h = holds.find(ev.sold().hold_id());
          if (h == holds.end()) {
            bad("sale of unknown hold " + ev.sold().hold_id());
            continue;
          }
          if (ev.at_ms() >= h->second.expires_at_ms)
            bad("hold " + h->first + " sold after its expiry");
          for (const auto& seat : h->second.seats) {
            auto key = seat_key(event, seat);
            if (sold.contains(key))
              bad("seat " + seat + " sold twice");
            held.erase(key);
            sold[key] = ev.sold().order_id();
          }
          holds.erase(h);
        } else if (ev.has_released() || ev.has_expired()) {
          auto id = ev.has_released() ? ev.released().hold_id() : ev.expired().hold_id();
          auto h = holds.find(id);
          if (h == holds.end()) {
            bad("end of unknown hold " + id);
            continue;
          }
          if (ev.has_expired()) {
            ++out.expiries;
            if (ev.at_ms() < h->second.expires_at_ms)
              bad("hold " + id + " expired early");
          }
          for (const auto& seat : h->second.seats)
            held.erase(seat_key(event, seat));
          holds.erase(h);
        } else if (ev.has_refunded()) {
          auto s = sold.find(seat_key(event, ev.refunded().seat_id()));
          if (s == sold.end() || s->second != ev.refunded().order_id()) {
            bad("refund of seat " + ev.refunded().seat_id() + " not sold to that order");
            continue;
          }
          sold.erase(s);
        } else {
          bad("event without a kind");
        }
      }
      if (opts.end_ms > 0)
        for (const auto& [id, h] : holds)
          if (h.expires_at_ms <= opts.end_ms)
            violation("section", entity, events.empty() ? 0 : events.back().first,
                      "hold " + id + " outlived its expiry");
    }
    out.seats_sold = sold.size();
    out.seats_held = held.size();
    out.sold = sold;
    out.held = held;
  }

  void tickets() {
    auto entities = db.entities("ticket");
    if (!entities) {
      out.violations.push_back(render(entities.error()));
      return;
    }
    std::map<std::string, std::vector<std::string>> valid_by_seat;          // seat key -> tickets
    std::map<std::string, std::pair<std::string, std::string>> ticket_seat; // id -> seat, order
    for (const auto& event : *entities) {
      std::vector<std::pair<uint64_t, pb::ticket_event>> events;
      if (!load("ticket", event, events))
        continue;
      std::set<std::string> refunded;
      for (const auto& [seq, ev] : events) {
        if (ev.has_issued()) {
          for (const auto& s : ev.issued().seats()) {
            auto id = event + "|" + s.ticket_id();
            if (ticket_seat.contains(id))
              violation("ticket", event, seq, "ticket " + s.ticket_id() + " issued twice");
            ticket_seat[id] = {seat_key(event, s.seat_id()), ev.issued().order_id()};
          }
        } else if (ev.has_refunded()) {
          auto id = event + "|" + ev.refunded().ticket_id();
          if (!ticket_seat.contains(id) || !refunded.insert(id).second)
            violation("ticket", event, seq, "refund of unknown or refunded ticket");
        }
      }
      for (const auto& [id, seat_order] : ticket_seat)
        if (id.starts_with(event + "|") && !refunded.contains(id))
          valid_by_seat[seat_order.first].push_back(id);
    }
    for (const auto& [seat, order] : sold) {
      auto i = valid_by_seat.find(seat);
      auto n = i == valid_by_seat.end() ? 0 : i->second.size();
      if (n != 1)
        out.violations.push_back("seat " + seat + " is sold with " + std::to_string(n) +
                                 " valid tickets");
      else if (ticket_seat[i->second.front()].second != order)
        out.violations.push_back("seat " + seat + ": its ticket is of another order");
    }
    for (const auto& [seat, ids] : valid_by_seat) {
      out.tickets_valid += ids.size();
      if (!sold.contains(seat))
        out.violations.push_back("ticket " + ids.front() + " is valid for a seat not sold (" +
                                 seat + ")");
    }
  }

  void admissions() {
    auto entities = db.entities("queue");
    if (!entities) {
      out.violations.push_back(render(entities.error()));
      return;
    }
    for (const auto& event : *entities) {
      std::string mode = "shuffle";
      if (auto rec = db.load("event", event); rec && !rec->tail.empty()) {
        pb::event_created created;
        if (created.ParseFromString(rec->tail.front().second))
          mode = created.queue_mode();
      }
      std::vector<std::pair<uint64_t, pb::waiting_room_event>> events;
      if (!load("queue", event, events))
        continue;
      std::vector<uint64_t> order; // the queue as the promise defines it
      std::vector<uint64_t> pre;   // joined before opening
      bool opened = false;
      std::set<uint64_t> left;   // gave up their place while waiting
      std::set<uint64_t> passed; // admitted or skipped
      size_t next = 0;           // position in `order` of the next fan to pass
      for (const auto& [seq, ev] : events) {
        if (ev.has_joined()) {
          (opened ? order : pre).push_back(ev.joined().ticket());
        } else if (ev.has_opened()) {
          opened = true;
          order = mode == "shuffle" ? published_shuffle(ev.opened().seed(), pre) : pre;
        } else if (ev.has_done()) {
          if (!passed.contains(ev.done().ticket()))
            left.insert(ev.done().ticket());
        } else if (ev.has_tick()) {
          std::set<uint64_t> now(ev.tick().admitted().begin(), ev.tick().admitted().end());
          now.insert(ev.tick().skipped().begin(), ev.tick().skipped().end());
          out.admissions += static_cast<uint64_t>(ev.tick().admitted_size());
          while (!now.empty() && next < order.size()) {
            auto t = order[next];
            if (now.erase(t) > 0) {
              passed.insert(t);
            } else if (!left.contains(t)) {
              violation("queue", event, seq,
                        "ticket " + std::to_string(*now.begin()) + " let in before ticket " +
                            std::to_string(t));
              now.clear();
              break;
            }
            ++next;
          }
          if (!now.empty())
            violation("queue", event, seq,
                      "ticket " + std::to_string(*now.begin()) + " let in but not in the queue");
        }
      }
    }
  }
};

} // namespace

std::vector<uint64_t> published_shuffle(const std::string& seed, std::vector<uint64_t> a) {
  for (size_t i = a.size(); i-- > 1;) {
    std::string input = seed;
    for (int b = 7; b >= 0; --b)
      input.push_back(static_cast<char>((uint64_t{i} >> (8 * b)) & 0xff));
    unsigned char h[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), h);
    uint64_t x = 0;
    for (int b = 0; b < 8; ++b)
      x = (x << 8) | h[b];
    std::swap(a[i], a[x % (i + 1)]);
  }
  return a;
}

verdict verify(const persistence::store& db, const verify_options& opts) {
  checker c{db, {}, {}, {}};
  c.sections(opts);
  if (opts.tickets)
    c.tickets();
  if (opts.admissions)
    c.admissions();
  return std::move(c.out);
}

caf::error forge_double_sale(persistence::store& db, const std::string& event_id,
                             const std::string& section, const std::string& seat, int64_t at_ms) {
  auto entity = event_id + "/" + section;
  auto log = db.history("section", entity);
  if (!log)
    return log.error();
  auto seq = log->last_seq();
  persistence::write_set ws;
  pb::section_event held;
  held.set_version(++seq);
  held.set_at_ms(at_ms);
  held.mutable_held()->set_hold_id("forged");
  held.mutable_held()->set_holder("mallory");
  held.mutable_held()->add_seat_ids(seat);
  held.mutable_held()->add_prices(0);
  held.mutable_held()->set_expires_at_ms(at_ms + 300'000);
  ws.append("section", entity, seq, held.SerializeAsString());
  pb::section_event sold;
  sold.set_version(++seq);
  sold.set_at_ms(at_ms);
  sold.mutable_sold()->set_hold_id("forged");
  sold.mutable_sold()->set_order_id("forged-order");
  ws.append("section", entity, seq, sold.SerializeAsString());
  if (auto res = db.write(ws, true); !res)
    return res.error();
  return {};
}

} // namespace seatgrab::scenarios
