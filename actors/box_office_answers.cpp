// Orders and tickets as their owners see them, and the answer of a completed checkout.

#include "actors/box_office_state.hpp"
#include "actors/clock.hpp"
#include "actors/ticket_signer.hpp"

#include <algorithm>
#include <iterator>

namespace seatgrab::actors {

namespace {

std::string status_of(const domain::ticket_view& t) {
  return t.refunded ? "refunded" : t.used ? "used" : "valid";
}

} // namespace

caf::expected<ticket_info> info_of(box_office_self self, const domain::ticket_view& v,
                                   domain::time_point t, bool with_code) {
  auto& st = self->state;
  ticket_info x{v.ticket_id, v.event_id, v.order_id,         v.seat_id,    v.owner,
                v.version,   v.price,    to_ms(v.issued_at), status_of(v), std::string{}};
  if (x.status == "valid" && with_code) {
    auto code =
        domain::make_code(*st.key, v.payload(), st.rotation ? &*st.rotation : nullptr, to_ms(t));
    if (!code)
      return code.error();
    x.code = std::move(*code);
  }
  return x;
}

caf::expected<order_info> order_of(box_office_self self, const domain::order_view& o,
                                   domain::time_point t, bool with_codes) {
  order_info x;
  x.id = o.order_id;
  x.event = o.event_id;
  x.hold_id = o.hold_id;
  x.total = o.total;
  x.locked_total = o.locked_total;
  for (const auto& [seat, price] : o.seats)
    x.seats.push_back({seat, price});
  x.currency = o.currency;
  x.created_at_ms = to_ms(o.created_at);
  switch (o.step) {
  case domain::checkout_step::completed:
    x.state = "completed";
    break;
  case domain::checkout_step::failed:
    x.state = "failed";
    x.failure = std::string{to_string(o.failure)};
    break;
  default:
    x.state = "pending";
  }
  for (const auto& it : o.tickets) {
    auto v = self->state.tickets->find(it.ticket_id);
    if (!v)
      continue; // cannot happen: tickets are issued in the write that completes the order
    auto info = info_of(self, *v, t, with_codes);
    if (!info)
      return info.error();
    x.tickets.push_back(std::move(*info));
  }
  return x;
}

namespace {

/// Delivers an order's answer once both its codes and its durability are in.
void finish_answer(box_office_self self, const std::string& order_id) {
  auto& st = self->state;
  auto it = st.answering.find(order_id);
  if (it == st.answering.end() || !it->second.durable || !it->second.coded)
    return;
  auto done = std::move(it->second);
  st.answering.erase(it);
  for (auto& rp : done.promises)
    if (done.error)
      rp.deliver(done.error);
    else
      rp.deliver(done.result);
}

/// Answers a completed order: its codes are signed off the actor (two Ed25519 signatures were
/// most of a checkout's time on the box office) while the journal makes it durable.
void answer_signed_elsewhere(box_office_self self, const std::string& order_id,
                             std::vector<order_promise> promises, const domain::order_view& order,
                             domain::time_point t) {
  auto& st = self->state;
  auto result = order_of(self, order, t, false);
  if (!result) {
    for (auto& rp : promises)
      rp.deliver(result.error());
    return;
  }
  std::vector<domain::ticket_payload> payloads;
  for (const auto& ti : result->tickets)
    if (ti.status == "valid")
      payloads.push_back(st.tickets->find(ti.id)->payload());
  auto [it, fresh] = st.answering.try_emplace(order_id);
  auto& pending = it->second;
  pending.promises.insert(pending.promises.end(), std::make_move_iterator(promises.begin()),
                          std::make_move_iterator(promises.end()));
  if (!fresh)
    return; // its codes are on their way
  pending.result = std::move(*result);
  pending.coded = payloads.empty();
  if (!payloads.empty())
    sign_codes_elsewhere(self->system(), caf::actor_cast<box_office_actor>(self), order_id, *st.key,
                         st.rotation, std::move(payloads), to_ms(t));
  st.journal->then([self, order_id](const caf::error& err) {
    auto it = self->state.answering.find(order_id);
    if (it == self->state.answering.end())
      return;
    it->second.durable = true;
    if (err && !it->second.error)
      it->second.error = err;
    finish_answer(self, order_id);
  });
}

} // namespace

void answer(box_office_self self, const std::string& order_id) {
  auto& st = self->state;
  auto found = st.waiting.find(order_id);
  if (found == st.waiting.end())
    return;
  auto promises = std::move(found->second);
  st.waiting.erase(found);
  auto order = st.orders->find(order_id);
  if (!order)
    return;
  auto t = now(self);
  auto failure = order->failure;
  if (failure == ec::none && !order->tickets.empty() && st.key) {
    answer_signed_elsewhere(self, order_id, std::move(promises), *order, t);
    return;
  }
  auto result = order_of(self, *order, t);
  st.journal->then([promises = std::move(promises), result = std::move(result), failure,
                    order_id](const caf::error& err) mutable {
    for (auto& rp : promises) {
      if (err)
        rp.deliver(err);
      else if (failure != ec::none)
        rp.deliver(caf::make_error(failure, "order " + order_id + " failed"));
      else if (!result)
        rp.deliver(result.error());
      else
        rp.deliver(*result);
    }
  });
}

void take_codes(box_office_self self, const std::string& order_id, std::vector<std::string>& codes,
                caf::error& err) {

  auto it = self->state.answering.find(order_id);
  if (it == self->state.answering.end() || it->second.coded)
    return;
  auto& pending = it->second;
  auto valid = std::count_if(pending.result.tickets.begin(), pending.result.tickets.end(),
                             [](const ticket_info& ti) { return ti.status == "valid"; });
  if (!err && codes.size() != static_cast<size_t>(valid))
    err = caf::make_error(ec::invalid_argument, "codes do not match the order's tickets");
  size_t next = 0;
  if (!err)
    for (auto& ti : pending.result.tickets)
      if (ti.status == "valid")
        ti.code = std::move(codes[next++]);
  if (err && !pending.error)
    pending.error = err;
  pending.coded = true;
  finish_answer(self, order_id);
}

} // namespace seatgrab::actors
