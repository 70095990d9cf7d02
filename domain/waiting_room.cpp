#include "domain/waiting_room.hpp"

#include "domain/detail.hpp"
#include "messages/ec.hpp"
#include "security/encoding.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <numeric>

namespace seatgrab::domain {

namespace {

using namespace detail;

constexpr int64_t window_ms = 60'000; // ETA measures admissions over the last minute

std::array<uint8_t, EVP_MAX_MD_SIZE> sha256_once(const uint8_t* data, size_t size) {
  std::array<uint8_t, EVP_MAX_MD_SIZE> out{};
  unsigned int len = 0;
  // EVP_Digest fails only on allocation failure; a zero digest would then show in tests.
  EVP_Digest(data, size, out.data(), &len, EVP_sha256(), nullptr);
  return out;
}

std::string hex(const uint8_t* data, size_t size) {
  return security::hex_encode({reinterpret_cast<const char*>(data), size});
}

std::string ticket_text(uint64_t ticket) {
  return "ticket " + std::to_string(ticket);
}

} // namespace

caf::error validate(const waiting_room_config& cfg) {
  auto bad = [&](std::string what) {
    return fail(ec::invalid_input, "waiting room of '" + cfg.event_id + "': " + std::move(what));
  };
  if (cfg.event_id.empty() || cfg.event_id.size() > 255 ||
      cfg.event_id.find('\0') != std::string::npos)
    return bad("event_id must be 1..255 bytes without NUL");
  if (cfg.admission_per_min < min_admission_rate || cfg.admission_per_min > max_admission_rate)
    return bad("admission_per_min must be 1..1000000");
  if (cfg.max_active_shoppers == 0)
    return bad("max_active_shoppers must be at least 1");
  using std::chrono::milliseconds;
  if (cfg.tick <= milliseconds::zero() || cfg.admission_ttl <= milliseconds::zero() ||
      cfg.abandon_after <= milliseconds::zero())
    return bad("tick, admission_ttl and abandon_after must be positive");
  return {};
}

std::vector<uint64_t> shuffle_order(std::span<const uint64_t> tickets,
                                    const waiting_room_seed& seed) {
  std::vector<uint64_t> a(tickets.begin(), tickets.end());
  if (a.size() < 2)
    return a;
  // One explicitly fetched digest and context for all rounds: a fetch per hash (what
  // EVP_Digest does) costs more than the hash itself.
  std::unique_ptr<EVP_MD, decltype(&EVP_MD_free)> md{EVP_MD_fetch(nullptr, "SHA256", nullptr),
                                                     &EVP_MD_free};
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx{EVP_MD_CTX_new(), &EVP_MD_CTX_free};
  std::array<uint8_t, 40> input{};
  std::memcpy(input.data(), seed.data(), seed.size());
  std::array<uint8_t, EVP_MAX_MD_SIZE> h{};
  for (size_t i = a.size(); i-- > 1;) {
    for (int k = 0; k < 8; ++k)
      input[32 + static_cast<size_t>(k)] = static_cast<uint8_t>(uint64_t{i} >> (56 - 8 * k));
    unsigned int len = 0;
    if (md == nullptr || ctx == nullptr || EVP_DigestInit_ex(ctx.get(), md.get(), nullptr) != 1 ||
        EVP_DigestUpdate(ctx.get(), input.data(), input.size()) != 1 ||
        EVP_DigestFinal_ex(ctx.get(), h.data(), &len) != 1)
      h = sha256_once(input.data(), input.size()); // allocation failure: the plain path
    uint64_t r = 0;
    for (size_t k = 0; k < 8; ++k)
      r = (r << 8) | h[k];
    std::swap(a[i], a[r % (i + 1)]);
  }
  return a;
}

std::string seed_commitment_of(const waiting_room_seed& seed) {
  auto h = sha256_once(seed.data(), seed.size());
  return hex(h.data(), 32);
}

std::string_view to_string(fan_state x) noexcept {
  switch (x) {
  case fan_state::waiting:
    return "waiting";
  case fan_state::admitted:
    return "admitted";
  case fan_state::expired:
    return "expired";
  case fan_state::skipped:
    return "skipped";
  case fan_state::done:
    return "done";
  case fan_state::closed:
    return "closed";
  }
  return "unknown";
}

// -- id_index -----------------------------------------------------------------

size_t waiting_room_state::id_index::home(uint64_t key) const noexcept {
  // Callers' hashes may be anything (even sequential): mix before taking the top bits.
  return static_cast<size_t>((key * 0x9e3779b97f4a7c15ULL) >> (64 - bits_));
}

uint32_t waiting_room_state::id_index::find(uint64_t key) const {
  if (key == 0 || slots_.empty())
    return 0;
  auto mask = slots_.size() - 1;
  for (auto i = home(key);; i = (i + 1) & mask) {
    const auto& s = slots_[i];
    if (s.key == key)
      return s.ticket;
    if (s.key == 0)
      return 0;
  }
}

void waiting_room_state::id_index::insert(uint64_t key, uint32_t ticket) {
  if ((size_ + 1) * 10 > slots_.size() * 7)
    grow();
  auto mask = slots_.size() - 1;
  auto i = home(key);
  while (slots_[i].key != 0)
    i = (i + 1) & mask;
  slots_[i] = slot{key, ticket};
  ++size_;
}

void waiting_room_state::id_index::grow() {
  auto old = std::move(slots_);
  bits_ = old.empty() ? 10 : bits_ + 1;
  slots_.assign(size_t{1} << bits_, slot{});
  size_ = 0;
  for (const auto& s : old)
    if (s.key != 0)
      insert(s.key, s.ticket);
}

// -- construction -------------------------------------------------------------

waiting_room_state::waiting_room_state(waiting_room_config cfg, waiting_room_seed seed)
    : cfg_(std::move(cfg)), seed_(seed), commitment_(seed_commitment_of(seed_)) {
  counters_.rate_per_min = cfg_.admission_per_min;
}

caf::expected<waiting_room_state> waiting_room_state::make(waiting_room_config cfg,
                                                           waiting_room_seed seed) {
  if (auto err = validate(cfg))
    return err;
  return waiting_room_state{std::move(cfg), seed};
}

// -- helpers ------------------------------------------------------------------

waiting_room_state::fan* waiting_room_state::find(uint64_t ticket) {
  return ticket == 0 || ticket > fans_.size() ? nullptr : &fans_[ticket - 1];
}

const waiting_room_state::fan* waiting_room_state::find(uint64_t ticket) const {
  return ticket == 0 || ticket > fans_.size() ? nullptr : &fans_[ticket - 1];
}

int64_t waiting_room_state::accrued(time_point now) const {
  auto elapsed = std::max<int64_t>(0, to_ms(now) - last_tick_ms_);
  auto rate = int64_t{counters_.rate_per_min};
  // One tick's quota plus less than one admission: fractions carry, pauses do not burst.
  auto cap = rate * cfg_.tick.count() + units_per_admission - 1;
  // elapsed is capped first so the product cannot overflow after a very long gap.
  return std::min(cap, budget_ + rate * std::min(elapsed, cfg_.tick.count() + window_ms));
}

bool waiting_room_state::abandoned(uint32_t ticket, time_point now) const {
  return to_ms(now) - board_->last_seen(ticket) >= cfg_.abandon_after.count();
}

void waiting_room_state::set_state(uint32_t ticket, fan_state s) {
  fans_[ticket - 1].state = s;
  board_->set_state(ticket, s);
}

// -- fan operations -----------------------------------------------------------

caf::expected<join_outcome> waiting_room_state::join(uint64_t account, uint64_t device,
                                                     time_point now) {
  if (account == 0 || device == 0)
    return fail(ec::invalid_argument, "account and device hashes must be non-zero");
  if (auto known = accounts_.find(account); known != 0) {
    // Same account: one place, whatever became of it.
    board_->mark_seen(known, to_ms(now));
    return join_outcome{known, std::nullopt};
  }
  // A device's place belongs to the account that joined with it: handing it to another
  // account would let several accounts shop on one place, or take over someone else's.
  if (counters_.closed)
    return fail(ec::sale_not_open, "the sale of " + quoted(cfg_.event_id) + " is closed");
  if (devices_.find(device) != 0)
    return fail(ec::device_in_use, "this device already holds a place for another account");
  if (fans_.size() >= UINT32_MAX - 1)
    return fail(ec::invalid_argument, "no tickets left");
  auto ev = next_event(now);
  auto* j = ev.mutable_joined();
  j->set_ticket(fans_.size() + 1);
  j->set_account(account);
  j->set_device(device);
  if (auto err = apply(ev))
    return err;
  return join_outcome{j->ticket(), std::move(ev)};
}

caf::error waiting_room_state::seen(uint64_t ticket, time_point now) {
  if (find(ticket) == nullptr)
    return fail(ec::unknown_ticket, ticket_text(ticket));
  board_->mark_seen(static_cast<uint32_t>(ticket), to_ms(now));
  return {};
}

caf::expected<pb::waiting_room_event> waiting_room_state::finish(uint64_t ticket, bool checkout,
                                                                 time_point now) {
  const auto* f = find(ticket);
  if (f == nullptr)
    return fail(ec::unknown_ticket, ticket_text(ticket));
  if (f->state != fan_state::admitted && (checkout || f->state != fan_state::waiting))
    return fail(ec::invalid_argument,
                ticket_text(ticket) + " is " + std::string{to_string(f->state)});
  auto ev = next_event(now);
  auto* d = ev.mutable_done();
  d->set_ticket(ticket);
  d->set_reason(checkout ? pb::WAITING_ROOM_DONE_REASON_CHECKED_OUT
                         : pb::WAITING_ROOM_DONE_REASON_LEFT);
  if (auto err = apply(ev))
    return err;
  return ev;
}

caf::expected<pb::waiting_room_event> waiting_room_state::leave(uint64_t ticket, time_point now) {
  return finish(ticket, false, now);
}

caf::expected<pb::waiting_room_event> waiting_room_state::checked_out(uint64_t ticket,
                                                                      time_point now) {
  return finish(ticket, true, now);
}

// -- room operations ----------------------------------------------------------

caf::expected<pb::waiting_room_event> waiting_room_state::open(time_point now, bool early) {
  if (counters_.closed)
    return fail(ec::sale_not_open, "the sale of " + quoted(cfg_.event_id) + " is closed");
  if (counters_.opened)
    return fail(ec::invalid_argument, "the waiting room is already open");
  if (now < cfg_.opens_at && !early)
    return fail(ec::sale_not_open,
                "the waiting room opens at " + std::to_string(to_ms(cfg_.opens_at)) + " ms");
  auto ev = next_event(now);
  ev.mutable_opened()->set_seed(std::string(seed_.begin(), seed_.end()));
  if (auto err = apply(ev))
    return err;
  return ev;
}

std::optional<pb::waiting_room_event> waiting_room_state::tick(time_point now) {
  if (!counters_.opened)
    return std::nullopt;
  auto ev = next_event(now);
  auto* t = ev.mutable_tick();
  auto now_ms = to_ms(now);
  // (1) Admissions expire in admission order: stop at the first one still running.
  uint64_t freed = 0;
  for (auto p = expiry_cursor_; p < passed_; ++p) {
    auto ticket = by_place_[p];
    const auto& f = fans_[ticket - 1];
    if (f.state != fan_state::admitted)
      continue;
    if (now_ms - f.admitted_at_ms < cfg_.admission_ttl.count())
      break;
    t->add_expired(ticket);
    ++freed;
  }
  auto budget = budget_;
  if (!counters_.paused && !counters_.closed) {
    // (2) + (3): admit at the head while budget and slots allow.
    budget = accrued(now);
    auto active = counters_.active_now - freed;
    for (auto p = passed_; p < by_place_.size(); ++p) {
      if (budget < units_per_admission || active >= cfg_.max_active_shoppers)
        break;
      auto ticket = by_place_[p];
      const auto& f = fans_[ticket - 1];
      if (f.state != fan_state::waiting)
        continue; // left while waiting: the place is passed for free
      if (abandoned(ticket, now)) {
        t->add_skipped(ticket);
        continue;
      }
      t->add_admitted(ticket);
      budget -= units_per_admission;
      ++active;
    }
  }
  t->set_budget(static_cast<uint64_t>(budget));
  if (t->expired_size() == 0 && t->admitted_size() == 0 && t->skipped_size() == 0) {
    // Nothing observable changed: keep the accrual without journaling it.
    budget_ = budget;
    last_tick_ms_ = now_ms;
    return std::nullopt;
  }
  if (auto err = apply(ev))
    return std::nullopt; // cannot happen: the event was built from this state
  return ev;
}

caf::expected<pb::waiting_room_event> waiting_room_state::pause(time_point now) {
  if (counters_.paused)
    return fail(ec::invalid_argument, "the waiting room is already paused");
  auto ev = next_event(now);
  ev.mutable_paused();
  if (auto err = apply(ev))
    return err;
  return ev;
}

caf::expected<std::optional<pb::waiting_room_event>>
waiting_room_state::set_prices(uint64_t price_version, int64_t min, int64_t max, time_point now) {
  if (min <= 0 || max < min)
    return fail(ec::invalid_argument, "a price range is 0 < min <= max");
  if (price_version > UINT32_MAX)
    return fail(ec::invalid_argument, "price versions end at 2^32 - 1");
  if (price_version <= counters_.price_version)
    return std::optional<pb::waiting_room_event>{};
  auto ev = next_event(now);
  auto* x = ev.mutable_prices();
  x->set_price_version(price_version);
  x->set_min(min);
  x->set_max(max);
  if (auto err = apply(ev))
    return err;
  return std::optional<pb::waiting_room_event>{std::move(ev)};
}

std::optional<pb::waiting_room_event> waiting_room_state::close(time_point now) {
  if (counters_.closed)
    return std::nullopt;
  auto ev = next_event(now);
  ev.mutable_closed();
  if (auto err = apply(ev))
    return std::nullopt; // cannot happen: closing has no precondition
  return ev;
}

caf::expected<pb::waiting_room_event> waiting_room_state::resume(time_point now) {
  if (!counters_.paused)
    return fail(ec::invalid_argument, "the waiting room is not paused");
  auto ev = next_event(now);
  ev.mutable_resumed();
  if (auto err = apply(ev))
    return err;
  return ev;
}

caf::expected<pb::waiting_room_event> waiting_room_state::set_rate(uint32_t per_min,
                                                                   time_point now) {
  if (per_min < min_admission_rate || per_min > max_admission_rate)
    return fail(ec::invalid_argument,
                "admission rate " + std::to_string(per_min) + " per minute is outside 1..1000000");
  auto ev = next_event(now);
  ev.mutable_rate_changed()->set_per_min(per_min);
  if (auto err = apply(ev))
    return err;
  return ev;
}

void waiting_room_state::mark_all_seen(time_point now) {
  for (uint32_t t = 1; t <= fans_.size(); ++t)
    board_->mark_seen(t, to_ms(now));
}

// -- apply --------------------------------------------------------------------

std::span<const waiting_room_state::kind_handler> waiting_room_state::handlers() {
  using ev_t = pb::waiting_room_event;
  using st_t = waiting_room_state;
  static constexpr kind_handler table[] = {
      {ev_t::kJoined,
       [](st_t& st, const ev_t& ev) { return st.apply_joined(ev.joined(), ev.at_ms()); }},
      {ev_t::kOpened,
       [](st_t& st, const ev_t& ev) { return st.apply_opened(ev.opened(), ev.at_ms()); }},
      {ev_t::kTick, [](st_t& st, const ev_t& ev) { return st.apply_tick(ev.tick(), ev.at_ms()); }},
      {ev_t::kDone, [](st_t& st, const ev_t& ev) { return st.apply_done(ev.done()); }},
      {ev_t::kPaused, [](st_t& st, const ev_t&) { return st.apply_paused(); }},
      {ev_t::kClosed, [](st_t& st, const ev_t&) { return st.apply_closed(); }},
      {ev_t::kPrices, [](st_t& st, const ev_t& ev) { return st.apply_prices(ev.prices()); }},
      {ev_t::kResumed, [](st_t& st, const ev_t& ev) { return st.apply_resumed(ev.at_ms()); }},
      {ev_t::kRateChanged,
       [](st_t& st, const ev_t& ev) { return st.apply_rate_changed(ev.rate_changed()); }},
  };
  return table;
}

caf::error waiting_room_state::apply_paused() {
  if (counters_.paused)
    return corrupt("paused twice");
  counters_.paused = true;
  return {};
}

caf::error waiting_room_state::apply_prices(const pb::waiting_room_prices& ev) {
  if (ev.price_version() <= counters_.price_version || ev.price_version() > UINT32_MAX ||
      ev.min() <= 0 || ev.max() < ev.min())
    return corrupt("prices at version " + std::to_string(ev.price_version()) + " after " +
                   std::to_string(counters_.price_version));
  counters_.price_version = ev.price_version();
  counters_.price_min = ev.min();
  counters_.price_max = ev.max();
  return {};
}

caf::error waiting_room_state::apply_closed() {
  if (counters_.closed)
    return corrupt("closed twice");
  counters_.closed = true;
  return {};
}

caf::error waiting_room_state::apply_resumed(int64_t at) {
  if (!counters_.paused)
    return corrupt("resumed while not paused");
  counters_.paused = false;
  // No budget for the paused time.
  last_tick_ms_ = std::max(last_tick_ms_, at);
  return {};
}

caf::error waiting_room_state::apply_rate_changed(const pb::waiting_room_rate_changed& ev) {
  auto r = ev.per_min();
  if (r < min_admission_rate || r > max_admission_rate)
    return corrupt("rate " + std::to_string(r) + " out of range");
  counters_.rate_per_min = r;
  return {};
}

caf::error waiting_room_state::apply_joined(const pb::waiting_room_joined& ev, int64_t at) {
  if (ev.ticket() != fans_.size() + 1)
    return corrupt("join issues " + ticket_text(ev.ticket()) + ", expected " +
                   std::to_string(fans_.size() + 1));
  if (ev.account() == 0 || ev.device() == 0 || accounts_.find(ev.account()) != 0 ||
      devices_.find(ev.device()) != 0)
    return corrupt("join of " + ticket_text(ev.ticket()) + " reuses an account or device");
  auto ticket = static_cast<uint32_t>(ev.ticket());
  fan f;
  f.device = ev.device();
  fans_.push_back(f);
  board_->add(ev.account(), at);
  if (counters_.opened) {
    by_place_.push_back(ticket);
    board_->set_place(ticket, static_cast<uint32_t>(by_place_.size()));
  }
  accounts_.insert(ev.account(), ticket);
  devices_.insert(ev.device(), ticket);
  ++counters_.joined;
  ++counters_.queue_length;
  return {};
}

caf::error waiting_room_state::apply_opened(const pb::waiting_room_opened& ev, int64_t at) {
  if (counters_.opened)
    return corrupt("opened twice");
  if (ev.seed() != std::string(seed_.begin(), seed_.end()))
    return corrupt("the opening reveals another seed");
  // Every join so far is in the pre-queue: tickets 1..P in join order.
  std::vector<uint64_t> pre(fans_.size());
  std::iota(pre.begin(), pre.end(), uint64_t{1});
  if (cfg_.mode == queue_mode::shuffle)
    pre = shuffle_order(pre, seed_);
  by_place_.assign(pre.begin(), pre.end());
  for (uint32_t p = 0; p < by_place_.size(); ++p)
    board_->set_place(by_place_[p], p + 1);
  counters_.opened = true;
  opened_at_ms_ = at;
  last_tick_ms_ = at;
  budget_ = 0;
  return {};
}

caf::error waiting_room_state::apply_tick(const pb::waiting_room_tick& ev, int64_t at) {
  if (!counters_.opened)
    return corrupt("tick before opening");
  // Validate everything before changing anything.
  for (auto ticket : ev.expired()) {
    const auto* f = find(ticket);
    if (f == nullptr || f->state != fan_state::admitted)
      return corrupt("tick expires " + ticket_text(ticket) + " which is not admitted");
  }
  if (counters_.paused && ev.admitted_size() > 0)
    return corrupt("tick admits while paused");
  if (counters_.closed && ev.admitted_size() > 0)
    return corrupt("tick admits after the sale closed");
  // Admitted and skipped tickets must be the waiting fans at the head, in place order; fans
  // who left while waiting are passed in between.
  auto p = passed_;
  int ai = 0;
  int si = 0;
  while (ai < ev.admitted_size() || si < ev.skipped_size()) {
    if (p >= by_place_.size())
      return corrupt("tick passes the end of the queue");
    auto ticket = by_place_[p];
    const auto& f = fans_[ticket - 1];
    if (ai < ev.admitted_size() && ev.admitted(ai) == ticket && f.state == fan_state::waiting)
      ++ai;
    else if (si < ev.skipped_size() && ev.skipped(si) == ticket && f.state == fan_state::waiting)
      ++si;
    else if (f.state != fan_state::done)
      return corrupt("tick is out of queue order at " + ticket_text(ticket));
    ++p;
  }
  if (counters_.active_now - static_cast<uint64_t>(ev.expired_size()) +
          static_cast<uint64_t>(ev.admitted_size()) >
      cfg_.max_active_shoppers)
    return corrupt("tick admits beyond max_active_shoppers");
  // Apply.
  for (auto ticket : ev.expired()) {
    set_state(ticket, fan_state::expired);
    --counters_.active_now;
    ++counters_.expired;
  }
  for (auto ticket : ev.admitted()) {
    set_state(ticket, fan_state::admitted);
    auto& f = fans_[ticket - 1];
    f.admitted_at_ms = at;
    f.was_admitted = true;
    f.price_version = static_cast<uint32_t>(counters_.price_version);
  }
  for (auto ticket : ev.skipped())
    set_state(ticket, fan_state::skipped);
  auto admitted = static_cast<uint64_t>(ev.admitted_size());
  auto skipped = static_cast<uint64_t>(ev.skipped_size());
  counters_.active_now += admitted;
  counters_.admitted += admitted;
  counters_.skipped += skipped;
  counters_.queue_length -= admitted + skipped;
  passed_ = p;
  budget_ = static_cast<int64_t>(ev.budget());
  last_tick_ms_ = std::max(last_tick_ms_, at);
  if (admitted > 0)
    window_.emplace_back(at, static_cast<uint32_t>(admitted));
  while (!window_.empty() && window_.front().first <= at - window_ms)
    window_.pop_front();
  advance_expiry_cursor();
  return {};
}

caf::error waiting_room_state::apply_done(const pb::waiting_room_done& ev) {
  auto* f = find(ev.ticket());
  if (f == nullptr)
    return corrupt("done for unknown " + ticket_text(ev.ticket()));
  auto reason = ev.reason();
  if (reason != pb::WAITING_ROOM_DONE_REASON_LEFT &&
      reason != pb::WAITING_ROOM_DONE_REASON_CHECKED_OUT)
    return corrupt("done without a reason");
  if (f->state == fan_state::admitted) {
    --counters_.active_now;
  } else if (f->state == fan_state::waiting && reason == pb::WAITING_ROOM_DONE_REASON_LEFT) {
    --counters_.queue_length;
  } else {
    return corrupt("done for " + ticket_text(ev.ticket()) + " which is " +
                   std::string{to_string(f->state)});
  }
  set_state(static_cast<uint32_t>(ev.ticket()), fan_state::done);
  ++counters_.done;
  advance_expiry_cursor();
  return {};
}

void waiting_room_state::advance_expiry_cursor() {
  while (expiry_cursor_ < passed_ &&
         fans_[by_place_[expiry_cursor_] - 1].state != fan_state::admitted)
    ++expiry_cursor_;
}

// -- queries ------------------------------------------------------------------

double waiting_room_state::admission_rate(time_point now) const {
  auto now_ms = to_ms(now);
  auto configured = counters_.rate_per_min / 60.0;
  if (!counters_.opened)
    return configured;
  uint64_t count = 0;
  for (const auto& [at, n] : window_)
    if (at > now_ms - window_ms && at <= now_ms)
      count += n;
  // Measure over the last minute, or since opening if that is shorter.
  auto span = std::min(window_ms, now_ms - opened_at_ms_);
  if (count == 0 || span < cfg_.tick.count())
    return configured;
  return static_cast<double>(count) * 1000.0 / static_cast<double>(span);
}

caf::expected<ticket_status> waiting_room_state::status(uint64_t ticket, time_point now) const {
  const auto* f = find(ticket);
  if (f == nullptr)
    return fail(ec::unknown_ticket, ticket_text(ticket));
  ticket_status st;
  st.state = f->state;
  if (f->was_admitted) {
    st.admitted_at = from_ms(f->admitted_at_ms);
    st.admission_expires_at = from_ms(f->admitted_at_ms) + cfg_.admission_ttl;
    st.price_version = f->price_version;
  }
  st.price_min = counters_.price_min;
  st.price_max = counters_.price_max;
  if (f->was_admitted) {
    if (f->state == fan_state::admitted && now >= *st.admission_expires_at)
      st.state = fan_state::expired; // the tick freeing the slot may lag
  }
  if (f->state != fan_state::waiting)
    return st;
  return waiting_status(board_->place(static_cast<uint32_t>(ticket)), board_head(now), now);
}

queue_head waiting_room_state::board_head(time_point now) const {
  return {static_cast<uint32_t>(fans_.size()),
          passed_,
          counters_.opened,
          counters_.closed,
          counters_.paused,
          cfg_.opens_at,
          admission_rate(now),
          counters_.price_min,
          counters_.price_max};
}

std::optional<uint64_t> waiting_room_state::ticket_of_account(uint64_t account) const {
  if (auto t = accounts_.find(account); t != 0)
    return t;
  return std::nullopt;
}

std::optional<uint64_t> waiting_room_state::ticket_of_device(uint64_t device) const {
  if (auto t = devices_.find(device); t != 0)
    return t;
  return std::nullopt;
}

std::optional<uint64_t> waiting_room_state::device_of(uint64_t ticket) const {
  if (const auto* f = find(ticket))
    return f->device;
  return std::nullopt;
}

std::vector<uint64_t> waiting_room_state::admission_order() const {
  return {by_place_.begin(), by_place_.end()};
}

std::optional<std::string> waiting_room_state::revealed_seed() const {
  if (!counters_.opened)
    return std::nullopt;
  return hex(seed_.data(), seed_.size());
}

size_t waiting_room_state::memory_bytes() const {
  return fans_.capacity() * sizeof(fan) + by_place_.capacity() * sizeof(uint32_t) +
         board_->memory_bytes() + accounts_.bytes() + devices_.bytes() +
         window_.size() * sizeof(std::pair<int64_t, uint32_t>);
}

} // namespace seatgrab::domain
