#include "actors/waiting_room.hpp"

#include "actors/clock.hpp"
#include "actors/journal_client.hpp"
#include "actors/replay.hpp"
#include "actors/status.hpp"
#include "domain/waiting_room.hpp"
#include "persistence/store.hpp"
#include "security/admission_token.hpp"
#include "security/encoding.hpp"

#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <optional>

namespace seatgrab::actors {

namespace {

constexpr const char* journal_kind = "queue";

std::string seed_key(std::string_view event) {
  return "queue-seed/" + std::string{event};
}

} // namespace

uint64_t fan_key(std::string_view id) {
  auto digest = security::sha256(id);
  uint64_t key = 0;
  for (int i = 0; i < 8; ++i)
    key = (key << 8) | digest[i];
  return key == 0 ? 1 : key;
}

std::string device_claim(uint64_t device_key) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, device_key >>= 4)
    out[static_cast<size_t>(i)] = hex[device_key & 0xf];
  return out;
}

struct waiting_room_actor_state {
  waiting_room_actor_state() = default; // see tests/support/test_system.hpp for why

  event_info event;
  context_ptr ctx;
  std::optional<domain::waiting_room_state> room;
  std::optional<journal_client> journal;
  /// The room's board, shared with the node's pollers; its head is published once durable.
  std::shared_ptr<domain::queue_board> board;
  domain::queue_head head; // the last one handed to the journal for publishing

  static inline const char* name = "waiting_room";
};

