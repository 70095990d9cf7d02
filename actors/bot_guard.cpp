#include "actors/bot_guard.hpp"

#include "actors/clock.hpp"
#include "actors/journal_client.hpp"
#include "actors/replay.hpp"
#include "actors/status.hpp"
#include "domain/bot_guard.hpp"
#include "domain/queue_board.hpp"

#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include <cmath>
#include <optional>

namespace seatgrab::actors {

struct bot_guard_actor_state {
  bot_guard_actor_state() = default; // see tests/support/test_system.hpp for why

  event_info info;
  context_ptr ctx;
  std::optional<domain::bot_guard> guard;
  std::optional<journal_client> journal;

  static inline const char* name = "bot_guard";
};

namespace {

using self_ptr = bot_guard_actor::stateful_pointer<bot_guard_actor_state>;

constexpr const char* journal_kind = "bot_guard";

/// Journals `ev` and answers its decision once it is durable.
caf::result<bot_decision> decided(self_ptr self, caf::expected<pb::bot_event> ev) {
  if (!ev)
    return ev.error();
  auto& st = self->state;
  journal_event(self, journal_kind, st.info.id, *ev);
  return reply_when_durable(self, *st.journal, domain::bot_guard::decision_of(*ev));
}

void figures(self_ptr self, actor_status& out) {
  const auto& st = self->state;
  if (!st.guard)
    return;
  const auto& g = *st.guard;
  out.version = g.version();
  auto info = g.info(now(self), 0);
  for (const auto& [verdict, n] : info.verdicts)
    add_counter(out, verdict, static_cast<int64_t>(n));
  add_counter(out, "difficulty", info.difficulty);
  add_counter(out, "joins_per_min", info.load_per_min);
  add_counter(out, "shadowed", static_cast<int64_t>(info.shadowed));
  add_counter(out, "flagged", static_cast<int64_t>(info.flagged));
  add_counter(out, "saturated", static_cast<int64_t>(g.saturated()));
}

bot_guard_actor::behavior_type bot_guard(self_ptr self, event_info info, context_ptr ctx) {
  auto& st = self->state;
  st.info = std::move(info);
  st.ctx = std::move(ctx);
  st.journal.emplace(*st.ctx->journal);
  auto guard = replay_journal<domain::bot_guard, pb::bot_event>(
      *st.ctx, journal_kind, st.info.id,
      domain::bot_guard{st.info.id, st.ctx->bot_defaults, st.info.max_tickets_per_account});
  if (guard) {
    st.guard.emplace(std::move(*guard));
    // The rules it starts with are journaled too, and the node's defaults again whenever they
    // changed and no operator set rules: the record says what every decision was held to (the
    // verifier reads them there).
    const auto& g = *st.guard;
    if (g.version() == 0 || (!g.operator_rules() && !(g.rules() == st.ctx->bot_defaults))) {
      if (auto ev = st.guard->set_rules(st.ctx->bot_defaults, now(self), true))
        journal_event(self, journal_kind, st.info.id, *ev);
      else
        spdlog::error("bot guard {}: the node's default rules do not check: {}", st.info.id,
                      render(ev.error()));
    }
  } else {
    spdlog::error("bot guard {} cannot start: {}", st.info.id, render(guard.error()));
    self->quit(guard.error());
  }
  return journaling_behavior(
      self, actor_identity{journal_kind, st.info.id},
      [self](actor_status& out) { figures(self, out); },
      [=](atom::join, std::string& account, client_facts& facts) -> caf::result<bot_decision> {
        return decided(self, self->state.guard->join(account, facts, now(self)));
      },
      [=](atom::confirm, std::string& account, uint64_t card,
          uint32_t seats) -> caf::result<bot_decision> {
        return decided(self, self->state.guard->checkout(account, card, seats, now(self)));
      },
      [=](atom::paid, std::string& account, uint64_t card, uint32_t reserved, uint32_t bought,
          bool declined) -> caf::result<void> {
        auto& st = self->state;
        auto ev = st.guard->paid(account, card, reserved, bought, declined, now(self));
        if (!ev)
          return ev.error();
        journal_event(self, journal_kind, st.info.id, *ev);
        return ack_when_durable(self, *st.journal);
      },
      [=](atom::flag, std::string& account, std::string& signal) -> caf::result<void> {
        auto& st = self->state;
        if (st.guard->flagged(account))
          return caf::unit; // once is enough: the edge may tell it again
        auto ev = st.guard->flag(account, signal, now(self));
        if (!ev && ec_of(ev.error()) == ec::unknown_ticket)
          return caf::unit; // not let in (shadowed, or never joined): nothing to weigh
        if (!ev)
          return ev.error();
        journal_event(self, journal_kind, st.info.id, *ev);
        return ack_when_durable(self, *st.journal);
      },
      [=](atom::get, atom::challenge) -> caf::result<uint32_t> {
        return self->state.guard->difficulty(now(self));
      },
      [=](atom::get, uint64_t ticket, std::string& account) -> caf::result<queue_status> {
        auto& st = self->state;
        auto place = st.guard->shadow_of(ticket, account);
        if (!place)
          return caf::make_error(ec::unknown_ticket, "not your queue ticket");
        // Told as a waiting fan is told, with an ETA at the room's rate; it never comes. The
        // room's published head (on this node) gives its pace and pause as the others see them.
        queue_status out;
        out.ticket = place->ticket;
        out.state = "waiting";
        out.position = place->position;
        double per_s = std::max<uint32_t>(1, st.info.admission_per_min) / 60.0;
        if (auto board = st.ctx->boards->find(st.info.id)) {
          auto head = board->published();
          out.paused = head.paused;
          out.price_min = head.price_min;
          out.price_max = head.price_max;
          if (head.rate_per_s > 0)
            per_s = head.rate_per_s;
        }
        out.eta_s = static_cast<uint64_t>(std::ceil(static_cast<double>(place->position) / per_s));
        return out;
      },
      [=](atom::get, atom::bots) -> caf::result<bot_guard_info> {
        return self->state.guard->info(now(self));
      },
      [=](atom::put, bot_rules& rules) -> caf::result<bot_guard_info> {
        auto& st = self->state;
        auto ev = st.guard->set_rules(rules, now(self));
        if (!ev)
          return ev.error();
        journal_event(self, journal_kind, st.info.id, *ev);
        return reply_when_durable(self, *st.journal, st.guard->info(now(self)));
      });
}

} // namespace

bot_guard_actor spawn_bot_guard(caf::actor_system& sys, event_info info, context_ptr ctx) {
  return sys.spawn(bot_guard, std::move(info), std::move(ctx));
}

} // namespace seatgrab::actors
