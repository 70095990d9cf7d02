#include "actors/event.hpp"

#include "actors/journal_client.hpp"

#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include <map>
#include <memory>
#include <set>
#include <unordered_map>

namespace seatgrab::actors {

struct event_actor_state {
  event_actor_state() = default; // see tests/support/test_system.hpp for why

  event_info info;
  std::shared_ptr<const domain::venue> venue;
  resolver_ptr resolver; // finds the sections
  context_ptr ctx;
  std::unordered_map<std::string, uint32_t> section_of_seat; // seat id -> venue section index

  static inline const char* name = "event";
};

namespace {

using self_ptr = event_actor::stateful_pointer<event_actor_state>;

// Runs `f(section_actor)` with the section's actor, from the resolver's cache or the registry.
template <class F, class OnError>
void with_section(self_ptr self, const std::string& section, F f, OnError on_error) {
  auto& st = self->state;
  st.resolver->with<section_actor>(self, st.ctx->call_timeout, std::move(f), std::move(on_error),
                                   st.info.id, section);
}

// The answers of one fan-out, handed to its `done` callback once all have arrived.
template <class T>
struct gather {
  explicit gather(size_t n) : pending(n) {}
  size_t pending;
  std::vector<T> results;
  std::vector<caf::error> errors;
  std::vector<std::string> failed; // the section of each error, in the same order
  bool arrived() { return --pending == 0; }
};

// Sends `call(section_actor, section)` to every section in parallel, then calls `done` with
// everything that came back. `T` is the reply type (`caf::unit_t` for void replies).
template <class T, class Call, class Done>
void fan_out(self_ptr self, const std::vector<std::string>& sections, Call call, Done done) {
  auto g = std::make_shared<gather<T>>(sections.size());
  for (const auto& section : sections) {
    auto on_error = [=](caf::error& err) mutable {
      g->errors.push_back(err);
      g->failed.push_back(section);
      if (g->arrived())
        done(*g);
    };
    with_section(
        self, section,
        [=](section_actor hdl) mutable {
          if constexpr (std::is_same_v<T, caf::unit_t>) {
            call(hdl, section)
                .then(
                    [=]() mutable {
                      g->results.emplace_back();
                      if (g->arrived())
                        done(*g);
                    },
                    on_error);
          } else {
            call(hdl, section)
                .then(
                    [=](T& x) mutable {
                      g->results.push_back(std::move(x));
                      if (g->arrived())
                        done(*g);
                    },
                    on_error);
          }
        },
        on_error);
  }
}

std::vector<std::string> all_sections(const domain::venue& v) {
  std::vector<std::string> ids;
  for (const auto& sec : v.sections)
    ids.push_back(sec.id);
  return ids;
}

// A section that answered one of these did not place the hold.
bool refused(const caf::error& err) {
  for (auto code : {ec::seat_taken, ec::unknown_seat, ec::duplicate_seat, ec::too_many_seats,
                    ec::no_seats_available, ec::invalid_argument, ec::hold_expired})
    if (err == code)
      return true;
  return false;
}

// Several sections may each report taken seats; the fan gets them all in one error.
caf::error merge_errors(const std::vector<caf::error>& errors) {
  std::string taken;
  for (const auto& err : errors) {
    if (err == ec::seat_taken && err.context().match_element<std::string>(0)) {
      if (!taken.empty())
        taken += ',';
      taken += err.context().get_as<std::string>(0);
    }
  }
  if (!taken.empty())
    return caf::make_error(ec::seat_taken, std::move(taken));
  return errors.front();
}

hold_receipt to_receipt(const hold_request& req, std::vector<hold_part> parts) {
  hold_receipt receipt;
  receipt.hold_id = req.hold_id;
  receipt.holder = req.holder;
  receipt.expires_at_ms = parts.empty() ? 0 : parts.front().expires_at_ms;
  for (const auto& p : parts) {
    for (const auto& s : p.seats)
      receipt.total += s.price;
    receipt.expires_at_ms = std::min(receipt.expires_at_ms, p.expires_at_ms);
  }
  receipt.parts = std::move(parts);
  return receipt;
}

// Splits the requested seats by section, in request order; checks them against the venue.
caf::expected<std::vector<std::pair<std::string, std::vector<std::string>>>>
split_by_section(const event_actor_state& st, const std::vector<std::string>& seats) {
  if (seats.size() > st.info.max_seats_per_hold)
    return caf::make_error(ec::too_many_seats, "at most " +
                                                   std::to_string(st.info.max_seats_per_hold) +
                                                   " seats per hold");
  std::vector<std::pair<std::string, std::vector<std::string>>> groups;
  std::set<std::string_view> seen;
  for (const auto& seat : seats) {
    auto i = st.section_of_seat.find(seat);
    if (i == st.section_of_seat.end())
      return caf::make_error(ec::unknown_seat, seat);
    if (!seen.insert(seat).second)
      return caf::make_error(ec::duplicate_seat, seat);
    const auto& section = st.venue->sections[i->second].id;
    auto g = std::find_if(groups.begin(), groups.end(),
                          [&](const auto& grp) { return grp.first == section; });
    if (g == groups.end()) {
      groups.emplace_back(section, std::vector<std::string>{});
      g = groups.end() - 1;
    }
    g->second.push_back(seat);
  }
  return groups;
}

event_actor::behavior_type event(self_ptr self, event_info info,
                                 std::shared_ptr<const domain::venue> venue, resolver_ptr resolver,
                                 context_ptr ctx) {
  auto& st = self->state;
  st.info = std::move(info);
  st.venue = std::move(venue);
  st.resolver = std::move(resolver);
  st.ctx = std::move(ctx);
  for (uint32_t i = 0; i < st.venue->sections.size(); ++i)
    for (const auto& r : st.venue->sections[i].rows)
      for (const auto& s : r.seats)
        st.section_of_seat.emplace(s.id, i);
  // A section that stopped leaves the resolver's cache; the registry restarts it on demand.
  auto timeout = st.ctx->call_timeout;
  return {
      [=](atom::get, atom::info) { return self->state.info; },
      [=](atom::hold, hold_request& req) -> caf::result<hold_receipt> {
        auto& st = self->state;
        std::map<std::string, hold_request> parts; // section -> its share of the request
        if (req.seats.empty()) {                   // best available, in one section
          if (st.venue->find_section(req.section) == nullptr)
            return caf::make_error(ec::unknown_section, req.section);
          if (req.quantity > st.info.max_seats_per_hold)
            return caf::make_error(ec::too_many_seats,
                                   "at most " + std::to_string(st.info.max_seats_per_hold) +
                                       " seats per hold");
          parts.emplace(req.section, req);
        } else {
          auto groups = split_by_section(st, req.seats);
          if (!groups)
            return groups.error();
          for (auto& [section, seats] : *groups)
            parts.emplace(section,
                          hold_request{req.hold_id, req.holder, std::move(seats), section, 0});
        }
        std::vector<std::string> sections;
        for (const auto& [section, part] : parts)
          sections.push_back(section);
        auto rp = self->make_response_promise<hold_receipt>();
        fan_out<hold_part>(
            self, sections,
            [=](section_actor hdl, const std::string& section) {
              return self->request(hdl, timeout, atom::hold_v, parts.at(section));
            },
            [=](gather<hold_part>& g) mutable {
              if (g.errors.empty()) {
                rp.deliver(to_receipt(req, std::move(g.results)));
                return;
              }
              // All or nothing: give back what was taken, in the sections that placed their part
              // and in those that did not answer (a timeout may still have placed it). A release
              // that fails leaves a hold that still lapses by itself.
              std::vector<std::string> undo_in;
              for (const auto& part : g.results)
                undo_in.push_back(part.section);
              for (size_t i = 0; i < g.errors.size(); ++i)
                if (!refused(g.errors[i]))
                  undo_in.push_back(g.failed[i]);
              fan_out<caf::unit_t>(
                  self, undo_in,
                  [=](section_actor hdl, const std::string&) {
                    return self->request(hdl, timeout, atom::release_v, req.hold_id, req.holder);
                  },
                  [=](gather<caf::unit_t>& undo) {
                    for (const auto& err : undo.errors)
                      if (err != ec::hold_not_found)
                        spdlog::warn("compensating release of {} failed: {}", req.hold_id,
                                     render(err));
                  });
              rp.deliver(merge_errors(g.errors));
            });
        return rp;
      },
      [=](atom::release, std::string& hold_id, std::string& holder,
          std::vector<std::string>& sections) -> caf::result<void> {
        if (sections.empty())
          return caf::make_error(ec::invalid_argument, "no sections given");
        auto rp = self->make_response_promise<void>();
        fan_out<caf::unit_t>(
            self, sections,
            [=](section_actor hdl, const std::string&) {
              return self->request(hdl, timeout, atom::release_v, hold_id, holder);
            },
            [=](gather<caf::unit_t>& g) mutable {
              if (g.errors.empty())
                deliver_void(rp);
              else
                rp.deliver(g.errors.front());
            });
        return rp;
      },
      [=](atom::confirm, std::string& hold_id, std::string& holder, std::string& order_id,
          std::vector<std::string>& sections) -> caf::result<sale_receipt> {
        if (sections.empty())
          return caf::make_error(ec::invalid_argument, "no sections given");
        auto rp = self->make_response_promise<sale_receipt>();
        fan_out<sale_receipt>(
            self, sections,
            [=](section_actor hdl, const std::string&) {
              return self->request(hdl, timeout, atom::confirm_v, hold_id, holder, order_id);
            },
            [=](gather<sale_receipt>& g) mutable {
              if (g.errors.empty()) {
                sale_receipt all{hold_id, order_id, {}, 0};
                for (auto& r : g.results) {
                  all.seats.insert(all.seats.end(), r.seats.begin(), r.seats.end());
                  all.total += r.total;
                }
                rp.deliver(std::move(all));
                return;
              }
              // A part that did not answer may have sold: the outcome is unknown, so nothing
              // is undone and the caller retries (confirms are idempotent per order).
              for (const auto& err : g.errors)
                if (!refused(err) && err != ec::hold_not_found && err != ec::not_holder) {
                  rp.deliver(
                      caf::make_error(ec::unavailable, "a section did not answer: " + render(err)));
                  return;
                }
              // All or nothing: the parts already sold are refunded, seat by seat.
              for (const auto& r : g.results) {
                for (const auto& s : r.seats) {
                  auto& st = self->state;
                  auto section = st.venue->sections[st.section_of_seat.at(s.seat)].id;
                  fan_out<caf::unit_t>(
                      self, {section},
                      [=](section_actor hdl, const std::string&) {
                        return self->request(hdl, timeout, atom::refund_v, s.seat, order_id);
                      },
                      [=](gather<caf::unit_t>& undo) {
                        for (const auto& err : undo.errors)
                          spdlog::error("compensating refund of {} (order {}) failed: {}", s.seat,
                                        order_id, render(err));
                      });
                }
              }
              rp.deliver(g.errors.front());
            });
        return rp;
      },
      [=](atom::refund, std::string& order_id,
          std::vector<std::string>& seats) -> caf::result<void> {
        auto& st = self->state;
        if (seats.empty())
          return caf::make_error(ec::invalid_argument, "no seats given");
        std::vector<std::string> sections;
        for (const auto& seat : seats) {
          auto i = st.section_of_seat.find(seat);
          if (i == st.section_of_seat.end())
            return caf::make_error(ec::unknown_seat, seat);
          sections.push_back(st.venue->sections[i->second].id);
        }
        auto rp = self->make_response_promise<void>();
        auto pending = std::make_shared<size_t>(seats.size());
        auto first_error = std::make_shared<caf::error>();
        for (size_t k = 0; k < seats.size(); ++k) {
          fan_out<caf::unit_t>(
              self, {sections[k]},
              [=, seat = seats[k]](section_actor hdl, const std::string&) {
                return self->request(hdl, timeout, atom::refund_v, seat, order_id);
              },
              [=](gather<caf::unit_t>& g) mutable {
                // A seat no longer sold to the order was refunded before (a seat leaves its
                // order only by refund): a retried refund counts it as done.
                for (const auto& err : g.errors)
                  if (err != ec::seat_not_sold && err != ec::not_holder && !*first_error)
                    *first_error = err;
                if (--*pending > 0)
                  return;
                if (*first_error)
                  rp.deliver(*first_error);
                else
                  deliver_void(rp);
              });
        }
        return rp;
      },
      [=](atom::get, atom::seatmap) -> caf::result<event_map> {
        auto rp = self->make_response_promise<event_map>();
        fan_out<section_map>(
            self, all_sections(*self->state.venue),
            [=](section_actor hdl, const std::string&) {
              return self->request(hdl, timeout, atom::get_v, atom::seatmap_v);
            },
            [=](gather<section_map>& g) mutable {
              if (!g.errors.empty()) {
                rp.deliver(g.errors.front());
                return;
              }
              event_map map{self->state.info.id, 0, {}};
              // Venue order, whatever order the answers came in.
              std::map<std::string, section_map> by_id;
              for (auto& m : g.results)
                by_id.emplace(m.section, std::move(m));
              for (auto& [id, m] : by_id)
                map.version += m.version;
              for (const auto& sec : self->state.venue->sections)
                map.sections.push_back(std::move(by_id[sec.id]));
              rp.deliver(std::move(map));
            });
        return rp;
      },
      [=](atom::get, atom::demand) -> caf::result<std::vector<section_demand>> {
        auto rp = self->make_response_promise<std::vector<section_demand>>();
        fan_out<section_demand>(
            self, all_sections(*self->state.venue),
            [=](section_actor hdl, const std::string&) {
              return self->request(hdl, timeout, atom::get_v, atom::demand_v);
            },
            [=](gather<section_demand>& g) mutable {
              if (!g.errors.empty())
                rp.deliver(g.errors.front());
              else
                rp.deliver(std::move(g.results));
            });
        return rp;
      },
  };
}

} // namespace

event_actor spawn_event(caf::actor_system& sys, event_info info,
                        std::shared_ptr<const domain::venue> venue, resolver_ptr resolver,
                        context_ptr ctx) {
  return sys.spawn(event, std::move(info), std::move(venue), std::move(resolver), std::move(ctx));
}

} // namespace seatgrab::actors
