#include "actors/pricing.hpp"

#include "actors/clock.hpp"
#include "actors/journal_client.hpp"
#include "actors/replay.hpp"
#include "actors/status.hpp"
#include "domain/pricing.hpp"
#include "domain/venue.hpp"

#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include <optional>

namespace seatgrab::actors {

struct pricing_actor_state {
  pricing_actor_state() = default; // see tests/support/test_system.hpp for why

  event_info info;
  std::shared_ptr<const domain::venue> venue;
  resolver_ptr resolver;
  context_ptr ctx;
  std::optional<domain::pricing_state> engine;
  std::optional<journal_client> journal;
  uint64_t generation = 0; // of the armed tick; a policy re-arms with the next
  bool ticking = false;    // a tick gathers demand
  uint64_t pushed = 0;     // price version every section and the room have
  bool pushing = false;
  bool push_again = false; // a change came while pushing
  uint64_t push_failures = 0;

  static inline const char* name = "pricing";
};

namespace {

using self_ptr = pricing_actor::stateful_pointer<pricing_actor_state>;

constexpr const char* journal_kind = "pricing";

std::chrono::seconds interval(self_ptr self) {
  const auto& e = *self->state.engine;
  return std::chrono::seconds{e.has_policy() ? e.rule().interval_s : 30};
}

void arm(self_ptr self) {
  self->delayed_send(self, interval(self), atom::tick_v, self->state.generation);
}

pricing_info info_of(self_ptr self) {
  const auto& st = self->state;
  const auto& e = *st.engine;
  pricing_info out;
  out.event = st.info.id;
  out.dynamic = e.has_policy();
  out.interval_s = e.has_policy() ? e.rule().interval_s : 30;
  out.frozen = e.frozen();
  out.price_version = e.price_version();
  out.ticks = e.ticks();
  if (e.has_policy()) {
    out.window_ends_at_ms = to_ms(e.rule().window_ends_at);
    for (auto& s : e.sections()) {
      section_price_info x{s.section, s.level, s.price, s.ladder, s.frozen, {}};
      for (const auto& h : s.history)
        x.history.push_back({h.price_version, to_ms(h.at), h.level, h.price, h.manual});
      out.sections.push_back(std::move(x));
    }
    return out;
  }
  // No policy: every section sells at its tier's price, a ladder of one level.
  for (const auto& sec : st.venue->sections) {
    const auto* tier = st.venue->find_tier(sec.tier);
    auto price = tier ? tier->price : 0;
    out.sections.push_back({sec.id, 0, price, {price}, false, {}});
  }
  return out;
}

void push(self_ptr self, std::vector<domain::price_change> changes);

// Once `version`'s prices (whose range is lo..hi) are in every section, the room shows them
// (and admits with them).
void tell_room(self_ptr self, uint64_t version, int64_t lo, int64_t hi) {
  auto& st = self->state;
  auto done = [self, version](bool ok) {
    auto& st = self->state;
    st.pushing = false;
    if (ok)
      st.pushed = std::max(st.pushed, version);
    else
      ++st.push_failures; // the next tick pushes everything again
    if (ok && (st.push_again || st.pushed < st.engine->price_version())) {
      st.push_again = false;
      push(self, st.engine->prices());
    }
  };
  st.resolver->with<waiting_room_actor>(
      self, st.ctx->call_timeout,
      [self, version, lo, hi, done](waiting_room_actor room) {
        self->request(room, self->state.ctx->call_timeout, atom::price_v, version, lo, hi)
            .then([done] { done(true); },
                  [self, done](caf::error& err) {
                    spdlog::warn("pricing {}: the waiting room did not take the prices: {}",
                                 self->state.info.id, render(err));
                    done(false);
                  });
      },
      [self, done](caf::error& err) {
        spdlog::warn("pricing {}: no waiting room: {}", self->state.info.id, render(err));
        done(false);
      },
      st.info.id);
}

/// Sends `changes` (the prices of the current version) to the sections, once they are durable
/// here; a version some section missed is made up by sending every price.
void push(self_ptr self, std::vector<domain::price_change> changes) {
  auto& st = self->state;
  if (st.pushing) {
    st.push_again = true;
    return;
  }
  auto version = st.engine->price_version();
  if (version == 0 || (changes.empty() && st.pushed >= version))
    return;
  st.pushing = true;
  // The range of this version, not of whatever version is current once the sections answer.
  auto range = st.engine->price_range();
  auto lo = range.first;
  auto hi = range.second;
  std::vector<section_price> prices;
  for (auto& c : changes)
    prices.push_back({std::move(c.section), c.price});
  st.journal->then([self, version, lo, hi,
                    prices = std::move(prices)](const caf::error& err) mutable {
    auto& st = self->state;
    if (err) {
      st.pushing = false;
      return; // the actor stops: its journal failed
    }
    auto fail = [self](caf::error& e) {
      auto& st = self->state;
      spdlog::warn("pricing {}: the sections did not take the prices: {}", st.info.id, render(e));
      st.pushing = false;
      ++st.push_failures;
    };
    st.resolver->with<event_actor>(
        self, st.ctx->call_timeout,
        [self, version, lo, hi, prices, fail](event_actor ev) {
          self->request(ev, self->state.ctx->call_timeout, atom::price_v, version, prices)
              .then([self, version, lo, hi] { tell_room(self, version, lo, hi); }, fail);
        },
        fail, st.info.id);
  });
}

/// Journals `ev` (applied) and pushes the prices it changed.
void journal_change(self_ptr self, const pb::pricing_event& ev) {
  auto& st = self->state;
  auto before = st.pushed;
  journal_event(self, journal_kind, st.info.id, ev);
  auto changes = st.engine->changes(ev);
  if (changes.empty())
    return;
  // Only the moved sections when every earlier version went out; everything otherwise.
  if (before + 1 == st.engine->price_version() || ev.has_policy())
    push(self, std::move(changes));
  else
    push(self, st.engine->prices());
}

caf::result<pricing_info> answered(self_ptr self,
                                   caf::expected<std::optional<pb::pricing_event>> ev) {
  if (!ev)
    return ev.error();
  if (*ev)
    journal_change(self, **ev);
  return reply_when_durable(self, *self->state.journal, info_of(self));
}

void reprice(self_ptr self, const std::vector<section_demand>& demand, uint64_t waiting) {
  auto& st = self->state;
  std::vector<domain::section_reading> readings;
  for (const auto& d : demand)
    readings.push_back({d.section, d.free_now, d.closed});
  auto ev = st.engine->tick(readings, waiting, now(self));
  if (!ev) {
    spdlog::error("pricing {}: tick: {}", st.info.id, render(ev.error()));
    return;
  }
  journal_change(self, *ev);
}

void tick(self_ptr self) {
  auto& st = self->state;
  if (st.pushed < st.engine->price_version())
    push(self, st.engine->prices()); // a push that failed, or the first after a restart
  if (!st.engine->has_policy() || st.ticking)
    return;
  st.ticking = true;
  auto timeout = st.ctx->call_timeout;
  auto fail = [self](caf::error& err) {
    self->state.ticking = false;
    spdlog::warn("pricing {}: a tick found no demand: {}", self->state.info.id, render(err));
  };
  st.resolver->with<event_actor>(
      self, timeout,
      [self, timeout, fail](event_actor ev) {
        self->request(ev, timeout, atom::get_v, atom::demand_v)
            .then(
                [self, timeout, fail](std::vector<section_demand>& demand) {
                  self->state.resolver->with<waiting_room_actor>(
                      self, timeout,
                      [self, timeout, fail, demand](waiting_room_actor room) {
                        self->request(room, timeout, atom::get_v, atom::info_v)
                            .then(
                                [self, demand](const queue_info& q) {
                                  self->state.ticking = false;
                                  // Prices move from the opening (scheduled or early) until
                                  // the operator closes the sale.
                                  if (q.opened && !q.closed)
                                    reprice(self, demand, q.waiting);
                                },
                                fail);
                      },
                      fail, self->state.info.id);
                },
                fail);
      },
      fail, st.info.id);
}

void figures(self_ptr self, actor_status& out) {
  const auto& st = self->state;
  if (!st.engine)
    return;
  const auto& e = *st.engine;
  out.version = e.version();
  add_counter(out, "price_version", static_cast<int64_t>(e.price_version()));
  add_counter(out, "pushed_version", static_cast<int64_t>(st.pushed));
  add_counter(out, "ticks", static_cast<int64_t>(e.ticks()));
  add_counter(out, "frozen", e.frozen() ? 1 : 0);
  add_counter(out, "push_failures", static_cast<int64_t>(st.push_failures));
  int64_t frozen_sections = 0;
  for (const auto& s : e.sections())
    frozen_sections += s.frozen ? 1 : 0;
  add_counter(out, "frozen_sections", frozen_sections);
}

pricing_actor::behavior_type pricing(self_ptr self, event_info info,
                                     std::shared_ptr<const domain::venue> venue,
                                     resolver_ptr resolver, context_ptr ctx) {
  auto& st = self->state;
  st.info = std::move(info);
  st.venue = std::move(venue);
  st.resolver = std::move(resolver);
  st.ctx = std::move(ctx);
  st.journal.emplace(*st.ctx->journal);
  auto engine = replay_journal<domain::pricing_state, pb::pricing_event>(
      *st.ctx, journal_kind, st.info.id, domain::pricing_state{st.info.id});
  if (engine) {
    st.engine.emplace(std::move(*engine));
    // After a restart the sections and the room may lack the last version: send it all.
    push(self, st.engine->prices());
    arm(self);
  } else {
    spdlog::error("pricing {} cannot start: {}", st.info.id, render(engine.error()));
    self->quit(engine.error());
  }
  return journaling_behavior(
      self, actor_identity{journal_kind, st.info.id},
      [self](actor_status& out) { figures(self, out); },
      [=](atom::get, atom::pricing) -> caf::result<pricing_info> { return info_of(self); },
      [=](atom::put, pricing_request& req) -> caf::result<pricing_info> {
        auto& st = self->state;
        auto opens_at = domain::time_point{std::chrono::milliseconds{st.info.opens_at_ms}};
        auto policy = domain::resolve(req, *st.venue, opens_at);
        if (!policy)
          return policy.error();
        auto rp = self->make_response_promise<pricing_info>();
        // Published before the sale opens (scheduled or by an operator's early open).
        auto set = [self, rp, opens_at](domain::pricing_policy policy, bool opened) mutable {
          auto& st = self->state;
          auto locked = opened || now(self) >= opens_at;
          auto ev = st.engine->set_policy(std::move(policy), locked, now(self));
          if (!ev) {
            rp.deliver(ev.error());
            return;
          }
          journal_change(self, *ev);
          ++st.generation; // the interval may have changed
          arm(self);
          deliver_when_durable(*st.journal, rp, info_of(self));
        };
        // Without the room's word nothing is published: it may have opened early.
        auto refuse = [rp](caf::error& err) mutable { rp.deliver(std::move(err)); };
        st.resolver->with<waiting_room_actor>(
            self, st.ctx->call_timeout,
            [self, set, refuse, policy = *policy](waiting_room_actor room) mutable {
              self->request(room, self->state.ctx->call_timeout, atom::get_v, atom::info_v)
                  .then([set, policy](const queue_info& q) mutable { set(policy, q.opened); },
                        refuse);
            },
            refuse, st.info.id);
        return rp;
      },
      [=](atom::freeze, std::string& section) -> caf::result<pricing_info> {
        return answered(self, self->state.engine->freeze(section, now(self)));
      },
      [=](atom::unfreeze, std::string& section) -> caf::result<pricing_info> {
        return answered(self, self->state.engine->unfreeze(section, now(self)));
      },
      [=](atom::level, std::string& section, uint32_t level) -> caf::result<pricing_info> {
        return answered(self, self->state.engine->set_level(section, level, now(self)));
      },
      [=](atom::tick, uint64_t generation) {
        if (generation != self->state.generation)
          return; // superseded by a new policy's timer
        tick(self);
        arm(self);
      });
}

} // namespace

pricing_actor spawn_pricing(caf::actor_system& sys, event_info info,
                            std::shared_ptr<const domain::venue> venue, resolver_ptr resolver,
                            context_ptr ctx) {
  return sys.spawn(pricing, std::move(info), std::move(venue), std::move(resolver), std::move(ctx));
}

} // namespace seatgrab::actors
