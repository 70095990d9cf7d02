#pragma once

// Placing one hold across an event's sections, all or nothing, from any actor: the event actor
// does it for the holds sent to it, and a fan's session does it itself when the event's rules
// are published on its node (actor_context::hold_rules), one hop fewer per hold.

#include "actors/gather.hpp"
#include "actors/resolver.hpp"
#include "domain/event_holds.hpp"
#include "messages/interfaces.hpp"

#include <caf/expected.hpp>
#include <spdlog/spdlog.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace seatgrab::actors {

/// Sends `call(section_actor, i)` to the section of each request i (`sections[i]` of event
/// `event_id`; a section may come more than once) in parallel, each found through `res`, then
/// calls `done` with everything that came back. `T` is the reply type (`caf::unit_t` for void
/// replies). `res` must outlive the requests (actors keep theirs in their state).
template <class T, class Self, class Call, class Done>
void fan_out_sections(Self* self, const resolver& res, caf::timespan timeout,
                      const std::string& event_id, const std::vector<std::string>& sections,
                      Call call, Done done) {
  auto g = gather<T>::make(sections.size(), std::move(done));
  for (size_t i = 0; i < sections.size(); ++i)
    res.with<section_actor>(
        self, timeout, [=](section_actor hdl) { gather<T>::await(g, i, call(hdl, i)); },
        [=](caf::error& err) { g->fail(i, err); }, event_id, sections[i]);
}

/// The sections of the requests that failed, in the order of their errors.
template <class T>
std::vector<std::string> failed_sections(const gathered<T>& g,
                                         const std::vector<std::string>& sections) {
  std::vector<std::string> out;
  for (auto i : g.failed)
    out.push_back(sections[i]);
  return out;
}

/// Places `req` in the sections of event `event_id` that `rules` splits it into, all or
/// nothing: `k(caf::expected<hold_receipt>)` gets one receipt, or one error, the parts placed
/// (or of unknown outcome) being released again. A release that fails leaves a hold that
/// still lapses by itself.
template <class Self, class K>
void place_hold_across(Self* self, const resolver& res, caf::timespan timeout,
                       std::shared_ptr<const domain::event_holds> rules,
                       const std::string& event_id, hold_request req, K k) {
  auto parts = rules->split(req);
  if (!parts) {
    k(caf::expected<hold_receipt>{std::move(parts.error())});
    return;
  }
  std::vector<std::string> sections;
  for (const auto& part : *parts)
    sections.push_back(part.section);
  const auto* r = &res;
  fan_out_sections<hold_part>(
      self, res, timeout, event_id, sections,
      [self, timeout, parts = std::move(*parts)](section_actor hdl, size_t i) {
        return self->request(hdl, timeout, atom::hold_v, parts[i]);
      },
      [=, k = std::move(k)](gathered<hold_part>& g) mutable {
        auto decision =
            rules->decide_hold(req, std::move(g.results), g.errors, failed_sections(g, sections));
        fan_out_sections<caf::unit_t>(
            self, *r, timeout, event_id, decision.release_in,
            [self, timeout, req](section_actor hdl, size_t) {
              return self->request(hdl, timeout, atom::release_v, req.hold_id, req.holder);
            },
            [req](gathered<caf::unit_t>& undo) {
              for (const auto& err : undo.errors)
                if (err != ec::hold_not_found)
                  spdlog::warn("compensating release of {} failed: {}", req.hold_id, render(err));
            });
        k(std::move(decision.reply));
      });
}

} // namespace seatgrab::actors
