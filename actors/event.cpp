#include "actors/event.hpp"

#include "actors/hold_placement.hpp"
#include "actors/journal_client.hpp"
#include "actors/status.hpp"
#include "domain/event_holds.hpp"

#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include <map>
#include <memory>
#include <optional>

namespace seatgrab::actors {

struct event_actor_state {
  event_actor_state() = default; // see tests/support/test_system.hpp for why

  event_info info;
  /// Seats by section, the rules of holds across them; published for the node's sessions.
  std::shared_ptr<const domain::event_holds> holds;
  uint64_t holds_placed = 0; // holds sent to this actor (sessions on the node place their own)
  resolver_ptr resolver;     // finds the sections
  context_ptr ctx;

  static inline const char* name = "event";
};

namespace {

using self_ptr = event_actor::stateful_pointer<event_actor_state>;

// `fan_out_sections` (actors/hold_placement.hpp) to this event's sections.
template <class T, class Call, class Done>
void fan_out(self_ptr self, const std::vector<std::string>& sections, Call call, Done done) {
  auto& st = self->state;
  fan_out_sections<T>(self, *st.resolver, st.ctx->call_timeout, st.info.id, sections,
                      std::move(call), std::move(done));
}

event_actor::behavior_type event(self_ptr self, event_info info,
                                 std::shared_ptr<const domain::venue> venue, resolver_ptr resolver,
                                 context_ptr ctx) {
  auto& st = self->state;
  st.info = std::move(info);
  st.holds =
      std::make_shared<const domain::event_holds>(std::move(venue), st.info.max_seats_per_hold);
  st.resolver = std::move(resolver);
  st.ctx = std::move(ctx);
  publish_while_alive(self, st.ctx->hold_rules, st.info.id, st.holds);
  // A section that stopped leaves the resolver's cache; the registry restarts it on demand.
  auto timeout = st.ctx->call_timeout;
  return behavior_with_status(
      self, actor_identity{"event", st.info.id},
      [self](actor_status& out) {
        const auto& st = self->state;
        add_counter(out, "sections", static_cast<int64_t>(st.holds->section_count()));
        add_counter(out, "holds_placed", static_cast<int64_t>(st.holds_placed));
      },
      [=](atom::get, atom::info) { return self->state.info; },
      [=](atom::hold, hold_request& req) -> caf::result<hold_receipt> {
        auto& st = self->state;
        ++st.holds_placed;
        auto rp = self->make_response_promise<hold_receipt>();
        place_hold_across(
            self, *st.resolver, timeout, st.holds, st.info.id, std::move(req),
            [rp](caf::expected<hold_receipt> x) mutable { deliver_expected(rp, std::move(x)); });
        return rp;
      },
      [=](atom::release, std::string& hold_id, std::string& holder,
          std::vector<std::string>& sections) -> caf::result<void> {
        if (sections.empty())
          return caf::make_error(ec::invalid_argument, "no sections given");
        auto rp = self->make_response_promise<void>();
        fan_out<caf::unit_t>(
            self, sections,
            [=](section_actor hdl, size_t) {
              return self->request(hdl, timeout, atom::release_v, hold_id, holder);
            },
            [=](gathered<caf::unit_t>& g) mutable {
              if (g.errors.empty())
                deliver_void(rp);
              else
                rp.deliver(g.errors.front());
            });
        return rp;
      },
      [=](atom::release, std::string& hold_id,
          atom::admin) -> caf::result<std::vector<std::string>> {
        // An operator names no sections: every section is asked, those without it say so.
        auto rp = self->make_response_promise<std::vector<std::string>>();
        fan_out<std::vector<std::string>>(
            self, self->state.holds->sections(),
            [=](section_actor hdl, size_t) {
              return self->request(hdl, timeout, atom::release_v, hold_id, atom::admin_v);
            },
            [=](gathered<std::vector<std::string>>& g) mutable {
              std::vector<std::string> freed;
              for (auto& seats : g.results)
                freed.insert(freed.end(), seats.begin(), seats.end());
              for (auto& err : g.errors)
                if (ec_of(err) != ec::hold_not_found) {
                  rp.deliver(std::move(err)); // unknown outcome there: the operator retries
                  return;
                }
              if (g.results.empty())
                rp.deliver(caf::make_error(ec::hold_not_found, "hold " + hold_id));
              else
                rp.deliver(std::move(freed));
            });
        return rp;
      },
      [=](atom::close) -> caf::result<void> {
        // Every section, each journaling its own close; any failure is the operator's retry
        // (closing is idempotent section by section).
        auto rp = self->make_response_promise<void>();
        fan_out<caf::unit_t>(
            self, self->state.holds->sections(),
            [=](section_actor hdl, size_t) { return self->request(hdl, timeout, atom::close_v); },
            [=](gathered<caf::unit_t>& g) mutable {
              if (!g.errors.empty())
                rp.deliver(std::move(g.errors.front()));
              else
                deliver_void(rp);
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
            [=](section_actor hdl, size_t) {
              return self->request(hdl, timeout, atom::confirm_v, hold_id, holder, order_id);
            },
            [=](gathered<sale_receipt>& g) mutable {
              auto decision =
                  self->state.holds->decide_sale(hold_id, order_id, g.results, g.errors);
              // All or nothing: the parts already sold are refunded, seat by seat.
              std::vector<std::string> seats, seat_sections;
              for (auto& [seat, section] : decision.refund) {
                seats.push_back(seat);
                seat_sections.push_back(section);
              }
              fan_out<caf::unit_t>(
                  self, seat_sections,
                  [=](section_actor hdl, size_t i) {
                    return self->request(hdl, timeout, atom::refund_v, seats[i], order_id);
                  },
                  [=](gathered<caf::unit_t>& undo) {
                    for (size_t k = 0; k < undo.errors.size(); ++k)
                      spdlog::error("compensating refund of {} (order {}) failed: {}",
                                    seats[undo.failed[k]], order_id, render(undo.errors[k]));
                  });
              deliver_expected(rp, std::move(decision.reply));
            });
        return rp;
      },
      [=](atom::refund, std::string& order_id,
          std::vector<std::string>& seats) -> caf::result<void> {
        if (seats.empty())
          return caf::make_error(ec::invalid_argument, "no seats given");
        auto sections = self->state.holds->sections_of(seats);
        if (!sections)
          return sections.error();
        auto rp = self->make_response_promise<void>();
        fan_out<caf::unit_t>(
            self, *sections,
            [=](section_actor hdl, size_t i) {
              return self->request(hdl, timeout, atom::refund_v, seats[i], order_id);
            },
            [=](gathered<caf::unit_t>& g) mutable {
              if (auto err = domain::event_holds::merge_refund_errors(g.errors))
                rp.deliver(err);
              else
                deliver_void(rp);
            });
        return rp;
      },
      [=](atom::get, atom::seatmap) -> caf::result<event_map> {
        auto rp = self->make_response_promise<event_map>();
        fan_out<section_map>(
            self, self->state.holds->sections(),
            [=](section_actor hdl, size_t) {
              return self->request(hdl, timeout, atom::get_v, atom::seatmap_v);
            },
            [=](gathered<section_map>& g) mutable {
              if (!g.errors.empty())
                rp.deliver(g.errors.front());
              else
                rp.deliver(
                    self->state.holds->merge_maps(self->state.info.id, std::move(g.results)));
            });
        return rp;
      },
      [=](atom::price, uint64_t price_version,
          std::vector<section_price>& prices) -> caf::result<void> {
        std::vector<std::string> sections;
        for (const auto& p : prices)
          sections.push_back(p.section);
        auto rp = self->make_response_promise<void>();
        fan_out<caf::unit_t>(
            self, sections,
            [=](section_actor hdl, size_t i) {
              return self->request(hdl, timeout, atom::price_v, price_version, prices[i].price);
            },
            [=](gathered<caf::unit_t>& g) mutable {
              // Pricing resends the version until every section has it.
              if (!g.errors.empty())
                rp.deliver(std::move(g.errors.front()));
              else
                deliver_void(rp);
            });
        return rp;
      },
      [=](atom::get, atom::demand) -> caf::result<std::vector<section_demand>> {
        auto rp = self->make_response_promise<std::vector<section_demand>>();
        fan_out<section_demand>(
            self, self->state.holds->sections(),
            [=](section_actor hdl, size_t) {
              return self->request(hdl, timeout, atom::get_v, atom::demand_v);
            },
            [=](gathered<section_demand>& g) mutable {
              if (!g.errors.empty())
                rp.deliver(g.errors.front());
              else
                rp.deliver(std::move(g.results));
            });
        return rp;
      });
}

} // namespace

event_actor spawn_event(caf::actor_system& sys, event_info info,
                        std::shared_ptr<const domain::venue> venue, resolver_ptr resolver,
                        context_ptr ctx) {
  return sys.spawn(event, std::move(info), std::move(venue), std::move(resolver), std::move(ctx));
}

} // namespace seatgrab::actors
