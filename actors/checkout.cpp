#include "actors/checkout.hpp"

#include "actors/journal_client.hpp"
#include "domain/checkout.hpp"
#include "domain/ticket.hpp"
#include "persistence/recovery.hpp"

#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include <map>
#include <optional>
#include <set>

namespace seatgrab::actors {

using checkout_promise = caf::typed_response_promise<std::string, std::vector<std::string>>;

struct checkout_actor_state {
  checkout_actor_state() = default; // see tests/support/test_system.hpp for why

  std::string entity;
  context_ptr ctx;
  event_info info;
  event_actor event;
  checkout_options opts;
  std::optional<domain::checkout_state> orders;
  std::optional<domain::simulated_gateway> gateway;
  std::optional<journal_client> journal;
  std::optional<security::ed25519_key> key;
  /// Requesters waiting for an order to become final, by order id.
  std::map<std::string, std::vector<checkout_promise>, std::less<>> waiting;
  /// Orders with a step in flight (a request to the event actor or a retry timer).
  std::set<std::string, std::less<>> busy;
  uint32_t writes = 0;
  bool crashed = false;

  static inline const char* name = "checkout";
};

namespace {

using self_ptr = checkout_actor::stateful_pointer<checkout_actor_state>;

constexpr const char* checkout_kind = "checkout";
constexpr const char* payment_kind = "payment";

domain::time_point now(self_ptr self) {
  return self->state.ctx->clock.now(self->clock());
}

int64_t to_ms(domain::time_point t) {
  return t.time_since_epoch().count();
}

/// Our `ec` in `err`, or none for errors of other categories.
ec ec_of(const caf::error& err) {
  if (err.category() == caf::atom("seatgrab"))
    return static_cast<ec>(err.code());
  return ec::none;
}

/// Journals the gateway's queued events plus `ev` (if any) in one write set. Returns false if
/// the crash hook fired: the caller must stop at once.
bool journal(self_ptr self, const std::optional<pb::checkout_event>& ev) {
  auto& st = self->state;
  persistence::write_set ws;
  bool any = false;
  for (auto& p : st.gateway->take_events()) {
    ws.append(payment_kind, st.entity, p.version(), p.SerializeAsString());
    any = true;
  }
  if (ev) {
    ws.append(checkout_kind, st.entity, ev->version(), ev->SerializeAsString());
    any = true;
  }
  if (!any)
    return true;
  st.journal->write(std::move(ws), checkout_actor{self});
  if (st.opts.crash_after_writes != 0 && ++st.writes >= st.opts.crash_after_writes) {
    st.crashed = true;
    self->quit(caf::sec::runtime_error);
    return false;
  }
  return true;
}

/// The ticket codes of a completed order; deterministic (Ed25519 signatures are).
caf::expected<std::vector<std::string>> codes_of(self_ptr self, const domain::order_view& o) {
  std::vector<std::string> codes;
  for (const auto& t : o.tickets) {
    domain::ticket_payload p{t.ticket_id, o.event_id, t.seat_id,
                             o.account,   t.version,  to_ms(o.captured_at)};
    auto code = domain::make_code(*self->state.key, p, nullptr, to_ms(o.captured_at));
    if (!code)
      return code.error();
    codes.push_back(std::move(*code));
  }
  return codes;
}

/// Answers everyone waiting for `order_id` once its final step is durable.
void answer(self_ptr self, const std::string& order_id) {
  auto& st = self->state;
  auto found = st.waiting.find(order_id);
  if (found == st.waiting.end())
    return;
  auto promises = std::move(found->second);
  st.waiting.erase(found);
  auto order = st.orders->find(order_id);
  if (!order)
    return;
  caf::expected<std::vector<std::string>> codes{std::vector<std::string>{}};
  if (order->step == domain::checkout_step::completed)
    codes = codes_of(self, *order);
  auto failure = order->failure;
  st.journal->then([promises = std::move(promises), codes = std::move(codes), failure,
                    order_id](const caf::error& err) mutable {
    for (auto& rp : promises) {
      if (err)
        rp.deliver(err);
      else if (failure != ec::none)
        rp.deliver(caf::make_error(failure, "order " + order_id + " failed"));
      else if (!codes)
        rp.deliver(codes.error());
      else
        rp.deliver(order_id, *codes);
    }
  });
}

void retry_later(self_ptr self, const std::string& order_id) {
  self->state.busy.insert(order_id);
  self->delayed_send(self, self->state.opts.retry_delay, atom::tick_v, order_id);
}

void drive(self_ptr self, const std::string& order_id);

/// Applies a step's outcome: journal it, then go on. A failed operation of the state machine
/// means the coordinator and the state disagree, which is a bug: log and stop driving.
void step_done(self_ptr self, const std::string& order_id, caf::expected<pb::checkout_event> ev) {
  if (!ev) {
    spdlog::error("checkout {}: order {}: {}", self->state.entity, order_id, render(ev.error()));
    journal(self, std::nullopt);
    return;
  }
  if (journal(self, *ev))
    drive(self, order_id);
}

void confirm_seats(self_ptr self, const std::string& order_id) {
  auto& st = self->state;
  auto order = st.orders->find(order_id);
  st.busy.insert(order_id);
  self->request(st.event, st.ctx->call_timeout, atom::confirm_v, order->hold_id, order->account,
                order_id, order->sections)
      .then(
          [self, order_id](const sale_receipt&) {
            self->state.busy.erase(order_id);
            if (self->state.crashed)
              return;
            step_done(self, order_id, self->state.orders->seats_confirmed(order_id, now(self)));
          },
          [self, order_id](caf::error& err) {
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
          });
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
    auto payment_id = st.orders->find(order_id)->payment_id;
    auto res =
        capture ? st.gateway->capture(payment_id, t) : st.gateway->void_payment(payment_id, t);
    if (!res) {
      spdlog::warn("checkout {}: order {}: {} failed: {}", st.entity, order_id,
                   capture ? "capture" : "void", render(res.error()));
      if (journal(self, std::nullopt))
        retry_later(self, order_id);
      return;
    }
    step_done(self, order_id,
              capture ? st.orders->captured(order_id, t) : st.orders->voided(order_id, t));
    return;
  }
  case domain::checkout_action::issue_tickets: {
    auto tickets = st.orders->tickets_to_issue(order_id);
    auto ev = st.orders->tickets_issued(order_id, std::move(tickets), t);
    if (ev) {
      // Signing must work before the order counts as completed.
      if (auto codes = codes_of(self, *st.orders->find(order_id)); !codes)
        spdlog::error("checkout {}: order {}: cannot sign tickets: {}", st.entity, order_id,
                      render(codes.error()));
    }
    step_done(self, order_id, std::move(ev));
    return;
  }
  }
}

