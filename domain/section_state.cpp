#include "domain/section_state.hpp"

#include "domain/detail.hpp"
#include "messages/ec.hpp"

#include <algorithm>
#include <set>
#include <tuple>

namespace seatgrab::domain {

namespace {

using namespace detail;

} // namespace

caf::error validate(const section_config& cfg) {
  auto bad = [&](std::string what) {
    return fail(ec::invalid_input, "section " + quoted(cfg.section_id) + ": " + std::move(what));
  };
  if (cfg.seats.empty())
    return bad("has no seats");
  if (cfg.seats.size() >= UINT32_MAX)
    return bad("has too many seats");
  if (cfg.hold_ttl <= std::chrono::milliseconds::zero())
    return bad("hold_ttl must be positive");
  if (cfg.max_hold_total < cfg.hold_ttl)
    return bad("max_hold_total must be at least hold_ttl");
  if (cfg.max_seats_per_hold == 0)
    return bad("max_seats_per_hold must be at least 1");
  std::set<std::string_view> ids;
  std::set<std::string_view> finished_rows;
  for (size_t i = 0; i < cfg.seats.size(); ++i) {
    const auto& s = cfg.seats[i];
    if (!well_formed(s.id))
      return bad("seat " + std::to_string(i) + ": id must be 1..255 bytes without NUL");
    if (!ids.insert(s.id).second)
      return bad("seat id " + quoted(s.id) + " appears twice");
    if (s.price < 0)
      return bad("seat " + quoted(s.id) + " has a negative price");
    // Adjacency is "consecutive within a row", so a row must not be split.
    if (i > 0 && cfg.seats[i - 1].row != s.row) {
      finished_rows.insert(cfg.seats[i - 1].row);
      if (finished_rows.count(s.row) > 0)
        return bad("row " + quoted(s.row) + " is not contiguous (at seat " + quoted(s.id) + ")");
    }
  }
  return {};
}

std::string_view to_string(seat_status x) noexcept {
  switch (x) {
  case seat_status::free:
    return "free";
  case seat_status::held:
    return "held";
  case seat_status::sold:
    return "sold";
  }
  return "unknown";
}

// -- construction -------------------------------------------------------------

section_state::section_state(section_config cfg) : cfg_(std::move(cfg)) {
  auto n = static_cast<uint32_t>(cfg_.seats.size());
  seats_.resize(n);
  by_id_.resize(n);
  for (uint32_t i = 0; i < n; ++i)
    by_id_[i] = i;
  std::sort(by_id_.begin(), by_id_.end(),
            [this](uint32_t x, uint32_t y) { return cfg_.seats[x].id < cfg_.seats[y].id; });
  for (uint32_t i = 0; i < n; ++i)
    if (i == 0 || cfg_.seats[i].row != cfg_.seats[i - 1].row)
      rows_.emplace_back(i, i + 1);
    else
      rows_.back().second = i + 1;
  counters_.free_now = n;
}

caf::expected<section_state> section_state::make(section_config cfg) {
  if (auto err = validate(cfg))
    return err;
  return section_state{std::move(cfg)};
}

caf::expected<section_state> section_state::from_snapshot(section_config cfg,
                                                          const pb::section_snapshot& snap) {
  auto made = make(std::move(cfg));
  if (!made)
    return made.error();
  auto& st = *made;
  auto bad = [&](std::string what) {
    return fail(ec::storage_corruption, "snapshot of section " + quoted(st.cfg_.section_id) +
                                            " at version " + std::to_string(snap.version()) + ": " +
                                            std::move(what));
  };
  if (snap.event_id() != st.cfg_.event_id || snap.section_id() != st.cfg_.section_id)
    return bad("belongs to " + quoted(snap.event_id()) + "/" + quoted(snap.section_id()));
  auto n = st.seats_.size();
  if (snap.seat_status().size() != n)
    return bad("has " + std::to_string(snap.seat_status().size()) + " seats, config has " +
               std::to_string(n));
  // Sold seats: parallel arrays in seat order.
  if (snap.sold_order_size() != snap.sold_price_size())
    return bad("sold_order and sold_price differ in length");
  std::vector<uint32_t> order_slot(static_cast<size_t>(snap.orders_size()));
  for (int i = 0; i < snap.orders_size(); ++i) {
    if (!well_formed(snap.orders(i)))
      return bad("malformed order id");
    order_slot[static_cast<size_t>(i)] = st.new_order_slot(snap.orders(i));
  }
  int next_sold = 0;
  uint32_t held_seats = 0;
  for (size_t i = 0; i < n; ++i) {
    auto& slot = st.seats_[i];
    switch (static_cast<uint8_t>(snap.seat_status()[i])) {
    case static_cast<uint8_t>(seat_status::free):
      break;
    case static_cast<uint8_t>(seat_status::held):
      ++held_seats;
      break;
    case static_cast<uint8_t>(seat_status::sold): {
      if (next_sold >= snap.sold_order_size())
        return bad("more sold seats than sold_order entries");
      auto order = snap.sold_order(next_sold);
      if (order >= order_slot.size())
        return bad("sold seat refers to order " + std::to_string(order) + " of " +
                   std::to_string(order_slot.size()));
      slot.status = seat_status::sold;
      slot.ref = order_slot[order];
      slot.price = snap.sold_price(next_sold);
      ++st.orders_[slot.ref].seats;
      ++next_sold;
      break;
    }
    default:
      return bad("seat " + std::to_string(i) + " has an invalid status byte");
    }
  }
  if (next_sold != snap.sold_order_size())
    return bad("fewer sold seats than sold_order entries");
  for (const auto& o : st.orders_)
    if (o.seats == 0)
      return bad("order " + quoted(o.id) + " has no sold seat");
  // Holds must cover exactly the seats marked held.
  uint32_t covered = 0;
  for (const auto& h : snap.holds()) {
    if (!well_formed(h.hold_id()) || !well_formed(h.holder()))
      return bad("malformed hold id or holder");
    if (st.hold_ids_.count(h.hold_id()) > 0)
      return bad("hold " + quoted(h.hold_id()) + " appears twice");
    if (h.seats_size() == 0 || h.seats_size() != h.prices_size())
      return bad("hold " + quoted(h.hold_id()) + " has no seats or mismatched prices");
    if (h.generation() == 0)
      return bad("hold " + quoted(h.hold_id()) + " has generation 0");
    auto slot = st.new_hold_slot();
    auto& rec = st.holds_[slot];
    rec.id = h.hold_id();
    rec.holder = h.holder();
    rec.created_at = from_ms(h.created_at_ms());
    rec.expires_at = from_ms(h.expires_at_ms());
    rec.generation = h.generation();
    st.hold_ids_.emplace(rec.id, slot);
    for (int j = 0; j < h.seats_size(); ++j) {
      auto idx = h.seats(j);
      if (idx >= n ||
          static_cast<uint8_t>(snap.seat_status()[idx]) !=
              static_cast<uint8_t>(seat_status::held) ||
          st.seats_[idx].status == seat_status::held)
        return bad("hold " + quoted(h.hold_id()) + " claims seat " + std::to_string(idx) +
                   " which is not held or already claimed");
      st.seats_[idx] = seat_slot{h.prices(j), slot, seat_status::held};
      rec.seats.push_back(idx);
      ++covered;
    }
  }
  if (covered != held_seats)
    return bad("held seats without a hold");
  const auto& c = snap.counters();
  st.counters_.holds = c.holds();
  st.counters_.held_seats = c.held_seats();
  st.counters_.extensions = c.extensions();
  st.counters_.releases = c.releases();
  st.counters_.expiries = c.expiries();
  st.counters_.sales = c.sales();
  st.counters_.sold_seats = c.sold_seats();
  st.counters_.refunds = c.refunds();
  st.counters_.held_now = held_seats;
  st.counters_.sold_now = static_cast<uint32_t>(snap.sold_order_size());
  st.counters_.free_now = static_cast<uint32_t>(n) - held_seats - st.counters_.sold_now;
  st.closed_ = snap.closed();
  if (snap.history_versions_size() != snap.history_prices_size() ||
      snap.history_versions_size() > static_cast<int>(max_price_history) ||
      (snap.priced() &&
       (snap.price() <= 0 || snap.history_versions_size() == 0 ||
        snap.history_versions(snap.history_versions_size() - 1) != snap.price_version())))
    return bad("price history does not fit its price");
  if (snap.priced())
    st.price_ = snap.price();
  st.price_version_ = snap.price_version();
  for (int i = 0; i < snap.history_versions_size(); ++i)
    st.price_history_.emplace_back(snap.history_versions(i), snap.history_prices(i));
  st.history_truncated_ = snap.history_truncated();
  st.restore_version(snap.version());
  return made;
}

// -- operations ---------------------------------------------------------------

caf::expected<hold_outcome> section_state::hold(std::string hold_id, std::string holder,
                                                std::vector<std::string> seat_ids, time_point now,
                                                uint64_t price_cap) {
  if (!well_formed(hold_id) || !well_formed(holder))
    return fail(ec::invalid_argument, "hold id and holder must be 1..255 bytes without NUL");
  if (const auto* h = live_hold(hold_id)) {
    auto requested = seat_ids;
    auto existing = seat_ids_of(*h);
    std::sort(requested.begin(), requested.end());
    std::sort(existing.begin(), existing.end());
    if (h->holder != holder || requested != existing)
      return fail(ec::invalid_argument, "hold id " + quoted(hold_id) + " is in use");
    return retry(*h, now);
  }
  if (closed_)
    return fail(ec::sale_not_open, "the sale is closed in section " + quoted(cfg_.section_id));
  if (seat_ids.empty())
    return fail(ec::invalid_argument, "a hold needs at least one seat");
  if (seat_ids.size() > cfg_.max_seats_per_hold)
    return fail(ec::too_many_seats, std::to_string(seat_ids.size()) + " seats requested, at most " +
                                        std::to_string(cfg_.max_seats_per_hold) + " per hold");
  std::vector<uint32_t> indices;
  indices.reserve(seat_ids.size());
  for (const auto& id : seat_ids) {
    auto idx = index_of(id);
    if (idx == npos)
      return fail(ec::unknown_seat,
                  "no seat " + quoted(id) + " in section " + quoted(cfg_.section_id));
    if (std::find(indices.begin(), indices.end(), idx) != indices.end())
      return fail(ec::duplicate_seat, "seat " + quoted(id) + " requested twice");
    indices.push_back(idx);
  }
  // The context is only the list, so the edge can return it as the 409's "seats".
  std::string taken;
  for (auto idx : indices)
    if (seats_[idx].status != seat_status::free) {
      if (!taken.empty())
        taken += ',';
      taken += cfg_.seats[idx].id;
    }
  if (!taken.empty())
    return fail(ec::seat_taken, std::move(taken));
  return place(std::move(hold_id), std::move(holder), indices, now, price_cap);
}

caf::expected<hold_outcome> section_state::hold_best(std::string hold_id, std::string holder,
                                                     uint32_t quantity, time_point now,
                                                     uint64_t price_cap) {
  if (!well_formed(hold_id) || !well_formed(holder))
    return fail(ec::invalid_argument, "hold id and holder must be 1..255 bytes without NUL");
  if (const auto* h = live_hold(hold_id)) {
    if (h->holder != holder || h->seats.size() != quantity)
      return fail(ec::invalid_argument, "hold id " + quoted(hold_id) + " is in use");
    return retry(*h, now);
  }
  if (closed_)
    return fail(ec::sale_not_open, "the sale is closed in section " + quoted(cfg_.section_id));
  if (quantity == 0)
    return fail(ec::invalid_argument, "quantity must be at least 1");
  if (quantity > cfg_.max_seats_per_hold)
    return fail(ec::too_many_seats, std::to_string(quantity) + " seats requested, at most " +
                                        std::to_string(cfg_.max_seats_per_hold) + " per hold");
  auto start = best_block(quantity);
  if (start == npos)
    return fail(ec::no_seats_available, "no " + std::to_string(quantity) +
                                            " adjacent free seats in section " +
                                            quoted(cfg_.section_id));
  std::vector<uint32_t> indices(quantity);
  for (uint32_t i = 0; i < quantity; ++i)
    indices[i] = start + i;
  return place(std::move(hold_id), std::move(holder), indices, now, price_cap);
}

caf::expected<hold_outcome> section_state::extend(std::string_view hold_id, std::string_view holder,
                                                  time_point now) {
  auto found = owned_hold(hold_id, holder);
  if (!found)
    return found.error();
  const auto* h = *found;
  if (now >= h->expires_at)
    return fail(ec::hold_expired, "hold " + quoted(hold_id) + " has expired");
  auto expires_at = std::min(now + cfg_.hold_ttl, h->created_at + cfg_.max_hold_total);
  if (expires_at <= h->expires_at)
    return fail(ec::extension_limit, "hold " + quoted(hold_id) + " reached its maximum time");
  auto ev = next_event(now);
  auto* x = ev.mutable_extended();
  x->set_hold_id(std::string{hold_id});
  x->set_generation(h->generation + 1);
  x->set_expires_at_ms(to_ms(expires_at));
  if (auto err = apply(ev))
    return err;
  return hold_outcome{*find_hold(hold_id), std::move(ev)};
}

std::optional<pb::section_event> section_state::close(time_point now) {
  if (closed_)
    return std::nullopt;
  auto ev = next_event(now);
  ev.mutable_closed();
  if (auto err = apply(ev))
    return std::nullopt; // cannot fail: closing has no precondition
  return ev;
}

caf::expected<change> section_state::release(std::string_view hold_id, std::string_view holder,
                                             time_point now) {
  auto found = owned_hold(hold_id, holder);
  if (!found)
    return found.error();
  const auto* h = *found;
  change result{next_event(now), seat_ids_of(*h)};
  result.event.mutable_released()->set_hold_id(std::string{hold_id});
  if (auto err = apply(result.event))
    return err;
  return result;
}

std::optional<change> section_state::expire(std::string_view hold_id, uint64_t generation,
                                            time_point now) {
  const auto* h = live_hold(hold_id);
  if (h == nullptr || h->generation != generation || now < h->expires_at)
    return std::nullopt;
  change result{next_event(now), seat_ids_of(*h)};
  auto* x = result.event.mutable_expired();
  x->set_hold_id(std::string{hold_id});
  x->set_generation(generation);
  if (apply(result.event))
    return std::nullopt; // unreachable: the checks above are those of apply
  return result;
}

caf::expected<change> section_state::confirm(std::string_view hold_id, std::string_view holder,
                                             std::string order_id, time_point now) {
  if (!well_formed(order_id))
    return fail(ec::invalid_argument, "order id must be 1..255 bytes without NUL");
  auto found = owned_hold(hold_id, holder);
  if (!found)
    return found.error();
  const auto* h = *found;
  // The timer may lag behind: the deadline itself decides.
  if (now >= h->expires_at)
    return fail(ec::hold_expired, "hold " + quoted(hold_id) + " has expired");
  change result{next_event(now), seat_ids_of(*h)};
  auto* x = result.event.mutable_sold();
  x->set_hold_id(std::string{hold_id});
  x->set_order_id(std::move(order_id));
  // Guarantee 1 of dynamic pricing: a drop since the hold is passed on, a rise never.
  for (auto idx : h->seats)
    x->add_prices(std::min(seats_[idx].price, price_now(idx)));
  if (auto err = apply(result.event))
    return err;
  return result;
}

caf::expected<change> section_state::refund(std::string_view seat_id, std::string_view order_id,
                                            time_point now) {
  auto idx = index_of(seat_id);
  if (idx == npos)
    return fail(ec::unknown_seat,
                "no seat " + quoted(seat_id) + " in section " + quoted(cfg_.section_id));
  const auto& slot = seats_[idx];
  if (slot.status != seat_status::sold)
    return fail(ec::seat_not_sold, "seat " + quoted(seat_id) + " is not sold");
  if (orders_[slot.ref].id != order_id)
    return fail(ec::not_holder, "seat " + quoted(seat_id) + " belongs to another order");
  change result{next_event(now), {std::string{seat_id}}};
  auto* x = result.event.mutable_refunded();
  x->set_seat_id(std::string{seat_id});
  x->set_order_id(std::string{order_id});
  if (auto err = apply(result.event))
    return err;
  return result;
}

// -- queries ------------------------------------------------------------------

std::optional<seat_view> section_state::seat(std::string_view seat_id) const {
  auto idx = index_of(seat_id);
  if (idx == npos)
    return std::nullopt;
  return view(idx);
}

std::vector<seat_view> section_state::seats() const {
  std::vector<seat_view> result;
  result.reserve(seats_.size());
  for (uint32_t i = 0; i < seats_.size(); ++i)
    result.push_back(view(i));
  return result;
}

std::vector<seat_view> section_state::sold_to(std::string_view order_id) const {
  std::vector<seat_view> result;
  for (uint32_t i = 0; i < seats_.size(); ++i)
    if (seats_[i].status == seat_status::sold && orders_[seats_[i].ref].id == order_id)
      result.push_back(view(i));
  return result;
}

std::optional<hold_info> section_state::find_hold(std::string_view hold_id) const {
  if (const auto* h = live_hold(hold_id))
    return info(*h);
  return std::nullopt;
}

std::vector<hold_info> section_state::holds() const {
  std::vector<hold_info> result;
  result.reserve(hold_ids_.size());
  for (const auto& [id, slot] : hold_ids_)
    result.push_back(info(holds_[slot]));
  return result;
}

std::vector<hold_info> section_state::holds_past(time_point now) const {
  std::vector<hold_info> result;
  for (const auto& [id, slot] : hold_ids_)
    if (holds_[slot].expires_at <= now)
      result.push_back(info(holds_[slot]));
  return result;
}

std::optional<time_point> section_state::next_expiry() const {
  std::optional<time_point> result;
  for (const auto& [id, slot] : hold_ids_)
    if (!result || holds_[slot].expires_at < *result)
      result = holds_[slot].expires_at;
  return result;
}

// -- helpers ------------------------------------------------------------------

uint32_t section_state::index_of(std::string_view seat_id) const {
  auto it =
      std::lower_bound(by_id_.begin(), by_id_.end(), seat_id,
                       [this](uint32_t x, std::string_view id) { return cfg_.seats[x].id < id; });
  if (it == by_id_.end() || cfg_.seats[*it].id != seat_id)
    return npos;
  return *it;
}

const section_state::hold_rec* section_state::live_hold(std::string_view hold_id) const {
  auto it = hold_ids_.find(hold_id);
  return it == hold_ids_.end() ? nullptr : &holds_[it->second];
}

caf::expected<const section_state::hold_rec*>
section_state::owned_hold(std::string_view hold_id, std::string_view holder) const {
  const auto* h = live_hold(hold_id);
  if (h == nullptr)
    return fail(ec::hold_not_found, "no hold " + quoted(hold_id));
  if (h->holder != holder)
    return fail(ec::not_holder, "hold " + quoted(hold_id) + " belongs to another holder");
  return h;
}

hold_info section_state::info(const hold_rec& h) const {
  hold_info result{h.id, h.holder, {}, 0, h.created_at, h.expires_at, h.generation};
  for (auto idx : h.seats) {
    result.seats.push_back(held_seat{cfg_.seats[idx].id, seats_[idx].price});
    result.total += seats_[idx].price;
  }
  return result;
}

seat_view section_state::view(uint32_t index) const {
  const auto& slot = seats_[index];
  seat_view result{cfg_.seats[index].id, slot.status, slot.price, {}, {}, {}};
  switch (slot.status) {
  case seat_status::free:
    result.price = price_now(index);
    break;
  case seat_status::held:
    result.hold_id = holds_[slot.ref].id;
    result.holder = holds_[slot.ref].holder;
    break;
  case seat_status::sold:
    result.order_id = orders_[slot.ref].id;
    break;
  }
  return result;
}

std::vector<std::string> section_state::seat_ids_of(const hold_rec& h) const {
  std::vector<std::string> result;
  result.reserve(h.seats.size());
  for (auto idx : h.seats)
    result.push_back(cfg_.seats[idx].id);
  return result;
}

uint32_t section_state::best_block(uint32_t quantity) const {
  auto is_free = [this](uint32_t i) { return seats_[i].status == seat_status::free; };
  // Candidates compare by (leaves an orphan, total rank, position): smallest wins.
  std::tuple<bool, uint64_t, uint32_t> best{true, UINT64_MAX, npos};
  for (auto [begin, end] : rows_) {
    uint64_t rank = 0; // total rank of the free run of up to `quantity` seats ending at i
    uint32_t run = 0;
    for (uint32_t i = begin; i < end; ++i) {
      if (!is_free(i)) {
        run = 0;
        rank = 0;
        continue;
      }
      rank += cfg_.seats[i].rank;
      if (++run > quantity) {
        rank -= cfg_.seats[i - quantity].rank;
        run = quantity;
      }
      if (run < quantity)
        continue;
      auto first = i + 1 - quantity;
      auto last = i + 1;
      // A lone free seat between the block and a taken seat or the row's end is unsellable
      // to anyone who wants two or more.
      bool orphan_left =
          first > begin && is_free(first - 1) && (first - 1 == begin || !is_free(first - 2));
      bool orphan_right = last < end && is_free(last) && (last + 1 == end || !is_free(last + 1));
      std::tuple<bool, uint64_t, uint32_t> candidate{orphan_left || orphan_right, rank, first};
      if (candidate < best)
        best = candidate;
    }
  }
  return std::get<2>(best);
}

caf::expected<hold_outcome> section_state::retry(const hold_rec& h, time_point now) const {
  if (now >= h.expires_at)
    return fail(ec::hold_expired, "hold " + quoted(h.id) + " has expired");
  return hold_outcome{info(h), std::nullopt};
}

caf::expected<hold_outcome> section_state::place(std::string hold_id, std::string holder,
                                                 const std::vector<uint32_t>& seats, time_point now,
                                                 uint64_t price_cap) {
  auto ev = next_event(now);
  auto* x = ev.mutable_held();
  x->set_hold_id(hold_id);
  x->set_holder(std::move(holder));
  for (auto idx : seats) {
    x->add_seat_ids(cfg_.seats[idx].id);
    x->add_prices(std::min(price_now(idx), price_at(idx, price_cap)));
  }
  if (price_cap != no_price_cap)
    x->set_price_cap_version(price_cap);
  x->set_expires_at_ms(to_ms(now + cfg_.hold_ttl)); // validate: hold_ttl <= max_hold_total
  if (auto err = apply(ev))
    return err;
  return hold_outcome{*find_hold(hold_id), std::move(ev)};
}

caf::expected<std::optional<change>> section_state::set_price(uint64_t price_version, int64_t price,
                                                              time_point now) {
  if (price <= 0) // the engine's ladders bound it above (domain/pricing.hpp)
    return fail(ec::invalid_argument, "a price is positive");
  if (price_version <= price_version_)
    return std::optional<change>{};
  change result{next_event(now), {}};
  auto* x = result.event.mutable_price();
  x->set_price_version(price_version);
  x->set_price(price);
  if (auto err = apply(result.event))
    return err;
  return std::optional<change>{std::move(result)}; // no seat changed status: seat_ids empty
}

int64_t section_state::price_now(uint32_t index) const noexcept {
  return price_ ? *price_ : cfg_.seats[index].price;
}

int64_t section_state::price_at(uint32_t index, uint64_t version) const noexcept {
  if (version >= price_version_)
    return price_now(index);
  auto base = cfg_.seats[index].price;
  // The last price set at or before `version`.
  auto it = std::upper_bound(price_history_.begin(), price_history_.end(), version,
                             [](uint64_t v, const auto& e) { return v < e.first; });
  if (it != price_history_.begin())
    return std::prev(it)->second;
  if (!history_truncated_)
    return base;
  // Older than what is kept: the lowest price known cannot be above the one then.
  auto lowest = base;
  for (const auto& e : price_history_)
    lowest = std::min(lowest, e.second);
  return lowest;
}

std::string section_state::corruption_prefix() const {
  return "section " + quoted(cfg_.event_id) + "/" + quoted(cfg_.section_id) + " at version " +
         std::to_string(version());
}

void section_state::free_hold(uint32_t slot) {
  holds_[slot] = hold_rec{};
  free_holds_.push_back(slot);
}

uint32_t section_state::new_hold_slot() {
  if (free_holds_.empty()) {
    holds_.emplace_back();
    return static_cast<uint32_t>(holds_.size() - 1);
  }
  auto slot = free_holds_.back();
  free_holds_.pop_back();
  return slot;
}

uint32_t section_state::new_order_slot(std::string order_id) {
  uint32_t slot;
  if (free_orders_.empty()) {
    slot = static_cast<uint32_t>(orders_.size());
    orders_.emplace_back();
  } else {
    slot = free_orders_.back();
    free_orders_.pop_back();
  }
  orders_[slot] = order_rec{std::move(order_id), 0};
  return slot;
}

} // namespace seatgrab::domain
