#include "domain/section_state.hpp"

// The section's journal side: applying events (live and on replay) and its snapshot. The
// operations and queries are in section_state.cpp.

#include "domain/detail.hpp"
#include "messages/ec.hpp"

#include <algorithm>
#include <map>

namespace seatgrab::domain {

using namespace detail;

// -- event application --------------------------------------------------------

std::span<const section_state::kind_handler> section_state::handlers() {
  using ev_t = pb::section_event;
  using st_t = section_state;
  static constexpr kind_handler table[] = {
      {ev_t::kHeld,
       [](st_t& st, const ev_t& ev) { return st.apply_held(ev.held(), from_ms(ev.at_ms())); }},
      {ev_t::kExtended, [](st_t& st, const ev_t& ev) { return st.apply_extended(ev.extended()); }},
      {ev_t::kReleased,
       [](st_t& st, const ev_t& ev) {
         return st.apply_freed(ev.released().hold_id(), std::nullopt);
       }},
      {ev_t::kExpired,
       [](st_t& st, const ev_t& ev) {
         return st.apply_freed(ev.expired().hold_id(), ev.expired().generation());
       }},
      {ev_t::kSold, [](st_t& st, const ev_t& ev) { return st.apply_sold(ev.sold()); }},
      {ev_t::kRefunded, [](st_t& st, const ev_t& ev) { return st.apply_refunded(ev.refunded()); }},
      {ev_t::kClosed, [](st_t& st, const ev_t&) { return st.apply_closed(); }},
      {ev_t::kPrice, [](st_t& st, const ev_t& ev) { return st.apply_price(ev.price()); }},
  };
  return table;
}

caf::error section_state::apply_held(const pb::seats_held& ev, time_point at) {
  if (!well_formed(ev.hold_id()) || !well_formed(ev.holder()))
    return corrupt("held: malformed hold id or holder");
  if (hold_ids_.count(ev.hold_id()) > 0)
    return corrupt("held: hold " + quoted(ev.hold_id()) + " is already live");
  if (ev.seat_ids_size() == 0 || ev.seat_ids_size() != ev.prices_size())
    return corrupt("held: no seats or mismatched prices");
  std::vector<uint32_t> indices;
  for (const auto& id : ev.seat_ids()) {
    auto idx = index_of(id);
    if (idx == npos || seats_[idx].status != seat_status::free ||
        std::find(indices.begin(), indices.end(), idx) != indices.end())
      return corrupt("held: seat " + quoted(id) + " is unknown, repeated or not free");
    indices.push_back(idx);
  }
  auto slot = new_hold_slot();
  auto& rec = holds_[slot];
  rec.id = ev.hold_id();
  rec.holder = ev.holder();
  rec.created_at = at;
  rec.expires_at = from_ms(ev.expires_at_ms());
  rec.generation = 1;
  rec.seats = indices;
  for (size_t i = 0; i < indices.size(); ++i)
    seats_[indices[i]] = seat_slot{ev.prices(static_cast<int>(i)), slot, seat_status::held};
  hold_ids_.emplace(rec.id, slot);
  counters_.holds += 1;
  counters_.held_seats += indices.size();
  counters_.free_now -= static_cast<uint32_t>(indices.size());
  counters_.held_now += static_cast<uint32_t>(indices.size());
  return {};
}

caf::error section_state::apply_extended(const pb::hold_extended& ev) {
  auto it = hold_ids_.find(ev.hold_id());
  if (it == hold_ids_.end())
    return corrupt("extended: no hold " + quoted(ev.hold_id()));
  auto& rec = holds_[it->second];
  if (ev.generation() != rec.generation + 1)
    return corrupt("extended: generation " + std::to_string(ev.generation()) + " does not follow " +
                   std::to_string(rec.generation));
  rec.generation = ev.generation();
  rec.expires_at = from_ms(ev.expires_at_ms());
  counters_.extensions += 1;
  return {};
}

caf::error section_state::apply_freed(std::string_view hold_id,
                                      std::optional<uint64_t> generation) {
  auto it = hold_ids_.find(hold_id);
  if (it == hold_ids_.end())
    return corrupt("released/expired: no hold " + quoted(hold_id));
  if (generation && *generation != holds_[it->second].generation)
    return corrupt("expired: stale generation of hold " + quoted(hold_id));
  auto slot = it->second;
  for (auto idx : holds_[slot].seats)
    seats_[idx] = seat_slot{};
  auto n = static_cast<uint32_t>(holds_[slot].seats.size());
  counters_.free_now += n;
  counters_.held_now -= n;
  if (generation)
    counters_.expiries += 1;
  else
    counters_.releases += 1;
  hold_ids_.erase(it);
  free_hold(slot);
  return {};
}

caf::error section_state::apply_sold(const pb::hold_sold& ev) {
  auto it = hold_ids_.find(ev.hold_id());
  if (it == hold_ids_.end())
    return corrupt("sold: no hold " + quoted(ev.hold_id()));
  if (!well_formed(ev.order_id()))
    return corrupt("sold: malformed order id");
  auto slot = it->second;
  const auto& seats = holds_[slot].seats;
  if (ev.prices_size() != 0 && static_cast<size_t>(ev.prices_size()) != seats.size())
    return corrupt("sold: " + std::to_string(ev.prices_size()) + " charges for " +
                   std::to_string(seats.size()) + " seats");
  for (size_t i = 0; i < seats.size() && ev.prices_size() != 0; ++i)
    if (auto charged = ev.prices(static_cast<int>(i));
        charged < 0 || charged > seats_[seats[i]].price)
      return corrupt("sold: seat " + quoted(cfg_.seats[seats[i]].id) + " charged " +
                     std::to_string(charged) + " above its locked price " +
                     std::to_string(seats_[seats[i]].price));
  auto order = new_order_slot(ev.order_id());
  for (size_t i = 0; i < seats.size(); ++i) {
    auto idx = seats[i];
    seats_[idx].status = seat_status::sold; // the charge (else the locked price) is what was paid
    seats_[idx].ref = order;
    if (ev.prices_size() != 0)
      seats_[idx].price = ev.prices(static_cast<int>(i));
  }
  auto n = static_cast<uint32_t>(holds_[slot].seats.size());
  orders_[order].seats = n;
  counters_.sales += 1;
  counters_.sold_seats += n;
  counters_.held_now -= n;
  counters_.sold_now += n;
  hold_ids_.erase(it);
  free_hold(slot);
  return {};
}

caf::error section_state::apply_refunded(const pb::seat_refunded& ev) {
  auto idx = index_of(ev.seat_id());
  if (idx == npos || seats_[idx].status != seat_status::sold ||
      orders_[seats_[idx].ref].id != ev.order_id())
    return corrupt("refunded: seat " + quoted(ev.seat_id()) + " is not sold to " +
                   quoted(ev.order_id()));
  auto order = seats_[idx].ref;
  if (--orders_[order].seats == 0) {
    orders_[order].id.clear();
    free_orders_.push_back(order);
  }
  seats_[idx] = seat_slot{};
  counters_.refunds += 1;
  counters_.sold_now -= 1;
  counters_.free_now += 1;
  return {};
}

caf::error section_state::apply_price(const pb::price_set& ev) {
  if (ev.price_version() <= price_version_ || ev.price() <= 0)
    return corrupt("price: version " + std::to_string(ev.price_version()) + " after " +
                   std::to_string(price_version_) + ", price " + std::to_string(ev.price()));
  price_ = ev.price();
  price_version_ = ev.price_version();
  price_history_.emplace_back(ev.price_version(), ev.price());
  if (price_history_.size() > max_price_history) {
    price_history_.erase(price_history_.begin());
    history_truncated_ = true;
  }
  return {};
}

caf::error section_state::apply_closed() {
  if (closed_)
    return corrupt("closed: the section is closed already");
  closed_ = true;
  return {};
}

// -- snapshot -----------------------------------------------------------------

pb::section_snapshot section_state::snapshot() const {
  pb::section_snapshot snap;
  snap.set_event_id(cfg_.event_id);
  snap.set_section_id(cfg_.section_id);
  snap.set_version(version());
  snap.set_closed(closed_);
  snap.set_priced(price_.has_value());
  snap.set_price(price_.value_or(0));
  snap.set_price_version(price_version_);
  for (const auto& [v, price] : price_history_) {
    snap.add_history_versions(v);
    snap.add_history_prices(price);
  }
  snap.set_history_truncated(history_truncated_);
  std::string status(seats_.size(), '\0');
  // Orders are numbered by first appearance in seat order, so equal states give equal bytes.
  std::map<std::string_view, uint32_t> order_numbers;
  for (size_t i = 0; i < seats_.size(); ++i) {
    const auto& slot = seats_[i];
    status[i] = static_cast<char>(slot.status);
    if (slot.status != seat_status::sold)
      continue;
    const auto& id = orders_[slot.ref].id;
    auto [it, added] = order_numbers.emplace(id, static_cast<uint32_t>(snap.orders_size()));
    if (added)
      snap.add_orders(id);
    snap.add_sold_order(it->second);
    snap.add_sold_price(slot.price);
  }
  snap.set_seat_status(std::move(status));
  for (const auto& [id, slot] : hold_ids_) {
    const auto& rec = holds_[slot];
    auto* h = snap.add_holds();
    h->set_hold_id(rec.id);
    h->set_holder(rec.holder);
    for (auto idx : rec.seats) {
      h->add_seats(idx);
      h->add_prices(seats_[idx].price);
    }
    h->set_created_at_ms(to_ms(rec.created_at));
    h->set_expires_at_ms(to_ms(rec.expires_at));
    h->set_generation(rec.generation);
  }
  auto* c = snap.mutable_counters();
  c->set_holds(counters_.holds);
  c->set_held_seats(counters_.held_seats);
  c->set_extensions(counters_.extensions);
  c->set_releases(counters_.releases);
  c->set_expiries(counters_.expiries);
  c->set_sales(counters_.sales);
  c->set_sold_seats(counters_.sold_seats);
  c->set_refunds(counters_.refunds);
  return snap;
}

} // namespace seatgrab::domain
