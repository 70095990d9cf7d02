#include "scenarios/verify.hpp"

#include "messages/catalog.pb.h"
#include "messages/ec.hpp"
#include "messages/payment.pb.h"
#include "messages/section.pb.h"
#include "messages/tickets.pb.h"
#include "messages/waiting_room.pb.h"
#include "scenarios/journals.hpp"

#include <openssl/sha.h>

#include <algorithm>
#include <deque>
#include <optional>
#include <set>

namespace seatgrab::scenarios {

namespace {

struct hold_model {
  std::string event;
  std::vector<std::string> seats;
  int64_t expires_at_ms = 0;
  int64_t created_at_ms = 0;
};

/// Seats are named "<event>|<seat>" across sections (seat ids are unique within an event).
std::string seat_key(const std::string& event, const std::string& seat) {
  return event + "|" + seat;
}

struct checker {
  const journals& db;
  verdict out;
  std::map<std::string, std::string> sold;                         // seat key -> order id
  std::map<std::string, std::string> held;                         // seat key -> hold id
  std::map<std::string, std::optional<pb::event_created>> configs; // event id -> its record

  /// The event's settings as the catalog journaled them; nothing if it has no record (e.g. a
  /// store written by a test without the catalog).
  const std::optional<pb::event_created>& config(const std::string& event) {
    auto [it, fresh] = configs.try_emplace(event);
    if (fresh)
      if (auto rec = db.load("event", event); rec && !rec->tail.empty()) {
        pb::event_created created;
        if (created.ParseFromString(rec->tail.front().second))
          it->second = std::move(created);
      }
    return it->second;
  }

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
    auto entities = db.entities("section", out.violations);
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
      bool closed = false;                     // the operator ended the sale here
      for (const auto& [seq, ev] : events) {
        auto bad = [&, seq = seq](const std::string& what) {
          violation("section", entity, seq, what);
        };
        if (ev.has_held()) {
          const auto& x = ev.held();
          if (closed)
            bad("hold " + x.hold_id() + " placed after the sale closed");
          hold_model h{event, {}, x.expires_at_ms(), ev.at_ms()};
          for (const auto& seat : x.seat_ids()) {
            auto key = seat_key(event, seat);
            if (held.contains(key) || sold.contains(key))
              bad("seat " + seat + " held while not free");
            held[key] = x.hold_id();
            h.seats.push_back(seat);
          }
          if (x.expires_at_ms() <= ev.at_ms())
            bad("hold " + x.hold_id() + " expires before it starts");
          // The expiry, recomputed from the event's settings: hold_ttl_s after the hold.
          if (const auto& cfg = config(event);
              cfg && x.expires_at_ms() != ev.at_ms() + int64_t{cfg->hold_ttl_s()} * 1000)
            bad("hold " + x.hold_id() + " expires at " + std::to_string(x.expires_at_ms()) +
                ", not hold_ttl_s (" + std::to_string(cfg->hold_ttl_s()) + " s) after " +
                std::to_string(ev.at_ms()));
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
          // hold_ttl_s from the extension, never past max_hold_total_s from the hold's start.
          if (const auto& cfg = config(event); cfg) {
            auto want = std::min(ev.at_ms() + int64_t{cfg->hold_ttl_s()} * 1000,
                                 h->second.created_at_ms + int64_t{cfg->max_hold_total_s()} * 1000);
            if (ev.extended().expires_at_ms() != want)
              bad("hold " + h->first + " extended to " +
                  std::to_string(ev.extended().expires_at_ms()) + ", not " + std::to_string(want));
          }
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
        } else if (ev.has_closed()) {
          if (closed)
            bad("closed twice");
          closed = true;
        } else if (ev.has_price()) {
          // A price set by the pricing engine: checked with the pricing (verify_pricing.cpp).
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
    auto entities = db.entities("ticket", out.violations);
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
      std::map<std::string, uint32_t> version; // ticket -> its valid version
      std::set<std::string> admitted;          // tickets let in at the gate
      money paid;
      for (const auto& [seq, ev] : events) {
        auto bad = [&, seq = seq](const std::string& what) {
          violation("ticket", event, seq, what);
        };
        if (ev.has_issued()) {
          const auto& x = ev.issued();
          auto& sale = paid.sales[x.payment_id()];
          if (!sale.empty())
            bad("payment " + x.payment_id() + " pays for order " + sale + " and " + x.order_id());
          sale = x.order_id();
          for (const auto& s : x.seats()) {
            auto id = event + "|" + s.ticket_id();
            if (ticket_seat.contains(id))
              bad("ticket " + s.ticket_id() + " issued twice");
            ticket_seat[id] = {seat_key(event, s.seat_id()), x.order_id()};
            version[id] = 1;
            paid.payment_of[id] = x.payment_id();
            paid.sold_minor[x.payment_id()] += s.price();
          }
        } else if (ev.has_transferred()) {
          version[event + "|" + ev.transferred().ticket_id()] = ev.transferred().version();
        } else if (ev.has_refunded()) {
          auto id = event + "|" + ev.refunded().ticket_id();
          if (!ticket_seat.contains(id) || !refunded.insert(id).second)
            bad("refund of unknown or refunded ticket");
          else
            paid.ticket_refunds_minor[paid.payment_of[id]] += ev.refunded().amount();
        } else if (ev.has_admitted()) {
          // The gate lets a ticket in once, at its valid version, never after its refund.
          const auto& x = ev.admitted();
          auto id = event + "|" + x.ticket_id();
          if (!ticket_seat.contains(id))
            bad("ticket " + x.ticket_id() + " admitted but never issued");
          else if (refunded.contains(id))
            bad("ticket " + x.ticket_id() + " admitted after its refund");
          else if (x.version() != version[id])
            bad("ticket " + x.ticket_id() + " admitted at revoked version " +
                std::to_string(x.version()) + " (valid: " + std::to_string(version[id]) + ")");
          else if (!admitted.insert(id).second)
            bad("ticket " + x.ticket_id() + " admitted twice");
        }
      }
      payments(event, paid);
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

  /// What the tickets of one event say about money, to hold against its payment journal.
  struct money {
    std::map<std::string, std::string> sales;            // payment -> the order it paid
    std::map<std::string, int64_t> sold_minor;           // payment -> its tickets' prices
    std::map<std::string, int64_t> ticket_refunds_minor; // payment -> its tickets refunded
    std::map<std::string, std::string> payment_of;       // ticket -> payment
  };

  /// Every captured payment is matched by a sale of its amount, or refunded in full; no sale
  /// without a captured payment; refunds of the payment are the refunds of its tickets.
  void payments(const std::string& event, const money& paid) {
    std::vector<std::pair<uint64_t, pb::payment_event>> events;
    if (!load("payment", event, events))
      return;
    std::map<std::string, int64_t> captured, refunded; // payment -> minor units
    for (const auto& [seq, ev] : events) {
      if (ev.has_captured()) {
        if (captured.contains(ev.captured().payment_id()))
          violation("payment", event, seq,
                    "payment " + ev.captured().payment_id() + " captured twice");
        captured[ev.captured().payment_id()] = ev.captured().amount_minor();
      } else if (ev.has_refunded()) {
        refunded[ev.refunded().payment_id()] += ev.refunded().amount_minor();
      }
    }
    auto bad = [&](const std::string& what) {
      out.violations.push_back("payment/" + event + ": " + what);
    };
    for (const auto& [payment, order] : paid.sales) {
      auto c = captured.find(payment);
      if (c == captured.end())
        bad("order " + order + " sold without a captured payment (" + payment + ")");
      else if (c->second != paid.sold_minor.at(payment))
        bad("payment " + payment + " captured " + std::to_string(c->second) + " for order " +
            order + " of " + std::to_string(paid.sold_minor.at(payment)));
    }
    for (const auto& [payment, amount] : captured)
      if (!paid.sales.contains(payment) && refunded[payment] < amount)
        bad("payment " + payment + " captured " + std::to_string(amount) +
            " matched by no sale and no refund");
    for (const auto& [payment, amount] : refunded) {
      auto t = paid.ticket_refunds_minor.find(payment);
      auto tickets = t == paid.ticket_refunds_minor.end() ? 0 : t->second;
      if (paid.sales.contains(payment) && amount != tickets)
        bad("payment " + payment + " refunded " + std::to_string(amount) + " but its tickets " +
            std::to_string(tickets));
    }
  }

  // The revealed seed against the commitment: SHA-256 written here a second time, on purpose.
  void check_seed(const verify_options& opts, const std::string& event, uint64_t seq,
                  const std::string& seed) {
    auto hex = [](const std::string& bytes) {
      unsigned char h[SHA256_DIGEST_LENGTH];
      SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), h);
      static constexpr char digits[] = "0123456789abcdef";
      std::string out;
      for (auto b : h) {
        out.push_back(digits[b >> 4]);
        out.push_back(digits[b & 0xf]);
      }
      return out;
    };
    auto revealed = hex(seed);
    if (auto i = opts.published_commitments.find(event); i != opts.published_commitments.end()) {
      if (i->second != revealed)
        violation("queue", event, seq,
                  "revealed seed hashes to " + revealed + ", not to the published commitment " +
                      i->second);
      return;
    }
    // The seed the room keeps from the moment it first published a commitment
    // (actors/waiting_room.cpp: "queue-seed/<event>" in the meta column).
    auto kept = db.get(persistence::column::meta, "queue-seed/" + event);
    if (!kept) {
      out.violations.push_back(render(kept.error()));
    } else if (!*kept) {
      violation("queue", event, seq, "opened with a seed, but no seed was ever committed to");
    } else if (hex(**kept) != revealed) {
      violation("queue", event, seq,
                "revealed seed hashes to " + revealed + ", not to the commitment " + hex(**kept));
    }
  }

