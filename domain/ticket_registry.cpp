#include "domain/ticket_registry.hpp"

#include "domain/detail.hpp"
#include "messages/ec.hpp"

namespace seatgrab::domain {

using namespace detail;

ticket_payload ticket_view::payload() const {
  return ticket_payload{ticket_id, event_id, seat_id, owner, version, to_ms(issued_at)};
}

ticket_registry::ticket_registry(std::string event_id, gate_verifier verifier)
    : event_id_(std::move(event_id)), verifier_(std::move(verifier)) {
  // nop
}

// -- operations ---------------------------------------------------------------

caf::expected<std::optional<pb::ticket_event>> ticket_registry::issue(const order_view& order) {
  if (order.event_id != event_id_)
    return fail(ec::invalid_argument, "order " + quoted(order.order_id) + " is of another event");
  if (order.step != checkout_step::completed)
    return fail(ec::invalid_argument, "order " + quoted(order.order_id) + " is not completed");
  if (orders_.count(order.order_id) > 0)
    return std::optional<pb::ticket_event>{};
  if (order.tickets.size() != order.seats.size())
    return fail(ec::invalid_argument, "order " + quoted(order.order_id) + ": one ticket per seat");
  auto ev = next_event(order.captured_at);
  auto& issued = *ev.mutable_issued();
  issued.set_order_id(order.order_id);
  issued.set_account(order.account);
  issued.set_payment_id(order.payment_id);
  for (size_t i = 0; i < order.tickets.size(); ++i) {
    const auto& t = order.tickets[i];
    if (tickets_.count(t.ticket_id) > 0)
      return fail(ec::invalid_argument, "ticket id " + quoted(t.ticket_id) + " is taken");
    auto& seat = *issued.add_seats();
    seat.set_ticket_id(t.ticket_id);
    seat.set_seat_id(t.seat_id);
    seat.set_price(order.seats[i].second);
  }
  auto committed = commit(std::move(ev));
  if (!committed)
    return committed.error();
  return std::optional<pb::ticket_event>{std::move(*committed)};
}

caf::expected<pb::ticket_event> ticket_registry::transfer(std::string_view ticket_id,
                                                          std::string_view by, std::string_view to,
                                                          time_point now, std::string_view key) {
  auto rec = find_rec(ticket_id);
  if (rec == nullptr || rec->view.owner != by)
    return fail(ec::not_found, "ticket " + quoted(ticket_id));
  if (!well_formed(to))
    return fail(ec::invalid_argument, "transfer: no recipient");
  if (to == by)
    return fail(ec::invalid_argument, "transfer: the recipient is the owner");
  if (!key.empty() && (!well_formed(key) || keyed_.count(keyed_id('t', ticket_id, by, key)) > 0))
    return fail(ec::invalid_argument, "transfer: malformed or used idempotency key");
  if (rec->view.used)
    return fail(ec::ticket_used, "ticket " + quoted(ticket_id) + " was admitted at the gate");
  if (rec->view.refunded)
    return fail(ec::ticket_refunded, "ticket " + quoted(ticket_id) + " was refunded");
  auto ev = next_event(now);
  auto& x = *ev.mutable_transferred();
  x.set_ticket_id(std::string{ticket_id});
  x.set_from(std::string{by});
  x.set_to(std::string{to});
  x.set_version(rec->view.version + 1);
  x.set_request_key(std::string{key});
  return commit(std::move(ev));
}

caf::expected<pb::ticket_event> ticket_registry::refund(std::string_view ticket_id,
                                                        std::string_view by, bool by_operator,
                                                        time_point refunds_until, time_point now,
                                                        std::string_view key) {
  auto rec = find_rec(ticket_id);
  if (rec == nullptr || (!by_operator && rec->view.owner != by))
    return fail(ec::not_found, "ticket " + quoted(ticket_id));
  if (rec->view.refunded)
    return fail(ec::ticket_refunded, "ticket " + quoted(ticket_id) + " was refunded already");
  if (rec->view.used)
    return fail(ec::ticket_used, "ticket " + quoted(ticket_id) + " was admitted at the gate");
  if (!by_operator && now >= refunds_until)
    return fail(ec::refund_closed, "the event's refund period is over");
  if (!key.empty() && !well_formed(key))
    return fail(ec::invalid_argument, "refund: malformed idempotency key");
  auto ev = next_event(now);
  auto& x = *ev.mutable_refunded();
  x.set_ticket_id(std::string{ticket_id});
  x.set_by(std::string{by});
  x.set_by_operator(by_operator);
  x.set_amount(rec->view.price);
  x.set_request_key(std::string{key});
  return commit(std::move(ev));
}

caf::expected<pb::ticket_event> ticket_registry::seat_released(std::string_view ticket_id,
                                                               time_point now) {
  if (unreleased_.count(ticket_id) == 0)
    return fail(ec::invalid_argument,
                "ticket " + quoted(ticket_id) + " has no seat waiting to go back on sale");
  auto ev = next_event(now);
  ev.mutable_seat_released()->set_ticket_id(std::string{ticket_id});
  return commit(std::move(ev));
}

scan_outcome ticket_registry::scan(std::string_view code, time_point now) {
  scan_outcome out;
  ticket_payload payload;
  out.result = verifier_.check(code, to_ms(now), &payload);
  if (out.result == scan_result::invalid)
    return out;
  out.ticket = payload;
  auto rec = find_rec(payload.ticket_id);
  if (rec == nullptr) {
    // Signed with our key but never issued by this registry: a key leak or a bug.
    out.result = scan_result::invalid;
    return out;
  }
  if (out.result != scan_result::valid)
    return out;
  if (rec->view.refunded) {
    out.result = scan_result::revoked;
    return out;
  }
  if (rec->view.used) {
    out.result = scan_result::already_used;
    return out;
  }
  auto ev = next_event(now);
  ev.mutable_admitted()->set_ticket_id(payload.ticket_id);
  ev.mutable_admitted()->set_version(payload.version);
  auto committed = commit(std::move(ev));
  if (!committed) {
    // The code's version is not the current one although not revoked: refuse it.
    out.result = scan_result::revoked;
    return out;
  }
  out.event = std::move(*committed);
  return out;
}

// -- event sourcing -----------------------------------------------------------

std::span<const ticket_registry::kind_handler> ticket_registry::handlers() {
  using ev_t = pb::ticket_event;
  using st_t = ticket_registry;
  static constexpr kind_handler table[] = {
      {ev_t::kIssued,
       [](st_t& st, const ev_t& ev) { return st.apply_issued(ev.issued(), from_ms(ev.at_ms())); }},
      {ev_t::kTransferred,
       [](st_t& st, const ev_t& ev) {
         return st.apply_transferred(ev.transferred(), from_ms(ev.at_ms()));
       }},
      {ev_t::kRefunded, [](st_t& st, const ev_t& ev) { return st.apply_refunded(ev.refunded()); }},
      {ev_t::kSeatReleased,
       [](st_t& st, const ev_t& ev) { return st.apply_seat_released(ev.seat_released()); }},
      {ev_t::kAdmitted, [](st_t& st, const ev_t& ev) { return st.apply_admitted(ev.admitted()); }},
  };
  return table;
}

caf::error ticket_registry::apply_issued(const pb::tickets_issued& ev, time_point at) {
  if (!well_formed(ev.order_id()) || !well_formed(ev.account()))
    return corrupt("issued: malformed order or account id");
  if (orders_.count(ev.order_id()) > 0)
    return corrupt("issued: order " + quoted(ev.order_id()) + " was issued before");
  if (ev.seats().empty())
    return corrupt("issued: no tickets");
  std::set<std::string_view> ids;
  for (const auto& s : ev.seats()) {
    if (!well_formed(s.ticket_id()) || tickets_.count(s.ticket_id()) > 0 ||
        !ids.insert(s.ticket_id()).second)
      return corrupt("issued: ticket id " + quoted(s.ticket_id()) + " is malformed or taken");
    if (s.price() < 0)
      return corrupt("issued: negative price");
  }
  for (const auto& s : ev.seats()) {
    ticket_view v;
    v.ticket_id = s.ticket_id();
    v.event_id = event_id_;
    v.order_id = ev.order_id();
    v.seat_id = s.seat_id();
    v.buyer = ev.account();
    v.owner = ev.account();
    v.payment_id = ev.payment_id();
    v.price = s.price();
    v.issued_at = at;
    by_owner_[v.owner].insert(v.ticket_id);
    tickets_.emplace(s.ticket_id(), ticket_rec{std::move(v)});
  }
  orders_.insert(ev.order_id());
  return {};
}

caf::error ticket_registry::apply_transferred(const pb::ticket_transferred& ev, time_point at) {
  auto rec = find_rec(ev.ticket_id());
  if (rec == nullptr)
    return corrupt("transferred: unknown ticket " + quoted(ev.ticket_id()));
  auto& v = rec->view;
  if (v.owner != ev.from() || !well_formed(ev.to()) || ev.to() == ev.from())
    return corrupt("transferred: ticket " + quoted(ev.ticket_id()) + " is not owned by " +
                   quoted(ev.from()) + " or the recipient is invalid");
  if (ev.version() != v.version + 1 || v.used || v.refunded)
    return corrupt("transferred: ticket " + quoted(ev.ticket_id()) + " cannot move to version " +
                   std::to_string(ev.version()));
  auto keyed = keyed_id('t', ev.ticket_id(), ev.from(), ev.request_key());
  if (!ev.request_key().empty() && (!well_formed(ev.request_key()) || keyed_.count(keyed) > 0))
    return corrupt("transferred: malformed or used request key");
  if (auto i = by_owner_.find(v.owner); i != by_owner_.end()) {
    i->second.erase(v.ticket_id);
    if (i->second.empty())
      by_owner_.erase(i);
  }
  verifier_.revoke(v.ticket_id, v.version);
  v.owner = ev.to();
  v.version = ev.version();
  v.issued_at = at;
  by_owner_[v.owner].insert(v.ticket_id);
  if (!ev.request_key().empty())
    keyed_.emplace(std::move(keyed), keyed_change{ev.to(), ev.version(), at});
  return {};
}

caf::error ticket_registry::apply_refunded(const pb::ticket_refunded& ev) {
  auto rec = find_rec(ev.ticket_id());
  if (rec == nullptr)
    return corrupt("refunded: unknown ticket " + quoted(ev.ticket_id()));
  auto& v = rec->view;
  if (v.refunded || v.used || ev.amount() != v.price)
    return corrupt("refunded: ticket " + quoted(ev.ticket_id()) + " cannot be refunded");
  if (!ev.by_operator() && ev.by() != v.owner)
    return corrupt("refunded: " + quoted(ev.by()) + " is not the owner");
  if (!ev.request_key().empty() && !well_formed(ev.request_key()))
    return corrupt("refunded: malformed request key");
  v.refunded = true;
  verifier_.revoke(v.ticket_id, v.version);
  ++refunded_by_buyer_[v.buyer];
  unreleased_.insert(v.ticket_id);
  if (!ev.request_key().empty())
    keyed_.emplace(keyed_id('r', ev.ticket_id(), ev.by(), ev.request_key()), keyed_change{});
  return {};
}

caf::error ticket_registry::apply_seat_released(const pb::ticket_seat_released& ev) {
  auto i = unreleased_.find(ev.ticket_id());
  if (i == unreleased_.end())
    return corrupt("seat_released: ticket " + quoted(ev.ticket_id()) + " is not waiting");
  unreleased_.erase(i);
  find_rec(ev.ticket_id())->view.seat_released = true;
  return {};
}

caf::error ticket_registry::apply_admitted(const pb::ticket_admitted& ev) {
  auto rec = find_rec(ev.ticket_id());
  if (rec == nullptr)
    return corrupt("admitted: unknown ticket " + quoted(ev.ticket_id()));
  auto& v = rec->view;
  if (v.used || v.refunded || ev.version() != v.version)
    return corrupt("admitted: ticket " + quoted(ev.ticket_id()) + " version " +
                   std::to_string(ev.version()) + " cannot be admitted");
  v.used = true;
  return {};
}

// -- queries ------------------------------------------------------------------

ticket_registry::ticket_rec* ticket_registry::find_rec(std::string_view ticket_id) {
  auto i = tickets_.find(ticket_id);
  return i == tickets_.end() ? nullptr : &i->second;
}

const ticket_registry::ticket_rec* ticket_registry::find_rec(std::string_view ticket_id) const {
  auto i = tickets_.find(ticket_id);
  return i == tickets_.end() ? nullptr : &i->second;
}

std::optional<ticket_view> ticket_registry::find(std::string_view ticket_id) const {
  if (auto rec = find_rec(ticket_id))
    return rec->view;
  return std::nullopt;
}

std::optional<ticket_view> ticket_registry::find_for(std::string_view ticket_id,
                                                     std::string_view account) const {
  auto rec = find_rec(ticket_id);
  if (rec == nullptr || rec->view.owner != account)
    return std::nullopt;
  return rec->view;
}

std::vector<ticket_view> ticket_registry::owned_by(std::string_view account) const {
  std::vector<ticket_view> result;
  if (auto i = by_owner_.find(account); i != by_owner_.end())
    for (const auto& id : i->second)
      result.push_back(find_rec(id)->view);
  return result;
}

caf::expected<std::optional<ticket_view>>
ticket_registry::transferred_with(std::string_view ticket_id, std::string_view by,
                                  std::string_view to, std::string_view key) const {
  if (key.empty())
    return std::optional<ticket_view>{};
  auto i = keyed_.find(keyed_id('t', ticket_id, by, key));
  if (i == keyed_.end())
    return std::optional<ticket_view>{};
  if (i->second.to != to)
    return fail(ec::invalid_argument, "idempotency key reused with another request");
  // The ticket as the transfer's answer showed it: later changes are not this request's.
  auto v = find_rec(ticket_id)->view;
  v.owner = i->second.to;
  v.version = i->second.version;
  v.issued_at = i->second.at;
  v.used = false;
  v.refunded = false;
  v.seat_released = false;
  return std::optional<ticket_view>{std::move(v)};
}

std::optional<ticket_view> ticket_registry::refunded_with(std::string_view ticket_id,
                                                          std::string_view by,
                                                          std::string_view key) const {
  if (key.empty() || keyed_.count(keyed_id('r', ticket_id, by, key)) == 0)
    return std::nullopt;
  return find_rec(ticket_id)->view; // refunded is final: as the refund's answer showed it
}

std::string ticket_registry::keyed_id(char kind, std::string_view ticket_id, std::string_view by,
                                      std::string_view key) {
  std::string id{kind};
  for (auto part : {ticket_id, by, key}) {
    id += '\0'; // ids and keys are well formed: no NUL inside
    id += part;
  }
  return id;
}

bool ticket_registry::issued(std::string_view order_id) const {
  return orders_.count(order_id) > 0;
}

uint32_t ticket_registry::refunded_of(std::string_view account) const {
  auto i = refunded_by_buyer_.find(account);
  return i == refunded_by_buyer_.end() ? 0 : i->second;
}

std::vector<ticket_view> ticket_registry::unreleased() const {
  std::vector<ticket_view> result;
  for (const auto& id : unreleased_)
    result.push_back(find_rec(id)->view);
  return result;
}

} // namespace seatgrab::domain
