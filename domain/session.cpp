#include "domain/session.hpp"

#include "domain/detail.hpp"
#include "messages/ec.hpp"

#include <algorithm>

namespace seatgrab::domain {

using namespace detail;

session_state::session_state(std::string account) : account_(std::move(account)) {
  // nop
}

// -- operations ---------------------------------------------------------------

caf::expected<std::optional<pb::session_event>> session_state::queued(std::string_view event_id,
                                                                      uint64_t ticket,
                                                                      std::string_view device,
                                                                      time_point now) {
  if (!well_formed(event_id) || !well_formed(device) || ticket == 0)
    return fail(ec::invalid_argument, "queued: malformed event, device or ticket");
  if (auto i = places_.find(event_id);
      i != places_.end() && i->second.first == ticket && i->second.second == device)
    return std::optional<pb::session_event>{};
  auto ev = next_event(now);
  auto& x = *ev.mutable_queued();
  x.set_event_id(std::string{event_id});
  x.set_ticket(ticket);
  x.set_device(std::string{device});
  auto committed = commit(std::move(ev));
  if (!committed)
    return committed.error();
  return std::optional<pb::session_event>{std::move(*committed)};
}

std::vector<std::string> session_hold::sections() const {
  std::vector<std::string> result;
  for (const auto& s : seats)
    if (std::find(result.begin(), result.end(), s.section) == result.end())
      result.push_back(s.section);
  return result;
}

std::string session_state::hold_id_prefix() const {
  return account_ + "-h" + std::to_string(holds_made_ + 1) + "-";
}

namespace {

bool has_prefix(std::string_view id, std::string_view prefix) {
  return id.size() > prefix.size() && id.substr(0, prefix.size()) == prefix && well_formed(id);
}

} // namespace

caf::expected<pb::session_event> session_state::held(session_hold hold, time_point now) {
  if (!has_prefix(hold.hold_id, hold_id_prefix()))
    return fail(ec::invalid_argument, "held: hold id " + quoted(hold.hold_id) +
                                          " does not extend " + quoted(hold_id_prefix()));
  if (!well_formed(hold.event_id) || hold.seats.empty())
    return fail(ec::invalid_argument, "held: no event or seats");
  if (!hold.key.empty() && keys_.count(hold.key) > 0)
    return fail(ec::invalid_argument, "held: idempotency key used before");
  auto ev = next_event(now);
  auto& x = *ev.mutable_held();
  x.set_hold_id(hold.hold_id);
  x.set_event_id(hold.event_id);
  for (const auto& s : hold.seats) {
    auto& y = *x.add_seats();
    y.set_seat_id(s.seat);
    y.set_price(s.price);
    y.set_section(s.section);
  }
  x.set_expires_at_ms(to_ms(hold.expires_at));
  x.set_key(hold.key);
  return commit(std::move(ev));
}

caf::expected<pb::session_event> session_state::hold_ended(std::string_view hold_id,
                                                           std::string_view reason,
                                                           std::string_view order_id,
                                                           time_point now) {
  if (holds_.count(hold_id) == 0)
    return fail(ec::hold_not_found, std::string{hold_id});
  if (reason.empty() || (reason == "ordered" && !well_formed(order_id)))
    return fail(ec::invalid_argument, "hold_ended: no reason, or an order without id");
  auto ev = next_event(now);
  auto& x = *ev.mutable_hold_ended();
  x.set_hold_id(std::string{hold_id});
  x.set_reason(std::string{reason});
  x.set_order_id(std::string{order_id});
  return commit(std::move(ev));
}

void session_state::forget_expired(time_point cutoff) {
  for (auto i = holds_.begin(); i != holds_.end();)
    if (i->second.expires_at < cutoff)
      i = holds_.erase(i);
    else
      ++i;
}

// -- event sourcing -----------------------------------------------------------

std::span<const session_state::kind_handler> session_state::handlers() {
  using ev_t = pb::session_event;
  static constexpr kind_handler table[] = {
      {ev_t::kQueued,
       [](session_state& st, const ev_t& ev) { return st.apply_queued(ev.queued()); }},
      {ev_t::kHeld, [](session_state& st, const ev_t& ev) { return st.apply_held(ev.held()); }},
      {ev_t::kHoldEnded,
       [](session_state& st, const ev_t& ev) {
         return st.apply_hold_ended(ev.hold_ended(), from_ms(ev.at_ms()));
       }},
  };
  return table;
}

caf::error session_state::apply_queued(const pb::session_queued& x) {
  if (!well_formed(x.event_id()) || !well_formed(x.device()) || x.ticket() == 0)
    return corrupt("queued: malformed");
  places_[x.event_id()] = {x.ticket(), x.device()};
  return {};
}

caf::error session_state::apply_held(const pb::session_held& x) {
  if (!has_prefix(x.hold_id(), hold_id_prefix()) || x.seats().empty() ||
      (!x.key().empty() && keys_.count(x.key()) > 0))
    return corrupt("held: hold " + quoted(x.hold_id()) + " does not fit");
  session_hold h;
  h.hold_id = x.hold_id();
  h.event_id = x.event_id();
  for (const auto& s : x.seats())
    h.seats.push_back(session_seat{s.section(), s.seat_id(), s.price()});
  h.expires_at = from_ms(x.expires_at_ms());
  h.key = x.key();
  if (!h.key.empty()) {
    keys_.emplace(h.key, h.hold_id);
    key_order_.push_back(h.key);
    if (key_order_.size() > max_keys) { // replay forgets the same ones: it is in journal order
      keys_.erase(key_order_.front());
      key_order_.pop_front();
    }
  }
  holds_.emplace(h.hold_id, std::move(h));
  ++holds_made_;
  return {};
}

caf::error session_state::apply_hold_ended(const pb::session_hold_ended& x, time_point at) {
  auto i = holds_.find(x.hold_id());
  // A hold forgotten after its expiry may still end in the journal (replay re-adds it).
  if (i == holds_.end())
    return corrupt("hold_ended: unknown hold " + quoted(x.hold_id()));
  if (x.reason() == "ordered") {
    if (!well_formed(x.order_id()))
      return corrupt("hold_ended: ordered without an order id");
    orders_.push_back(session_order{i->second.event_id, x.order_id(), x.hold_id(), at});
  }
  holds_.erase(i);
  return {};
}

// -- queries ------------------------------------------------------------------

std::optional<std::pair<uint64_t, std::string>>
session_state::queue_place(std::string_view event_id) const {
  if (auto i = places_.find(event_id); i != places_.end())
    return i->second;
  return std::nullopt;
}

std::optional<session_hold> session_state::find_hold(std::string_view hold_id) const {
  if (auto i = holds_.find(hold_id); i != holds_.end())
    return i->second;
  return std::nullopt;
}

std::optional<std::string> session_state::hold_for_key(std::string_view key) const {
  if (auto i = keys_.find(key); i != keys_.end())
    return i->second;
  return std::nullopt;
}

std::optional<session_order> session_state::order_of_hold(std::string_view hold_id) const {
  for (const auto& o : orders_)
    if (o.hold_id == hold_id)
      return o;
  return std::nullopt;
}

std::vector<session_hold> session_state::live_holds(time_point now) const {
  std::vector<session_hold> result;
  for (const auto& [id, h] : holds_)
    if (now < h.expires_at)
      result.push_back(h);
  return result;
}

std::optional<session_hold>
session_state::unrecorded_hold(const std::vector<pb::hold_note>& notes) const {
  auto prefix = hold_id_prefix();
  std::map<std::string, std::map<std::string, const pb::hold_note*>, std::less<>> by_hold;
  for (const auto& n : notes)
    if (has_prefix(n.hold_id(), prefix) && holds_.count(n.hold_id()) == 0)
      by_hold[n.hold_id()][n.section()] = &n;
  for (const auto& [hold_id, parts] : by_hold) {
    const auto& first = *parts.begin()->second;
    if (first.sections().empty() || static_cast<size_t>(first.sections_size()) != parts.size())
      continue;
    session_hold h{hold_id, first.event_id(), {}, from_ms(first.expires_at_ms()), first.key()};
    bool whole = true;
    for (const auto& section : first.sections()) {
      auto part = parts.find(section);
      if (part == parts.end() || part->second->event_id() != h.event_id) {
        whole = false;
        break;
      }
      for (const auto& s : part->second->seats())
        h.seats.push_back(session_seat{section, s.seat_id(), s.price()});
      h.expires_at = std::min(h.expires_at, from_ms(part->second->expires_at_ms()));
    }
    if (whole && !h.seats.empty() && (h.key.empty() || keys_.count(h.key) == 0))
      return h;
  }
  return std::nullopt;
}

uint32_t session_state::held_seats(std::string_view event_id, time_point now) const {
  uint32_t n = 0;
  for (const auto& [id, h] : holds_)
    if (h.event_id == event_id && now < h.expires_at)
      n += static_cast<uint32_t>(h.seats.size());
  return n;
}

} // namespace seatgrab::domain
