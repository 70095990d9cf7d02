#include "actors/box_office.hpp"

#include "actors/box_office_state.hpp"
#include "actors/clock.hpp"
#include "actors/journal_client.hpp"
#include "actors/replay.hpp"
#include "actors/status.hpp"
#include "domain/checkout.hpp"
#include "domain/ticket.hpp"
#include "domain/ticket_registry.hpp"
#include "security/ticket_signature.hpp"

#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include <map>
#include <optional>
#include <set>

namespace seatgrab::actors {

namespace {

using self_ptr = box_office_self;

const std::string checkout_kind = "checkout";
const std::string payment_kind = "payment";
const std::string ticket_kind = "ticket";

/// Journals the gateway's queued events plus `order_ev` and `ticket_ev` (if any) in one write
/// set, so a payment step and its effect on orders and tickets are durable together. Returns
/// false if the crash hook fired: the caller must stop at once.
bool journal(self_ptr self, const std::optional<pb::checkout_event>& order_ev,
             const std::optional<pb::ticket_event>& ticket_ev = std::nullopt) {
  auto& st = self->state;
  persistence::write_set ws;
  bool any = false;
  for (auto& p : st.gateway->take_events()) {
    ws.append(payment_kind, st.entity, p.version(), p.SerializeAsString());
    any = true;
  }
  if (order_ev) {
    ws.append(checkout_kind, st.entity, order_ev->version(), order_ev->SerializeAsString());
    any = true;
  }
  if (ticket_ev) {
    ws.append(ticket_kind, st.entity, ticket_ev->version(), ticket_ev->SerializeAsString());
    any = true;
  }
  if (!any)
    return true;
  write_journal(self, std::move(ws));
  if (st.opts.crash_after_writes != 0 && ++st.writes >= st.opts.crash_after_writes) {
    st.crashed = true;
    self->quit(caf::sec::runtime_error);
    return false;
  }
  return true;
}

void retry_later(self_ptr self, const std::string& order_id) {
  self->state.busy.insert(order_id);
  self->delayed_send(self, self->state.opts.retry_delay, atom::tick_v, order_id);
}

void drive(self_ptr self, const std::string& order_id);

/// Applies a step's outcome: journal it, then go on. A failed operation of the state machine
/// means the coordinator and the state disagree, which is a bug: log and stop driving.
void step_done(self_ptr self, const std::string& order_id, caf::expected<pb::checkout_event> ev,
               std::optional<pb::ticket_event> ticket_ev = std::nullopt) {
  if (!ev) {
    spdlog::error("box office {}: order {}: {}", self->state.entity, order_id, render(ev.error()));
    journal(self, std::nullopt);
    return;
  }
  if (journal(self, *ev, ticket_ev))
    drive(self, order_id);
}

/// Runs `f(event_actor)` with the event's actor, from the resolver's cache or the registry
/// (which restarts it if it stopped), or `on_error(caf::error&)`.
template <class F, class OnError>
void with_event(self_ptr self, F f, OnError on_error) {
  auto& st = self->state;
  st.resolver->with<event_actor>(self, st.ctx->call_timeout, std::move(f), std::move(on_error),
                                 st.info.id);
}

void confirm_seats(self_ptr self, const std::string& order_id) {
  auto& st = self->state;
  auto order = st.orders->find(order_id);
  st.busy.insert(order_id);
  auto on_error = [self, order_id](caf::error& err) {
    self->state.busy.erase(order_id);
    if (self->state.crashed)
      return;
    auto why = ec_of(err);
    if (why == ec::none || why == ec::unavailable || why == ec::storage_closed ||
        why == ec::storage_io || why == ec::storage_unavailable) {
      // Timeout, a restarting section, a storage hiccup: the outcome is unknown, so
      // ask again (a retry of a confirm that went through is answered as a success).
      retry_later(self, order_id);
      return;
    }
    step_done(self, order_id, self->state.orders->seats_refused(order_id, why, now(self)));
  };
  with_event(
      self,
      [self, order_id, hold_id = order->hold_id, account = order->account,
       sections = order->sections, on_error](event_actor event) {
        self->request(event, self->state.ctx->call_timeout, atom::confirm_v, hold_id, account,
                      order_id, sections)
            .then(
                [self, order_id](const sale_receipt& sale) {
                  self->state.busy.erase(order_id);
                  if (self->state.crashed)
                    return;
                  std::vector<std::pair<std::string, int64_t>> charged;
                  for (const auto& s : sale.seats)
                    charged.emplace_back(s.seat, s.price);
                  step_done(self, order_id,
                            self->state.orders->seats_confirmed(order_id, charged, now(self)));
                },
                on_error);
      },
      on_error);
}

void issue_tickets(self_ptr self, const std::string& order_id, domain::time_point t) {
  auto& st = self->state;
  auto ev = st.orders->tickets_issued(order_id, st.orders->tickets_to_issue(order_id), t);
  if (!ev) {
    step_done(self, order_id, std::move(ev));
    return;
  }
  // The order's tickets enter the registry in the same write that completes the order.
  auto issued = st.tickets->issue(*st.orders->find(order_id));
  if (!issued) {
    spdlog::error("box office {}: order {}: cannot issue tickets: {}", st.entity, order_id,
                  render(issued.error()));
    self->quit(issued.error()); // memory is ahead of the journal: recover from disk
    return;
  }
  step_done(self, order_id, std::move(ev), std::move(*issued));
}

// The payment method the checkout journals for `card`: never the number (issue 13 finding 8)
// but a token, the last four digits and the number's keyed hash. A retry of an order with the
// same card keeps the order's first token, so it is the same request. A malformed card gets a
// marker the provider refuses (a decline, as before), not the text the client sent.
std::string journaled_method(self_ptr self, const std::string& key, const std::string& card) {
  auto& st = self->state;
  auto tok = domain::tokenize_card(card, st.ctx->card_key);
  if (!tok)
    return "card:invalid";
  if (auto existing = st.orders->order_for_key(key))
    if (auto pay = st.orders->payment_for(*existing)) {
      auto old = domain::parse_payment_method(pay->payment_method);
      // Orders journaled before tokens hold the number itself.
      auto old_fingerprint =
          old ? old->fingerprint : domain::card_fingerprint(pay->payment_method, st.ctx->card_key);
      if (old_fingerprint == tok->fingerprint)
        return pay->payment_method;
    }
  return domain::to_payment_method(*tok);
}

void drive(self_ptr self, const std::string& order_id) {
  auto& st = self->state;
  if (st.crashed || st.busy.count(order_id) != 0)
    return;
  auto t = now(self);
  switch (st.orders->next_action(order_id)) {
  case domain::checkout_action::none:
    answer(self, order_id);
    return;
  case domain::checkout_action::authorize: {
    auto pay = st.orders->payment_for(order_id);
    auto res = st.gateway->authorize(pay->idempotency_key, pay->payment_method, pay->amount,
                                     pay->currency, t);
    if (!res) {
      if (ec_of(res.error()) == ec::unavailable) {
        if (journal(self, std::nullopt))
          retry_later(self, order_id);
        return;
      }
      // A card the provider refuses outright (malformed): a decline.
      step_done(self, order_id, st.orders->declined(order_id, "invalid_card", t));
      return;
    }
    if (res->status == domain::payment_status::declined)
      step_done(self, order_id, st.orders->declined(order_id, res->decline_reason, t));
    else
      step_done(self, order_id, st.orders->authorized(order_id, res->payment_id, t));
    return;
  }
  case domain::checkout_action::confirm_seats:
    confirm_seats(self, order_id);
    return;
  case domain::checkout_action::capture:
  case domain::checkout_action::void_payment: {
    auto capture = st.orders->next_action(order_id) == domain::checkout_action::capture;
    auto order = st.orders->find(order_id);
    // What the seats were charged: a price that fell since the hold is passed on.
    auto res = capture ? st.gateway->capture(order->payment_id, t, order->total)
                       : st.gateway->void_payment(order->payment_id, t);
    if (!res) {
      spdlog::warn("box office {}: order {}: {} failed: {}", st.entity, order_id,
                   capture ? "capture" : "void", render(res.error()));
      if (journal(self, std::nullopt))
        retry_later(self, order_id);
      return;
    }
    step_done(self, order_id,
              capture ? st.orders->captured(order_id, t) : st.orders->voided(order_id, t));
    return;
  }
  case domain::checkout_action::issue_tickets:
    issue_tickets(self, order_id, t);
    return;
  }
}

/// Puts the seats of refunded tickets back on sale, one request per ticket; failures retry
/// after `retry_delay` (the event actor treats a seat already released as done).
void release_seats(self_ptr self) {
  auto& st = self->state;
  for (const auto& t : st.tickets->unreleased()) {
    if (!st.releasing.insert(t.ticket_id).second)
      continue;
    auto on_error = [self, id = t.ticket_id](caf::error& err) {
      auto& st = self->state;
      st.releasing.erase(id);
      spdlog::warn("box office {}: seat of ticket {} not back on sale yet: {}", st.entity, id,
                   render(err));
      self->delayed_send(self, st.opts.retry_delay, atom::tick_v, atom::refund_v);
    };
    with_event(
        self,
        [self, order_id = t.order_id, seat_id = t.seat_id, id = t.ticket_id,
         on_error](event_actor event) {
          self->request(event, self->state.ctx->call_timeout, atom::refund_v, order_id,
                        std::vector<std::string>{seat_id})
              .then(
                  [self, id]() {
                    auto& st = self->state;
                    st.releasing.erase(id);
                    if (st.crashed)
                      return;
                    auto ev = st.tickets->seat_released(id, now(self));
                    if (!ev) {
                      spdlog::error("box office {}: ticket {}: {}", st.entity, id,
                                    render(ev.error()));
                      return;
                    }
                    journal(self, std::nullopt, *ev);
                  },
                  on_error);
        },
        on_error);
  }
}

std::string ticket_key_name(const std::string& event_id) {
  return "ticket-key/" + event_id;
}

std::string rotation_key_name(const std::string& event_id) {
  return "rotation-key/" + event_id;
}

/// Loads the secret `name` from the meta column, or makes it with `make` and journals it (so
/// nothing signed with it is answered before it is durable).
template <class Make>
caf::expected<std::vector<uint8_t>> load_or_make(self_ptr self, const std::string& name,
                                                 Make make) {
  auto& st = self->state;
  auto stored = st.ctx->db->get(persistence::column::meta, name);
  if (!stored)
    return stored.error();
  if (*stored)
    return std::vector<uint8_t>((*stored)->begin(), (*stored)->end());
  caf::expected<std::vector<uint8_t>> fresh = make();
  if (!fresh)
    return fresh.error();
  persistence::write_set ws;
  ws.put(persistence::column::meta, name, std::string{fresh->begin(), fresh->end()});
  write_journal(self, std::move(ws));
  return fresh;
}

caf::error load_keys(self_ptr self) {
  auto& st = self->state;
  auto key_bytes =
      load_or_make(self, ticket_key_name(st.entity), []() -> caf::expected<std::vector<uint8_t>> {
        auto key = security::ed25519_key::generate();
        if (!key)
          return key.error();
        auto bytes = key->private_bytes();
        return std::vector<uint8_t>(bytes.begin(), bytes.end());
      });
  if (!key_bytes)
    return key_bytes.error();
  auto key = security::ed25519_key::from_private_bytes(*key_bytes);
  if (!key)
    return caf::make_error(ec::storage_corruption, "bad " + ticket_key_name(st.entity));
  st.key.emplace(std::move(*key));
  if (!st.info.rotating_codes)
    return {};
  auto rot_bytes =
      load_or_make(self, rotation_key_name(st.entity), []() -> caf::expected<std::vector<uint8_t>> {
        auto rot = domain::rotation_key::generate();
        if (!rot)
          return rot.error();
        return rot->bytes();
      });
  if (!rot_bytes)
    return rot_bytes.error();
  auto rot = domain::rotation_key::from_bytes(std::move(*rot_bytes));
  if (!rot)
    return caf::make_error(ec::storage_corruption, "bad " + rotation_key_name(st.entity));
  st.rotation.emplace(std::move(*rot));
  return {};
}

caf::error recover(self_ptr self, const domain::payment_settings& payments) {
  auto& st = self->state;
  if (auto err = load_keys(self))
    return err;
  auto gw = domain::simulated_gateway::make(payments, st.ctx->card_key);
  if (!gw)
    return gw.error();
  gw = replay_journal<domain::simulated_gateway, pb::payment_event>(*st.ctx, payment_kind,
                                                                    st.entity, std::move(*gw));
  if (!gw)
    return gw.error();
  auto orders = replay_journal<domain::checkout_state, pb::checkout_event>(
      *st.ctx, checkout_kind, st.entity, domain::checkout_state{st.entity});
  if (!orders)
    return orders.error();
  domain::gate_verifier verifier{st.entity, st.key->public_bytes(), st.rotation};
  auto tickets = replay_journal<domain::ticket_registry, pb::ticket_event>(
      *st.ctx, ticket_kind, st.entity, domain::ticket_registry{st.entity, std::move(verifier)});
  if (!tickets)
    return tickets.error();
  st.gateway.emplace(std::move(*gw));
  st.orders.emplace(std::move(*orders));
  st.tickets.emplace(std::move(*tickets));
  return {};
}

/// `ticket_id` of `account`, or not_found.
caf::expected<domain::ticket_view> owned(self_ptr self, const std::string& ticket_id,
                                         const std::string& account) {
  if (auto v = self->state.tickets->find_for(ticket_id, account))
    return std::move(*v);
  return caf::make_error(ec::not_found, "ticket " + ticket_id);
}

/// Replies `x` (or its error) once everything journaled so far is durable.
template <class T>
caf::result<T> reply_durable(self_ptr self, caf::expected<T> x) {
  if (!x)
    return x.error();
  return reply_when_durable(self, *self->state.journal, std::move(*x));
}

box_office_actor::behavior_type box_office(self_ptr self, event_info info, resolver_ptr resolver,
                                           context_ptr ctx, domain::payment_settings payments,
                                           box_office_options opts) {
  auto& st = self->state;
  st.entity = info.id;
  st.info = std::move(info);
  st.resolver = std::move(resolver);
  st.ctx = ctx;
  st.opts = std::move(opts);
  st.journal.emplace(*ctx->journal);
  if (auto err = recover(self, payments)) {
    spdlog::error("box office {} cannot start: {}", st.entity, render(err));
    self->quit(err);
  } else {
    // Resume every open order where the journal left it, and finish refunds.
    for (const auto& [order_id, action] : st.orders->pending())
      drive(self, order_id);
    release_seats(self);
  }
  return journaling_behavior(
      self, actor_identity{"box_office", st.entity},
      [self](actor_status& out) {
        const auto& st = self->state;
        if (!st.orders || !st.tickets || !st.gateway)
          return;
        // Three journals (checkout, ticket, payment): events applied over all of them.
        out.version = st.orders->version() + st.tickets->version() + st.gateway->version();
        add_counter(out, "orders", static_cast<int64_t>(st.orders->size()));
        add_counter(out, "open_orders", static_cast<int64_t>(st.orders->pending().size()));
        add_counter(out, "tickets", static_cast<int64_t>(st.tickets->size()));
      },
      [=](atom::ticket, const std::string& order_id, std::vector<std::string>& codes,
          caf::error& err) { take_codes(self, order_id, codes, err); },
      [=](atom::confirm, std::string& key, std::string& account, std::string& hold_id,
          std::vector<std::string>& sections, std::vector<std::string>& seat_ids,
          std::vector<int64_t>& prices, std::string& payment_method) -> caf::result<order_info> {
        auto& st = self->state;
        if (st.crashed)
          return caf::sec::runtime_error;
        if (seat_ids.size() != prices.size())
          return caf::make_error(ec::invalid_argument, "one price per seat");
        if (!st.orders->order_for_key(key)) {
          // A new order must fit the account's limit; a retry joins its order whatever it is.
          auto counted = st.orders->seats_of(account) - st.tickets->refunded_of(account);
          if (counted + seat_ids.size() > st.info.max_tickets_per_account)
            return caf::make_error(ec::ticket_limit,
                                   std::to_string(counted) + " tickets of at most " +
                                       std::to_string(st.info.max_tickets_per_account));
        }
        domain::checkout_request req;
        req.idempotency_key = std::move(key);
        req.account = std::move(account);
        req.event_id = st.entity;
        req.hold_id = std::move(hold_id);
        req.sections = std::move(sections);
        for (size_t i = 0; i < seat_ids.size(); ++i) {
          req.seats.emplace_back(std::move(seat_ids[i]), prices[i]);
          req.total += prices[i];
        }
        req.currency = st.opts.currency;
        req.payment_method = journaled_method(self, req.idempotency_key, payment_method);
        auto begun = st.orders->begin(std::move(req), now(self));
        if (!begun)
          return begun.error();
        auto rp = self->make_response_promise<order_info>();
        st.waiting[begun->order_id].push_back(rp);
        if (begun->event && !journal(self, begun->event))
          return rp;
        drive(self, begun->order_id);
        return rp;
      },
      [=](atom::get, atom::order, std::string& order_id,
          std::string& account) -> caf::result<order_info> {
        auto order = self->state.orders->find_for(order_id, account);
        if (!order)
          return caf::make_error(ec::not_found, "order " + order_id);
        return reply_durable(self, order_of(self, *order, now(self)));
      },
      [=](atom::get, atom::tickets, std::string& account) -> caf::result<std::vector<ticket_info>> {
        std::vector<ticket_info> result;
        auto t = now(self);
        for (const auto& v : self->state.tickets->owned_by(account)) {
          auto x = info_of(self, v, t);
          if (!x)
            return x.error();
          result.push_back(std::move(*x));
        }
        return reply_durable(self, caf::expected<std::vector<ticket_info>>{std::move(result)});
      },
      [=](atom::get, atom::ticket, std::string& ticket_id,
          std::string& account) -> caf::result<ticket_info> {
        auto v = owned(self, ticket_id, account);
        if (!v)
          return v.error();
        return reply_durable(self, info_of(self, *v, now(self)));
      },
      [=](atom::transfer, std::string& ticket_id, std::string& account, std::string& to,
          std::string& key) -> caf::result<ticket_info> {
        auto& st = self->state;
        if (st.crashed)
          return caf::sec::runtime_error;
        auto t = now(self);
        // A retry of a transfer made before a crash lost its answer (the edge's record of
        // the answer is a later write than the transfer): the same answer, no second transfer.
        auto again = st.tickets->transferred_with(ticket_id, account, to, key);
        if (!again)
          return again.error();
        if (*again)
          return reply_durable(self, info_of(self, **again, t));
        auto ev = st.tickets->transfer(ticket_id, account, to, t, key);
        if (!ev)
          return ev.error();
        if (!journal(self, std::nullopt, *ev))
          return caf::sec::runtime_error;
        return reply_durable(self, info_of(self, *st.tickets->find(ticket_id), t));
      },
      [=](atom::refund, std::string& ticket_id, std::string& account, bool as_operator,
          std::string& key) -> caf::result<ticket_info> {
        auto& st = self->state;
        if (st.crashed)
          return caf::sec::runtime_error;
        auto t = now(self);
        // A retry of a refund made before a crash lost its answer: the same answer.
        if (auto again = st.tickets->refunded_with(ticket_id, account, key))
          return reply_durable(self, info_of(self, *again, t));
        domain::time_point until{std::chrono::milliseconds{st.info.refunds_until_ms}};
        auto ev = st.tickets->refund(ticket_id, account, as_operator, until, t, key);
        if (!ev)
          return ev.error();
        auto v = *st.tickets->find(ticket_id);
        // The simulated provider answers at once, so the payment refund and the ticket's
        // revocation are journaled in one write. (A remote provider needs a saga step here.)
        auto paid = st.gateway->refund(v.payment_id, v.price, t);
        if (!paid) {
          spdlog::error("box office {}: refund of ticket {} refused by the provider: {}", st.entity,
                        ticket_id, render(paid.error()));
          self->quit(paid.error()); // memory is ahead of the journal: recover from disk
          return paid.error();
        }
        if (!journal(self, std::nullopt, *ev))
          return caf::sec::runtime_error;
        release_seats(self);
        return reply_durable(self, info_of(self, v, t));
      },
      [=](atom::scan, std::string& code) -> caf::result<scan_info> {
        auto& st = self->state;
        if (st.crashed)
          return caf::sec::runtime_error;
        auto out = st.tickets->scan(code, now(self));
        scan_info x{std::string{domain::to_string(out.result)}, {}, {}, 0};
        if (out.ticket) {
          x.ticket_id = out.ticket->ticket_id;
          x.seat = out.ticket->seat_id;
          x.version = out.ticket->version;
        }
        if (out.event && !journal(self, std::nullopt, *out.event))
          return caf::sec::runtime_error;
        // A "valid" answer lets someone in: it must survive a crash, or a copy could enter too.
        return reply_durable(self, caf::expected<scan_info>{std::move(x)});
      },
      [=](atom::get, atom::gate) {
        auto& st = self->state;
        const auto& pub = st.key->public_bytes();
        gate_keys x;
        x.event = st.entity;
        x.public_key.assign(pub.begin(), pub.end());
        if (st.rotation)
          x.rotation_key = st.rotation->bytes();
        for (const auto& [id, version] : st.tickets->verifier().revocations())
          x.revoked.emplace(id, version);
        return x;
      },
      [=](atom::get, atom::count, std::string& account) {
        auto& st = self->state;
        return st.orders->seats_of(account) - st.tickets->refunded_of(account);
      },
      [=](atom::tick, std::string& order_id) {
        self->state.busy.erase(order_id);
        drive(self, order_id);
      },
      [=](atom::tick, atom::refund) { release_seats(self); });
}

} // namespace

box_office_actor spawn_box_office(caf::actor_system& sys, event_info info, resolver_ptr resolver,
                                  context_ptr ctx, domain::payment_settings payments,
                                  box_office_options opts) {
  return sys.spawn(box_office, std::move(info), std::move(resolver), std::move(ctx), payments,
                   std::move(opts));
}

} // namespace seatgrab::actors