template <class State, class Event>
caf::expected<State> replay(const actor_context& ctx, const char* kind, const std::string& entity,
                            State fresh) {
  auto restored = persistence::recover<State>(
      *ctx.db, kind, entity, [&] { return fresh; },
      [&](std::string_view) -> caf::expected<State> {
        return caf::make_error(ec::storage_corruption, std::string{kind} + " has no snapshots");
      },
      [](State& st, std::string_view bytes) -> caf::expected<void> {
        Event ev;
        if (!ev.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
          return caf::make_error(ec::storage_corruption, "event does not parse");
        if (auto err = st.apply(ev))
          return err;
        return {};
      });
  if (!restored)
    return restored.error();
  return std::move(restored->first);
}

checkout_actor::behavior_type checkout(self_ptr self, event_info info, event_actor event,
                                       context_ptr ctx, domain::payment_settings payments,
                                       security::ed25519_key key, checkout_options opts) {
  auto& st = self->state;
  st.entity = info.id;
  st.info = std::move(info);
  st.event = std::move(event);
  st.ctx = ctx;
  st.opts = std::move(opts);
  st.key.emplace(std::move(key));
  st.journal.emplace(*ctx->journal);
  auto gw = domain::simulated_gateway::make(payments);
  caf::expected<domain::checkout_state> orders{caf::error{}};
  if (gw) {
    gw = replay<domain::simulated_gateway, pb::payment_event>(*ctx, payment_kind, st.entity,
                                                              std::move(*gw));
    orders = replay<domain::checkout_state, pb::checkout_event>(*ctx, checkout_kind, st.entity,
                                                                domain::checkout_state{st.entity});
  }
  auto err = !gw ? gw.error() : !orders ? orders.error() : caf::error{};
  if (err) {
    spdlog::error("checkout {} cannot start: {}", st.entity, render(err));
    self->quit(err);
  } else {
    st.gateway.emplace(std::move(*gw));
    st.orders.emplace(std::move(*orders));
    // Resume every open order where the journal left it.
    for (const auto& [order_id, action] : st.orders->pending())
      drive(self, order_id);
  }
  return {
      [=](atom::confirm, std::string& key, std::string& account, std::string& hold_id,
          std::vector<std::string>& sections, std::vector<std::string>& seat_ids,
          std::vector<int64_t>& prices,
          std::string& payment_method) -> caf::result<std::string, std::vector<std::string>> {
        auto& st = self->state;
        if (st.crashed)
          return caf::sec::runtime_error;
        if (seat_ids.size() != prices.size())
          return caf::make_error(ec::invalid_argument, "one price per seat");
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
        req.payment_method = std::move(payment_method);
        auto begun = st.orders->begin(std::move(req), now(self));
        if (!begun)
          return begun.error();
        auto rp = self->make_response_promise<std::string, std::vector<std::string>>();
        st.waiting[begun->order_id].push_back(rp);
        if (begun->event && !journal(self, begun->event))
          return rp;
        drive(self, begun->order_id);
        return rp;
      },
      [=](atom::tick, std::string& order_id) {
        self->state.busy.erase(order_id);
        drive(self, order_id);
      },
      [=](atom::durable, uint64_t token, caf::error& err) {
        on_durable_or_stop(self, *self->state.journal, token, err,
                           "checkout " + self->state.entity);
      },
  };
}

} // namespace

checkout_actor spawn_checkout(caf::actor_system& sys, event_info info, event_actor event,
                              context_ptr ctx, domain::payment_settings payments,
                              security::ed25519_key ticket_key, checkout_options opts) {
  return sys.spawn(checkout, std::move(info), std::move(event), std::move(ctx), payments,
                   std::move(ticket_key), std::move(opts));
}

} // namespace seatgrab::actors