  void admissions(const verify_options& opts) {
    auto entities = db.entities("queue", out.violations);
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
      bool closed = false;       // the operator ended the sale: nobody more joins or is let in
      std::set<uint64_t> left;   // gave up their place while waiting
      std::set<uint64_t> passed; // admitted or skipped
      size_t next = 0;           // position in `order` of the next fan to pass
      for (const auto& [seq, ev] : events) {
        if (ev.has_joined()) {
          if (closed)
            violation("queue", event, seq,
                      "ticket " + std::to_string(ev.joined().ticket()) +
                          " joined after the sale closed");
          (opened ? order : pre).push_back(ev.joined().ticket());
        } else if (ev.has_closed()) {
          closed = true;
        } else if (ev.has_opened()) {
          opened = true;
          check_seed(opts, event, seq, ev.opened().seed());
          order = mode == "shuffle" ? published_shuffle(ev.opened().seed(), pre) : pre;
        } else if (ev.has_done()) {
          if (!passed.contains(ev.done().ticket()))
            left.insert(ev.done().ticket());
        } else if (ev.has_tick()) {
          std::set<uint64_t> now(ev.tick().admitted().begin(), ev.tick().admitted().end());
          now.insert(ev.tick().skipped().begin(), ev.tick().skipped().end());
          out.admissions += static_cast<uint64_t>(ev.tick().admitted_size());
          if (closed && ev.tick().admitted_size() > 0)
            violation("queue", event, seq, "admitted after the sale closed");
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
      pacing(event, events);
    }
  }

  /// Admissions within the event's limits: never more than max_active_shoppers admitted at
  /// once, one admission per account at a time, and in no minute more than the pacer's rate
  /// allows: the rate per minute plus what it may carry over (one 1 s tick's quota plus less
  /// than one admission); the highest rate the operator set counts.
  void pacing(const std::string& event,
              const std::vector<std::pair<uint64_t, pb::waiting_room_event>>& events) {
    const auto& cfg = config(event);
    if (!cfg)
      return;
    uint64_t max_rate = cfg->admission_per_min();
    std::map<uint64_t, uint64_t> account_of;         // ticket -> hash of its account (0: unknown)
    std::set<uint64_t> active;                       // admitted, not yet expired or done
    std::map<uint64_t, uint64_t> active_of;          // account -> its admitted ticket
    std::deque<std::pair<int64_t, uint64_t>> minute; // (at, admitted) of the last minute's ticks
    uint64_t in_minute = 0;
    for (const auto& [seq, ev] : events) {
      auto end = [&](uint64_t t) {
        if (active.erase(t) > 0)
          active_of.erase(account_of[t]);
      };
      if (ev.has_joined()) {
        account_of[ev.joined().ticket()] = ev.joined().account();
      } else if (ev.has_rate_changed()) {
        max_rate = std::max<uint64_t>(max_rate, ev.rate_changed().per_min());
      } else if (ev.has_done()) {
        end(ev.done().ticket());
      } else if (ev.has_tick()) {
        auto bad = [&, seq = seq](const std::string& what) {
          violation("queue", event, seq, what);
        };
        for (auto t : ev.tick().expired())
          end(t);
        for (auto t : ev.tick().admitted()) {
          active.insert(t);
          auto account = account_of[t];
          if (account == 0)
            continue;
          if (auto [other, fresh] = active_of.try_emplace(account, t); !fresh)
            bad("ticket " + std::to_string(t) + " admitted while ticket " +
                std::to_string(other->second) + " of the same account is");
        }
        if (active.size() > cfg->max_active_shoppers())
          bad(std::to_string(active.size()) + " admitted at once, above max_active_shoppers " +
              std::to_string(cfg->max_active_shoppers()));
        minute.emplace_back(ev.at_ms(), static_cast<uint64_t>(ev.tick().admitted_size()));
        in_minute += minute.back().second;
        while (minute.front().first <= ev.at_ms() - 60'000) {
          in_minute -= minute.front().second;
          minute.pop_front();
        }
        if (auto limit = (max_rate * 61'000 + 59'999) / 60'000; in_minute > limit)
          bad(std::to_string(in_minute) + " admitted within a minute, above the rate of " +
              std::to_string(max_rate) + " per minute");
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
  return verify(std::vector<const persistence::store*>{&db}, opts);
}

verdict verify(const std::vector<const persistence::store*>& dbs, const verify_options& opts) {
  journals db{dbs};
  checker c{db, {}, {}, {}, {}};
  c.sections(opts);
  if (opts.tickets)
    c.tickets();
  if (opts.admissions)
    c.admissions(opts);
  verify_pricing(db, c.out);
  verify_bots(db, c.out);
  return std::move(c.out);
}

} // namespace seatgrab::scenarios
