#include "actors/section.hpp"

#include "actors/clock.hpp"
#include "actors/journal_client.hpp"
#include "actors/replay.hpp"
#include "actors/status.hpp"
#include "domain/event.hpp"
#include "persistence/hold_index.hpp"

#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include <optional>

namespace seatgrab::actors {

struct section_actor_state {
  section_actor_state() = default; // see tests/support/test_system.hpp for why

  std::string entity;
  context_ptr ctx;
  std::optional<domain::section_state> inv;
  std::optional<journal_client> journal;
  /// When the pending expiry timer fires; none when none is.
  std::optional<domain::time_point> armed;

  static inline const char* name = "section";
};

namespace {

using self_ptr = section_actor::stateful_pointer<section_actor_state>;

constexpr const char* journal_kind = "section";

hold_part to_part(const domain::section_config& cfg, const domain::hold_info& h) {
  hold_part part;
  part.section = cfg.section_id;
  for (const auto& s : h.seats)
    part.seats.push_back(seat_price{s.seat_id, s.price});
  part.expires_at_ms = to_ms(h.expires_at);
  part.generation = h.generation;
  return part;
}

seat_state to_state(domain::seat_status s) {
  switch (s) {
  case domain::seat_status::free:
    return seat_state::free;
  case domain::seat_status::held:
    return seat_state::held;
  case domain::seat_status::sold:
    return seat_state::sold;
  }
  return seat_state::sold;
}

// Journals one applied event (with a snapshot every n events), in one batch with `ws`.
void journal(self_ptr self, const pb::section_event& ev, persistence::write_set ws = {}) {
  auto& st = self->state;
  ws.append(journal_kind, st.entity, ev.version(), ev.SerializeAsString());
  // A snapshot costs O(seats), so big sections take them less often: O(1) per event.
  auto every = std::max<uint64_t>(st.ctx->snapshot_every, st.inv->seat_count());
  if (ev.version() % every == 0)
    ws.snapshot(journal_kind, st.entity, ev.version(), st.inv->snapshot().SerializeAsString());
  write_journal(self, std::move(ws));
}

/// Arms the section's expiry timer for `at` unless it fires by then anyway. One timer a
/// section: a timer a hold would keep every released hold's message queued in CAF's clock
/// until its time (the soak's 22,000 holds a minute piled up for 5 minutes, ~80 MB).
void arm_expiry(self_ptr self, domain::time_point at) {
  auto& st = self->state;
  if (st.armed && *st.armed <= at)
    return;
  st.armed = at;
  self->delayed_send(self, st.ctx->clock.until(self->clock(), at), atom::expire_v, to_ms(at));
}

/// The write set that erases `holder`'s note of `hold_id` here (the hold ends).
persistence::write_set without_note(self_ptr self, std::string_view holder,
                                    std::string_view hold_id) {
  persistence::write_set ws;
  persistence::erase_hold_note(ws, holder, hold_id, self->state.inv->config().section_id);
  return ws;
}

/// The write set that puts the note of a new hold `h` asked for by `req`: what the holder's
/// session must know of it should its own record of the hold not reach the disk.
persistence::write_set with_note(self_ptr self, const domain::hold_info& h,
                                 const hold_request& req) {
  const auto& cfg = self->state.inv->config();
  pb::hold_note note;
  note.set_hold_id(h.hold_id);
  note.set_event_id(cfg.event_id);
  note.set_section(cfg.section_id);
  for (const auto& s : h.seats) {
    auto& seat = *note.add_seats();
    seat.set_seat_id(s.seat_id);
    seat.set_price(s.price);
    seat.set_section(cfg.section_id);
  }
  note.set_expires_at_ms(to_ms(h.expires_at));
  note.set_key(req.key);
  if (req.sections.empty())
    note.add_sections(cfg.section_id);
  for (const auto& s : req.sections)
    note.add_sections(s);
  persistence::write_set ws;
  persistence::put_hold_note(ws, h.holder, note);
  return ws;
}

/// Ends the holds due at `t` and arms the timer for the next one.
void expire_due(self_ptr self, domain::time_point t) {
  auto& st = self->state;
  for (const auto& h : st.inv->holds_past(t))
    if (auto ch = st.inv->expire(h.hold_id, h.generation, t))
      journal(self, ch->event, without_note(self, h.holder, h.hold_id));
  if (auto next = st.inv->next_expiry())
    arm_expiry(self, *next);
}

// A hold placed, retried or extended: journal it (with `ws`), (re-)arm its timer, reply when
// durable.
caf::result<hold_part> placed(self_ptr self, caf::expected<domain::hold_outcome> out,
                              persistence::write_set ws = {}) {
  if (!out)
    return out.error();
  if (out->event) {
    journal(self, *out->event, std::move(ws));
    arm_expiry(self, out->hold.expires_at);
  }
  return reply_when_durable(self, *self->state.journal,
                            to_part(self->state.inv->config(), out->hold));
}

caf::expected<domain::section_state> recover(const domain::section_config& cfg,
                                             const actor_context& ctx, const std::string& entity) {
  return replay_snapshot_and_tail<domain::section_state, pb::section_event, pb::section_snapshot>(
      ctx, journal_kind, entity, [&] { return domain::section_state::make(cfg); },
      [&](const pb::section_snapshot& snap) {
        return domain::section_state::from_snapshot(cfg, snap);
      });
}

// The section's key figures for `atom::status`.
void figures(const domain::section_state& inv, actor_status& st) {
  st.version = inv.version();
  const auto& c = inv.counters();
  add_counter(st, "free", static_cast<int64_t>(c.free_now));
  add_counter(st, "held", static_cast<int64_t>(c.held_now));
  add_counter(st, "sold", static_cast<int64_t>(c.sold_now));
  add_counter(st, "live_holds", static_cast<int64_t>(inv.holds().size()));
  auto next = inv.next_expiry();
  add_counter(st, "next_expiry_ms", next ? to_ms(*next) : 0);
  add_counter(st, "closed", inv.closed() ? 1 : 0);
  add_counter(st, "price_version", static_cast<int64_t>(inv.price_version()));
}

section_actor::behavior_type section(self_ptr self, domain::section_config cfg, context_ptr ctx) {
  auto& st = self->state;
  st.entity = domain::section_entity(cfg.event_id, cfg.section_id);
  st.ctx = ctx;
  st.journal.emplace(*ctx->journal);
  if (auto inv = recover(cfg, *ctx, st.entity)) {
    st.inv.emplace(std::move(*inv));
    // Holds whose time passed while the node was down are released now; the rest wait for
    // the timer.
    expire_due(self, now(self));
  } else {
    spdlog::error("section {} cannot start: {}", st.entity, render(inv.error()));
    self->quit(inv.error());
  }
  return journaling_behavior(
      self, actor_identity{journal_kind, st.entity},
      [self](actor_status& out) {
        if (self->state.inv)
          figures(*self->state.inv, out);
      },
      [=](atom::hold, hold_request& req) -> caf::result<hold_part> {
        auto& st = self->state;
        auto t = now(self);
        auto out =
            req.seats.empty()
                ? st.inv->hold_best(req.hold_id, req.holder, req.quantity, t, req.price_cap)
                : st.inv->hold(req.hold_id, req.holder, std::move(req.seats), t, req.price_cap);
        persistence::write_set ws;
        if (out && out->event)
          ws = with_note(self, out->hold, req);
        return placed(self, std::move(out), std::move(ws));
      },
      [=](atom::extend, std::string& hold_id, std::string& holder) -> caf::result<hold_part> {
        return placed(self, self->state.inv->extend(hold_id, holder, now(self)));
      },
      [=](atom::release, std::string& hold_id, std::string& holder) -> caf::result<void> {
        auto ch = self->state.inv->release(hold_id, holder, now(self));
        if (!ch)
          return ch.error();
        journal(self, ch->event, without_note(self, holder, hold_id));
        return ack_when_durable(self, *self->state.journal);
      },
      [=](atom::release, std::string& hold_id,
          atom::admin) -> caf::result<std::vector<std::string>> {
        // An operator's release is the holder's release, journaled the same way.
        auto& st = self->state;
        auto hold = st.inv->find_hold(hold_id);
        if (!hold)
          return caf::make_error(ec::hold_not_found, "hold " + hold_id);
        auto ch = st.inv->release(hold_id, hold->holder, now(self));
        if (!ch)
          return ch.error();
        journal(self, ch->event, without_note(self, hold->holder, hold_id));
        return reply_when_durable(self, *st.journal, std::move(ch->seat_ids));
      },
      [=](atom::close) -> caf::result<void> {
        auto ev = self->state.inv->close(now(self));
        if (ev)
          journal(self, *ev);
        // Closed before: answered once what was journaled is on disk, like the first time.
        return ack_when_durable(self, *self->state.journal);
      },
      [=](atom::confirm, std::string& hold_id, std::string& holder,
          std::string& order_id) -> caf::result<sale_receipt> {
        auto& st = self->state;
        auto hold = st.inv->find_hold(hold_id);
        auto ch = st.inv->confirm(hold_id, holder, order_id, now(self));
        if (!ch && ch.error() == ec::hold_not_found) {
          // A retry of a confirm whose reply was lost (or that ran before a restart): the hold
          // is gone because it was sold. Seats sold to this order mean it succeeded.
          auto sold = st.inv->sold_to(order_id);
          if (!sold.empty()) {
            sale_receipt again{hold_id, order_id, {}, 0};
            for (const auto& s : sold) {
              again.seats.push_back(seat_price{std::string{s.id}, s.price});
              again.total += s.price;
            }
            return reply_when_durable(self, *st.journal, std::move(again));
          }
        }
        if (!ch)
          return ch.error();
        journal(self, ch->event, without_note(self, holder, hold_id));
        // What each seat was charged (the lower of its lock and the price now), in hold order.
        sale_receipt receipt{hold_id, order_id, {}, 0};
        const auto& charged = ch->event.sold().prices();
        for (size_t i = 0; i < hold->seats.size(); ++i) {
          auto price = charged.empty() ? hold->seats[i].price : charged[static_cast<int>(i)];
          receipt.seats.push_back(seat_price{hold->seats[i].seat_id, price});
          receipt.total += price;
        }
        return reply_when_durable(self, *self->state.journal, std::move(receipt));
      },
      [=](atom::refund, std::string& seat_id, std::string& order_id) -> caf::result<void> {
        auto ch = self->state.inv->refund(seat_id, order_id, now(self));
        if (!ch)
          return ch.error();
        journal(self, ch->event);
        return ack_when_durable(self, *self->state.journal);
      },
      [=](atom::get, atom::seatmap) {
        const auto& inv = *self->state.inv;
        section_map map;
        map.section = inv.config().section_id;
        map.version = inv.version();
        map.price_version = inv.price_version();
        map.seats.reserve(inv.seat_count());
        for (const auto& s : inv.seats())
          map.seats.push_back(seat_entry{std::string{s.id}, to_state(s.status), s.price});
        return map;
      },
      [=](atom::get, atom::demand) {
        const auto& inv = *self->state.inv;
        const auto& c = inv.counters();
        return section_demand{inv.config().section_id,
                              c.holds,
                              c.held_seats,
                              c.expiries,
                              c.releases,
                              c.sales,
                              c.sold_seats,
                              c.refunds,
                              c.free_now,
                              c.held_now,
                              c.sold_now,
                              inv.closed()};
      },
      [=](atom::price, uint64_t price_version, int64_t price) -> caf::result<void> {
        auto ch = self->state.inv->set_price(price_version, price, now(self));
        if (!ch)
          return ch.error();
        if (*ch)
          journal(self, (*ch)->event);
        // A resend is answered once what was journaled before is on disk, like the first time.
        return ack_when_durable(self, *self->state.journal);
      },
      [=](atom::expire, int64_t at_ms) {
        auto& st = self->state;
        // A timer for a later time than the armed one was superseded; it has nothing to do.
        if (!st.armed || to_ms(*st.armed) != at_ms)
          return;
        st.armed.reset();
        expire_due(self, now(self));
      });
}

} // namespace

section_actor spawn_section(caf::actor_system& sys, domain::section_config cfg, context_ptr ctx) {
  return sys.spawn(section, std::move(cfg), std::move(ctx));
}

} // namespace seatgrab::actors