namespace {

using self_ptr = waiting_room_actor::stateful_pointer<waiting_room_actor_state>;

domain::waiting_room_config room_config(const event_info& ev) {
  domain::waiting_room_config cfg;
  cfg.event_id = ev.id;
  cfg.opens_at = domain::time_point{std::chrono::milliseconds{ev.opens_at_ms}};
  cfg.mode = ev.queue_mode == "fifo" ? domain::queue_mode::fifo : domain::queue_mode::shuffle;
  cfg.admission_per_min = ev.admission_per_min;
  cfg.max_active_shoppers = ev.max_active_shoppers;
  return cfg;
}

// Polls read the board's head: a new one is published once what it says is durable.
void publish_when_durable(self_ptr self) {
  auto& st = self->state;
  auto head = st.room->board_head(now(self));
  if (head == st.head)
    return;
  st.head = head;
  st.journal->then([board = st.board, head](const caf::error& err) {
    if (!err)
      board->publish(head);
  });
}

void journal(self_ptr self, const pb::waiting_room_event& ev) {
  journal_event(self, journal_kind, self->state.event.id, ev);
  publish_when_durable(self);
}

// Journals an operator's or fan's change and acknowledges it once durable.
caf::result<void> journaled(self_ptr self, caf::expected<pb::waiting_room_event> ev) {
  if (!ev)
    return ev.error();
  journal(self, *ev);
  return ack_when_durable(self, *self->state.journal);
}

// The seed is drawn once and kept in the meta column; its hash is the public commitment.
caf::expected<domain::waiting_room_seed> load_or_draw_seed(self_ptr self) {
  auto& st = self->state;
  auto stored = st.ctx->db->get(persistence::column::meta, seed_key(st.event.id));
  if (!stored)
    return stored.error();
  domain::waiting_room_seed seed;
  if (*stored) {
    if ((*stored)->size() != seed.size())
      return caf::make_error(ec::storage_corruption, "bad " + seed_key(st.event.id));
    std::copy((*stored)->begin(), (*stored)->end(), seed.begin());
    return seed;
  }
  if (RAND_bytes(seed.data(), static_cast<int>(seed.size())) != 1)
    return caf::make_error(ec::storage_io, "RAND_bytes failed");
  persistence::write_set ws;
  ws.put(persistence::column::meta, seed_key(st.event.id), std::string{seed.begin(), seed.end()});
  // Written through the journal like everything else; nothing is answered before it is durable.
  write_journal(self, std::move(ws));
  return seed;
}

caf::error recover(self_ptr self) {
  auto& st = self->state;
  auto seed = load_or_draw_seed(self);
  if (!seed)
    return seed.error();
  auto room = domain::waiting_room_state::make(room_config(st.event), *seed);
  if (!room)
    return room.error();
  room = replay_journal<domain::waiting_room_state, pb::waiting_room_event>(
      *st.ctx, journal_kind, st.event.id, std::move(*room));
  if (!room)
    return room.error();
  room->mark_all_seen(now(self));
  st.room.emplace(std::move(*room));
  st.board = st.room->board();
  publish_when_durable(self); // the seed, on a first start, is still being written
  publish_while_alive(self, st.ctx->boards, st.event.id, st.board);
  return {};
}

queue_status to_status(uint64_t ticket, const domain::ticket_status& ts) {
  queue_status out;
  out.ticket = ticket;
  out.state = std::string{domain::to_string(ts.state)};
  out.position = ts.position;
  out.eta_s = ts.eta_s;
  out.price_min = ts.price_min;
  out.price_max = ts.price_max;
  out.paused = ts.paused;
  return out;
}

queue_status to_status(self_ptr self, uint64_t ticket, const domain::ticket_status& ts,
                       const std::string& account, uint64_t device) {
  auto out = to_status(ticket, ts);
  if (ts.state == domain::fan_state::admitted && ts.admission_expires_at) {
    out.admission_expires_at_ms = to_ms(*ts.admission_expires_at);
    auto token = security::issue(*self->state.ctx->admission_keys,
                                 {self->state.event.id, account, device_claim(device),
                                  out.admission_expires_at_ms, ts.price_version});
    out.price_version = ts.price_version;
    if (token)
      out.admission_token = std::move(*token);
    else
      spdlog::error("issuing an admission token: {}", render(token.error()));
  }
  return out;
}

waiting_room_actor::behavior_type waiting_room(self_ptr self, event_info event, context_ptr ctx) {
  auto& st = self->state;
  st.event = std::move(event);
  st.ctx = std::move(ctx);
  st.journal.emplace(*st.ctx->journal);
  if (auto err = recover(self)) {
    spdlog::error("waiting room of {} cannot start: {}", st.event.id, render(err));
    self->quit(err);
  } else {
    self->send(self, atom::tick_v);
  }
  return journaling_behavior(
      self, actor_identity{journal_kind, st.event.id},
      [self](actor_status& out) {
        if (const auto& room = self->state.room) {
          const auto& c = room->counters();
          out.version = room->version();
          add_counter(out, "waiting", static_cast<int64_t>(c.queue_length));
          add_counter(out, "active", static_cast<int64_t>(c.active_now));
          add_counter(out, "admitted", static_cast<int64_t>(c.admitted));
          add_counter(out, "rate_per_min", c.rate_per_min);
          add_counter(out, "paused", c.paused ? 1 : 0);
          add_counter(out, "closed", c.closed ? 1 : 0);
        }
      },
      [=](atom::join, std::string& account, std::string& device) -> caf::result<queue_status> {
        auto& st = self->state;
        auto t = now(self);
        auto out = st.room->join(fan_key(account), fan_key(device), t);
        if (!out)
          return out.error();
        if (out->event)
          journal(self, *out->event);
        auto ts = st.room->status(out->ticket, t);
        if (!ts)
          return ts.error();
        // A join again keeps the device of the first: tokens stay bound to it.
        auto reply = to_status(self, out->ticket, *ts, account,
                               st.room->device_of(out->ticket).value_or(fan_key(device)));
        return reply_when_durable(self, *st.journal, std::move(reply));
      },
      [=](atom::get, uint64_t ticket, std::string& account) -> caf::result<queue_status> {
        auto& room = *self->state.room;
        // A ticket is only shown to the account that holds it; others learn nothing.
        if (room.ticket_of_account(fan_key(account)) != ticket)
          return caf::make_error(ec::unknown_ticket, "no ticket " + std::to_string(ticket));
        auto t = now(self);
        if (auto err = room.seen(ticket, t))
          return err;
        auto ts = room.status(ticket, t);
        if (!ts)
          return ts.error();
        // An admission shown to the fan must be one a crash cannot take back.
        return reply_when_durable(self, *self->state.journal,
                                  to_status(self, ticket, *ts, account, *room.device_of(ticket)));
      },
      [=](atom::leave, uint64_t ticket) -> caf::result<void> {
        auto& room = *self->state.room;
        auto ts = room.status(ticket, now(self));
        if (!ts)
          return ts.error();
        return journaled(self, ts->state == domain::fan_state::admitted
                                   ? room.checked_out(ticket, now(self))
                                   : room.leave(ticket, now(self)));
      },
      [=](atom::open) -> caf::result<void> {
        return journaled(self, self->state.room->open(now(self), true));
      },
      [=](atom::pause) -> caf::result<void> {
        return journaled(self, self->state.room->pause(now(self)));
      },
      [=](atom::resume) -> caf::result<void> {
        return journaled(self, self->state.room->resume(now(self)));
      },
      [=](atom::rate, uint32_t per_min) -> caf::result<void> {
        return journaled(self, self->state.room->set_rate(per_min, now(self)));
      },
      [=](atom::price, uint64_t price_version, int64_t min, int64_t max) -> caf::result<void> {
        auto ev = self->state.room->set_prices(price_version, min, max, now(self));
        if (!ev)
          return ev.error();
        if (*ev)
          journal(self, **ev);
        publish_when_durable(self); // waiting fans see the new range
        return ack_when_durable(self, *self->state.journal);
      },
      [=](atom::close) -> caf::result<void> {
        if (auto ev = self->state.room->close(now(self)))
          journal(self, *ev);
        // Closed before: acknowledged once that is durable, like the first time.
        return ack_when_durable(self, *self->state.journal);
      },
      [=](atom::get, atom::info) -> caf::result<queue_info> {
        const auto& room = *self->state.room;
        const auto& c = room.counters();
        queue_info info;
        info.event = self->state.event.id;
        info.seed_commitment = room.seed_commitment();
        info.revealed_seed = room.revealed_seed().value_or("");
        info.opened = c.opened;
        info.paused = c.paused;
        info.closed = c.closed;
        info.admission_per_min = c.rate_per_min;
        info.joined = c.joined;
        info.waiting = c.queue_length;
        info.admitted = c.admitted;
        info.active = c.active_now;
        info.skipped = c.skipped;
        info.expired = c.expired;
        info.price_min = c.price_min;
        info.price_max = c.price_max;
        info.price_version = c.price_version;
        // Nobody sees a seed commitment that a crash could still replace.
        return reply_when_durable(self, *self->state.journal, std::move(info));
      },
      [=](atom::tick) {
        auto& room = *self->state.room;
        auto t = now(self);
        if (!room.counters().opened && t >= room.config().opens_at) {
          if (auto ev = room.open(t))
            journal(self, *ev);
          else
            spdlog::error("opening the queue of {}: {}", self->state.event.id, render(ev.error()));
        }
        if (auto ev = room.tick(t))
          journal(self, *ev);
        publish_when_durable(self); // the ETA's rate moves with time
        self->delayed_send(self, room.config().tick, atom::tick_v);
      });
}

} // namespace

std::optional<caf::expected<queue_status>> poll_board(const actor_context& ctx,
                                                      caf::actor_system& sys,
                                                      const std::string& event, uint64_t ticket,
                                                      const std::string& account) {
  auto board = ctx.boards->find(event);
  if (!board)
    return std::nullopt;
  domain::ticket_status ts;
  switch (board->poll(ticket, fan_key(account), ctx.clock.now(sys.clock()), ts)) {
  case domain::queue_board::answer::waiting:
    return to_status(ticket, ts);
  case domain::queue_board::answer::not_yours:
    return caf::make_error(ec::unknown_ticket, "no ticket " + std::to_string(ticket));
  case domain::queue_board::answer::ask_room:
    break;
  }
  return std::nullopt;
}

waiting_room_actor spawn_waiting_room(caf::actor_system& sys, event_info event, context_ptr ctx) {
  return sys.spawn(waiting_room, std::move(event), std::move(ctx));
}

} // namespace seatgrab::actors
