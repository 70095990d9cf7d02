#include "domain/checkout.hpp"

#include "domain/detail.hpp"

#include <algorithm>
#include <optional>
#include <set>

namespace seatgrab::domain {

namespace {

using namespace detail;

// The first thing wrong with a request, or nothing.
std::optional<std::string> problem_of(const checkout_request& req, std::string_view event_id) {
  if (!well_formed(req.idempotency_key))
    return "malformed idempotency key";
  if (!well_formed(req.account))
    return "malformed account";
  if (req.event_id != event_id)
    return "event " + quoted(req.event_id) + " is not " + quoted(event_id);
  if (!well_formed(req.hold_id))
    return "malformed hold id";
  if (req.sections.empty())
    return "no sections";
  for (const auto& s : req.sections)
    if (!well_formed(s))
      return "malformed section id";
  if (req.seats.empty())
    return "no seats";
  std::set<std::string_view> seen;
  int64_t sum = 0;
  for (const auto& [seat, price] : req.seats) {
    if (!well_formed(seat))
      return "malformed seat id";
    if (!seen.insert(seat).second)
      return "seat " + quoted(seat) + " appears twice";
    if (price < 0 || price > INT64_MAX - sum)
      return "seat " + quoted(seat) + " has an invalid price";
    sum += price;
  }
  if (sum != req.total)
    return "total " + std::to_string(req.total) + " is not the sum of the seat prices " +
           std::to_string(sum);
  if (req.currency.size() != 3 ||
      req.currency.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") != std::string::npos)
    return "currency must be three upper-case letters";
  if (req.payment_method.empty() || req.payment_method.size() > 255)
    return "malformed payment method";
  return std::nullopt;
}

pb::checkout_started to_pb(const checkout_request& req) {
  pb::checkout_started x;
  x.set_idempotency_key(req.idempotency_key);
  x.set_account(req.account);
  x.set_event_id(req.event_id);
  x.set_hold_id(req.hold_id);
  for (const auto& s : req.sections)
    x.add_sections(s);
  for (const auto& [seat, price] : req.seats) {
    auto* s = x.add_seats();
    s->set_seat_id(seat);
    s->set_price(price);
  }
  x.set_total(req.total);
  x.set_currency(req.currency);
  x.set_payment_method(req.payment_method);
  return x;
}

checkout_request from_pb(const pb::checkout_started& x) {
  checkout_request req;
  req.idempotency_key = x.idempotency_key();
  req.account = x.account();
  req.event_id = x.event_id();
  req.hold_id = x.hold_id();
  req.sections.assign(x.sections().begin(), x.sections().end());
  for (const auto& s : x.seats())
    req.seats.emplace_back(s.seat_id(), s.price());
  req.total = x.total();
  req.currency = x.currency();
  req.payment_method = x.payment_method();
  return req;
}

// Inverse of `to_string(ec)` for the reasons journaled by name; none for unknown names.
std::optional<ec> ec_from_name(std::string_view name) {
  if (name == "unknown_ec")
    return std::nullopt;
  for (unsigned i = 1; i <= UINT8_MAX; ++i) {
    auto code = static_cast<ec>(i);
    if (to_string(code) == name)
      return code;
  }
  return std::nullopt;
}

std::string order_id_for(size_t index) {
  return "o" + std::to_string(index + 1);
}

} // namespace

std::string_view to_string(checkout_step x) noexcept {
  switch (x) {
  case checkout_step::authorizing:
    return "authorizing";
  case checkout_step::confirming_seats:
    return "confirming_seats";
  case checkout_step::capturing:
    return "capturing";
  case checkout_step::issuing:
    return "issuing";
  case checkout_step::completed:
    return "completed";
  case checkout_step::voiding:
    return "voiding";
  case checkout_step::failed:
    return "failed";
  }
  return "unknown";
}

std::string_view to_string(checkout_action x) noexcept {
  switch (x) {
  case checkout_action::authorize:
    return "authorize";
  case checkout_action::confirm_seats:
    return "confirm_seats";
  case checkout_action::capture:
    return "capture";
  case checkout_action::issue_tickets:
    return "issue_tickets";
  case checkout_action::void_payment:
    return "void_payment";
  case checkout_action::none:
    return "none";
  }
  return "unknown";
}

checkout_state::checkout_state(std::string event_id) : event_id_(std::move(event_id)) {
  // nop
}

// -- operations ---------------------------------------------------------------

caf::expected<begin_outcome> checkout_state::begin(checkout_request req, time_point now) {
  if (auto i = by_key_.find(req.idempotency_key); i != by_key_.end()) {
    const auto* rec = find_rec(i->second);
    if (rec->req != req)
      return fail(ec::invalid_argument, "idempotency key reused with another request");
    return begin_outcome{rec->id, std::nullopt};
  }
  if (auto problem = problem_of(req, event_id_))
    return fail(ec::invalid_argument, "checkout: " + *problem);
  auto order_id = order_id_for(orders_.size());
  auto ev = next_event(order_id, now);
  *ev.mutable_started() = to_pb(req);
  if (auto err = apply(ev))
    return err;
  return begin_outcome{std::move(order_id), std::move(ev)};
}

caf::expected<pb::checkout_event>
checkout_state::authorized(std::string_view order_id, std::string payment_id, time_point now) {
  auto rec = in_step(order_id, checkout_step::authorizing);
  if (!rec)
    return rec.error();
  if (!well_formed(payment_id))
    return fail(ec::invalid_argument, "authorized: malformed payment id");
  auto ev = next_event(order_id, now);
  ev.mutable_authorized()->set_payment_id(std::move(payment_id));
  return commit(std::move(ev));
}

caf::expected<pb::checkout_event> checkout_state::declined(std::string_view order_id,
                                                           std::string reason, time_point now) {
  auto rec = in_step(order_id, checkout_step::authorizing);
  if (!rec)
    return rec.error();
  auto ev = next_event(order_id, now);
  ev.mutable_declined()->set_reason(std::move(reason));
  return commit(std::move(ev));
}

namespace {

// The charges of `seats` (request order) from `charged` (any order), each at most its locked
// price; none if they do not fit.
std::optional<std::vector<int64_t>>
charges_of(const std::vector<std::pair<std::string, int64_t>>& seats,
           const std::vector<std::pair<std::string, int64_t>>& charged) {
  if (charged.size() != seats.size())
    return std::nullopt;
  std::vector<int64_t> result;
  for (const auto& s : seats) {
    // Not a structured binding: clang 14 cannot capture one.
    auto same = [&s](const auto& c) { return c.first == s.first; };
    auto n = std::count_if(charged.begin(), charged.end(), same);
    auto it = std::find_if(charged.begin(), charged.end(), same);
    if (n != 1 || it->second < 0 || it->second > s.second)
      return std::nullopt;
    result.push_back(it->second);
  }
  return result;
}

} // namespace

caf::expected<pb::checkout_event>
checkout_state::seats_confirmed(std::string_view order_id,
                                const std::vector<std::pair<std::string, int64_t>>& charged,
                                time_point now) {
  auto rec = in_step(order_id, checkout_step::confirming_seats);
  if (!rec)
    return rec.error();
  auto ev = next_event(order_id, now);
  auto* x = ev.mutable_seats_confirmed();
  if (!charged.empty()) {
    auto fit = charges_of((*rec)->req.seats, charged);
    if (!fit)
      return fail(ec::invalid_argument,
                  "seats_confirmed: the charges of order " + quoted(order_id) +
                      " do not match its seats or exceed their locked prices");
    for (size_t i = 0; i < fit->size(); ++i) {
      auto* s = x->add_seats();
      s->set_seat_id((*rec)->req.seats[i].first);
      s->set_price((*fit)[i]);
    }
  }
  return commit(std::move(ev));
}

caf::expected<pb::checkout_event> checkout_state::seats_refused(std::string_view order_id, ec why,
                                                                time_point now) {
  auto rec = in_step(order_id, checkout_step::confirming_seats);
  if (!rec)
    return rec.error();
  if (why == ec::none)
    return fail(ec::invalid_argument, "seats_refused: no reason");
  auto ev = next_event(order_id, now);
  ev.mutable_seats_refused()->set_reason(std::string{to_string(why)});
  return commit(std::move(ev));
}

caf::expected<pb::checkout_event> checkout_state::captured(std::string_view order_id,
                                                           time_point now) {
  auto rec = in_step(order_id, checkout_step::capturing);
  if (!rec)
    return rec.error();
  auto ev = next_event(order_id, now);
  ev.mutable_captured();
  return commit(std::move(ev));
}

caf::expected<pb::checkout_event> checkout_state::tickets_issued(std::string_view order_id,
                                                                 std::vector<issued_ticket> tickets,
                                                                 time_point now) {
  auto rec = in_step(order_id, checkout_step::issuing);
  if (!rec)
    return rec.error();
  if (tickets != tickets_to_issue(order_id))
    return fail(ec::invalid_argument,
                "tickets_issued: not the tickets of order " + quoted(order_id));
  auto ev = next_event(order_id, now);
  auto* x = ev.mutable_tickets_issued();
  for (auto& t : tickets) {
    auto* y = x->add_tickets();
    y->set_ticket_id(std::move(t.ticket_id));
    y->set_seat_id(std::move(t.seat_id));
    y->set_version(t.version);
  }
  return commit(std::move(ev));
}

caf::expected<pb::checkout_event> checkout_state::voided(std::string_view order_id,
                                                         time_point now) {
  auto rec = in_step(order_id, checkout_step::voiding);
  if (!rec)
    return rec.error();
  auto ev = next_event(order_id, now);
  ev.mutable_voided();
  return commit(std::move(ev));
}

// -- replay -------------------------------------------------------------------

std::span<const checkout_state::kind_handler> checkout_state::handlers() {
  using ev_t = pb::checkout_event;
  using st_t = checkout_state;
  static constexpr handler step = [](st_t& st, const ev_t& ev) { return st.apply_step(ev); };
  static constexpr kind_handler table[] = {
      {ev_t::kStarted, [](st_t& st, const ev_t& ev) { return st.apply_started(ev); }},
      {ev_t::kAuthorized, step},
      {ev_t::kDeclined, step},
      {ev_t::kSeatsConfirmed, step},
      {ev_t::kSeatsRefused, step},
      {ev_t::kCaptured, step},
      {ev_t::kTicketsIssued, step},
      {ev_t::kVoided, step},
  };
  return table;
}

caf::error checkout_state::apply_step(const pb::checkout_event& ev) {
  auto i = by_id_.find(ev.order_id());
  if (i == by_id_.end())
    return corrupt("no order " + quoted(ev.order_id()));
  auto& rec = orders_[i->second];
  auto expect = [&](checkout_step step, std::string_view what) -> caf::error {
    if (rec.step != step)
      return corrupt(std::string{what} + ": order " + quoted(rec.id) + " is " +
                     std::string{to_string(rec.step)});
    return {};
  };
  auto at = from_ms(ev.at_ms());
  switch (ev.kind_case()) {
  case pb::checkout_event::kAuthorized:
    if (auto err = expect(checkout_step::authorizing, "authorized"))
      return err;
    if (!well_formed(ev.authorized().payment_id()))
      return corrupt("authorized: malformed payment id");
    rec.payment_id = ev.authorized().payment_id();
    rec.step = checkout_step::confirming_seats;
    break;
  case pb::checkout_event::kDeclined:
    if (auto err = expect(checkout_step::authorizing, "declined"))
      return err;
    rec.decline_reason = ev.declined().reason();
    rec.failure = ec::payment_declined;
    rec.step = checkout_step::failed;
    uncount(rec);
    break;
  case pb::checkout_event::kSeatsConfirmed: {
    if (auto err = expect(checkout_step::confirming_seats, "seats_confirmed"))
      return err;
    const auto& seats = ev.seats_confirmed().seats();
    if (!seats.empty()) {
      std::vector<std::pair<std::string, int64_t>> charged;
      for (const auto& s : seats)
        charged.emplace_back(s.seat_id(), s.price());
      auto fit = charges_of(rec.req.seats, charged);
      if (!fit)
        return corrupt("seats_confirmed: charges that do not fit order " + quoted(rec.id));
      rec.charged = std::move(*fit);
    }
    rec.step = checkout_step::capturing;
    break;
  }
  case pb::checkout_event::kSeatsRefused: {
    if (auto err = expect(checkout_step::confirming_seats, "seats_refused"))
      return err;
    auto why = ec_from_name(ev.seats_refused().reason());
    if (!why)
      return corrupt("seats_refused: unknown reason " + quoted(ev.seats_refused().reason()));
    rec.failure = *why;
    rec.step = checkout_step::voiding;
    break;
  }
  case pb::checkout_event::kCaptured:
    if (auto err = expect(checkout_step::capturing, "captured"))
      return err;
    rec.captured_at = at;
    rec.step = checkout_step::issuing;
    break;
  case pb::checkout_event::kTicketsIssued: {
    if (auto err = expect(checkout_step::issuing, "tickets_issued"))
      return err;
    std::vector<issued_ticket> tickets;
    for (const auto& t : ev.tickets_issued().tickets())
      tickets.push_back(issued_ticket{t.ticket_id(), t.seat_id(), t.version()});
    if (tickets != tickets_to_issue(rec.id))
      return corrupt("tickets_issued: not the tickets of order " + quoted(rec.id));
    rec.tickets = std::move(tickets);
    rec.step = checkout_step::completed;
    break;
  }
  case pb::checkout_event::kVoided:
    if (auto err = expect(checkout_step::voiding, "voided"))
      return err;
    rec.step = checkout_step::failed;
    uncount(rec);
    break;
  default: // started and no kind do not come here
    return corrupt("not a step of an order");
  }
  rec.updated_at = at;
  return {};
}

caf::error checkout_state::apply_started(const pb::checkout_event& ev) {
  auto expected_id = order_id_for(orders_.size());
  if (ev.order_id() != expected_id)
    return corrupt("started: order id " + quoted(ev.order_id()) + " is not " + quoted(expected_id));
  auto req = from_pb(ev.started());
  if (auto problem = problem_of(req, event_id_))
    return corrupt("started: " + *problem);
  if (by_key_.count(req.idempotency_key) > 0)
    return corrupt("started: idempotency key already used");
  order_rec rec;
  rec.id = ev.order_id();
  rec.req = std::move(req);
  rec.created_at = from_ms(ev.at_ms());
  rec.updated_at = rec.created_at;
  by_key_.emplace(rec.req.idempotency_key, rec.id);
  by_id_.emplace(rec.id, orders_.size());
  seats_by_account_[rec.req.account] += static_cast<uint32_t>(rec.req.seats.size());
  orders_.push_back(std::move(rec));
  return {};
}

void checkout_state::uncount(const order_rec& rec) {
  auto i = seats_by_account_.find(rec.req.account);
  i->second -= static_cast<uint32_t>(rec.req.seats.size());
  if (i->second == 0)
    seats_by_account_.erase(i);
}

// -- queries ------------------------------------------------------------------

uint32_t checkout_state::seats_of(std::string_view account) const {
  auto i = seats_by_account_.find(account);
  return i == seats_by_account_.end() ? 0 : i->second;
}

checkout_action checkout_state::next_action(std::string_view order_id) const {
  const auto* rec = find_rec(order_id);
  if (rec == nullptr)
    return checkout_action::none;
  switch (rec->step) {
  case checkout_step::authorizing:
    return checkout_action::authorize;
  case checkout_step::confirming_seats:
    return checkout_action::confirm_seats;
  case checkout_step::capturing:
    return checkout_action::capture;
  case checkout_step::issuing:
    return checkout_action::issue_tickets;
  case checkout_step::voiding:
    return checkout_action::void_payment;
  case checkout_step::completed:
  case checkout_step::failed:
    break;
  }
  return checkout_action::none;
}

std::vector<std::pair<std::string, checkout_action>> checkout_state::pending() const {
  std::vector<std::pair<std::string, checkout_action>> result;
  for (const auto& rec : orders_)
    if (auto action = next_action(rec.id); action != checkout_action::none)
      result.emplace_back(rec.id, action);
  return result;
}

std::optional<order_view> checkout_state::find(std::string_view order_id) const {
  if (const auto* rec = find_rec(order_id))
    return view(*rec);
  return std::nullopt;
}

std::optional<order_view> checkout_state::find_for(std::string_view order_id,
                                                   std::string_view account) const {
  if (const auto* rec = find_rec(order_id); rec != nullptr && rec->req.account == account)
    return view(*rec);
  return std::nullopt;
}

std::optional<std::string> checkout_state::order_for_key(std::string_view idempotency_key) const {
  if (auto i = by_key_.find(idempotency_key); i != by_key_.end())
    return i->second;
  return std::nullopt;
}

std::optional<payment_request> checkout_state::payment_for(std::string_view order_id) const {
  const auto* rec = find_rec(order_id);
  if (rec == nullptr)
    return std::nullopt;
  return payment_request{event_id_ + "/" + rec->id, rec->req.payment_method, rec->req.total,
                         rec->req.currency};
}

std::vector<issued_ticket> checkout_state::tickets_to_issue(std::string_view order_id) const {
  std::vector<issued_ticket> result;
  const auto* rec = find_rec(order_id);
  if (rec == nullptr)
    return result;
  for (size_t i = 0; i < rec->req.seats.size(); ++i)
    result.push_back(
        issued_ticket{rec->id + "-" + std::to_string(i + 1), rec->req.seats[i].first, 1});
  return result;
}

// -- helpers ------------------------------------------------------------------

const checkout_state::order_rec* checkout_state::find_rec(std::string_view order_id) const {
  if (auto i = by_id_.find(order_id); i != by_id_.end())
    return &orders_[i->second];
  return nullptr;
}

caf::expected<const checkout_state::order_rec*> checkout_state::in_step(std::string_view order_id,
                                                                        checkout_step step) const {
  const auto* rec = find_rec(order_id);
  if (rec == nullptr)
    return fail(ec::not_found, "no order " + quoted(order_id));
  if (rec->step != step)
    return fail(ec::invalid_argument, "order " + quoted(order_id) + " is " +
                                          std::string{to_string(rec->step)} + ", not " +
                                          std::string{to_string(step)});
  return rec;
}

pb::checkout_event checkout_state::next_event(std::string_view order_id, time_point now) const {
  auto ev = event_sourced::next_event(now);
  ev.set_order_id(std::string{order_id});
  return ev;
}

order_view checkout_state::view(const order_rec& rec) const {
  order_view result;
  result.order_id = rec.id;
  result.account = rec.req.account;
  result.event_id = rec.req.event_id;
  result.hold_id = rec.req.hold_id;
  result.sections = rec.req.sections;
  result.seats = rec.req.seats;
  result.total = rec.req.total;
  result.locked_total = rec.req.total;
  if (!rec.charged.empty()) {
    result.total = 0;
    for (size_t i = 0; i < rec.charged.size(); ++i) {
      result.seats[i].second = rec.charged[i];
      result.total += rec.charged[i];
    }
  }
  result.currency = rec.req.currency;
  result.step = rec.step;
  result.payment_id = rec.payment_id;
  result.tickets = rec.tickets;
  result.failure = rec.step == checkout_step::failed ? rec.failure : ec::none;
  result.decline_reason = rec.decline_reason;
  result.created_at = rec.created_at;
  result.captured_at = rec.captured_at;
  result.updated_at = rec.updated_at;
  return result;
}

} // namespace seatgrab::domain
