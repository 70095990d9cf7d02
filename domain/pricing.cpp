#include "domain/pricing.hpp"

#include "domain/venue.hpp"

#include <algorithm>

namespace seatgrab::domain {

using detail::fail;
using detail::from_ms;

using detail::to_ms;

namespace {

constexpr auto hour = std::chrono::hours{1};

// History kept per section in memory (the journal keeps all of it).
constexpr size_t max_history = 100;

caf::error field(std::string name, std::string what) {
  return fail(ec::invalid_input, std::move(name) + ": " + std::move(what));
}

caf::error check_ladder(const std::string& key, const std::vector<int64_t>& prices,
                        uint32_t max_ceiling_permille) {
  auto name = "ladders." + key;
  if (prices.empty() || prices.size() > max_ladder_levels)
    return field(name, "1 to " + std::to_string(max_ladder_levels) + " levels");
  for (size_t i = 0; i < prices.size(); ++i) {
    auto at = name + "[" + std::to_string(i) + "]";
    if (prices[i] <= 0 || prices[i] > max_price)
      return field(at, "a price is 1.." + std::to_string(max_price) + " minor units");
    if (i > 0 && prices[i] <= prices[i - 1])
      return field(at, "prices must rise from the floor to the ceiling");
  }
  // 128-bit free: prices are at most 1e9, so the product fits in 64 bits.
  if (prices.back() * 1000 > prices.front() * int64_t{max_ceiling_permille})
    return field(name, "the ceiling " + std::to_string(prices.back()) + " exceeds " +
                           std::to_string(max_ceiling_permille) + "/1000 of the floor " +
                           std::to_string(prices.front()));
  return {};
}

} // namespace

int64_t pace_permille(int64_t ewma_milli, uint32_t free, int64_t seconds_left) {
  if (free == 0 || ewma_milli <= 0)
    return 0;
  return ewma_milli * std::max<int64_t>(seconds_left, 1) / int64_t{free};
}

caf::expected<pricing_policy> resolve(const pricing_request& req, const venue& v,
                                      time_point opens_at) {
  if (req.interval_s < 5 || req.interval_s > 3600)
    return field("interval_s", "5..3600 seconds");
  if (req.max_ceiling_permille < 1000 || req.max_ceiling_permille > 4000)
    return field("max_ceiling_permille", "1000..4000");
  if (req.window_s < 60 || req.window_s > 30 * 86400)
    return field("window_s", "60 s..30 days");
  if (req.up_ticks < 1 || req.up_ticks > 100)
    return field("up_ticks", "1..100");
  if (req.down_ticks < 1 || req.down_ticks > 100)
    return field("down_ticks", "1..100");
  if (req.max_up_per_hour > 100)
    return field("max_up_per_hour", "0..100");
  for (const auto& [key, prices] : req.ladders) {
    if (!v.find_tier(key) && !v.find_section(key))
      return field("ladders." + key, "no tier or section of venue " + detail::quoted(v.id));
    if (auto err = check_ladder(key, prices, req.max_ceiling_permille))
      return err;
  }
  for (const auto& [key, level] : req.start_levels) {
    auto i = req.ladders.find(key);
    if (i == req.ladders.end())
      return field("start_levels." + key, "names no ladder");
    if (level >= i->second.size())
      return field("start_levels." + key, "level " + std::to_string(level) + " is off the ladder");
  }
  pricing_policy result;
  result.rule.interval_s = req.interval_s;
  result.rule.up_ticks = req.up_ticks;
  result.rule.down_ticks = req.down_ticks;
  result.rule.max_up_per_hour = req.max_up_per_hour;
  result.rule.window_ends_at = opens_at + std::chrono::seconds{req.window_s};
  for (const auto& s : v.sections) {
    section_ladder ladder;
    ladder.section = s.id;
    auto key = req.ladders.count(s.id) ? s.id : s.tier;
    if (auto i = req.ladders.find(key); i != req.ladders.end()) {
      ladder.prices = i->second;
      if (auto j = req.start_levels.find(key); j != req.start_levels.end())
        ladder.level = j->second;
    } else {
      const auto* tier = v.find_tier(s.tier);
      ladder.prices = {tier ? tier->price : 0};
    }
    result.ladders.push_back(std::move(ladder));
  }
  return result;
}

pricing_state::pricing_state(std::string event_id) : event_id_(std::move(event_id)) {}

pricing_state::track* pricing_state::find(std::string_view section) {
  auto i = index_.find(section);
  return i == index_.end() ? nullptr : &tracks_[i->second];
}

const pricing_state::track* pricing_state::find(std::string_view section) const {
  auto i = index_.find(section);
  return i == index_.end() ? nullptr : &tracks_[i->second];
}

// -- operations ---------------------------------------------------------------

caf::expected<pb::pricing_event> pricing_state::set_policy(pricing_policy policy, bool locked,
                                                           time_point now) {
  if (locked)
    return fail(ec::pricing_locked,
                "the sale of " + detail::quoted(event_id_) +
                    " opened: prices are published before it (freeze or set a level instead)");
  if (policy.ladders.empty())
    return fail(ec::invalid_input, "ladders: no section");
  for (const auto& l : policy.ladders) {
    if (auto err = check_ladder(l.section, l.prices, 4000))
      return err;
    if (l.level >= l.prices.size())
      return field("start_levels." + l.section, "off the ladder");
  }
  auto ev = next_event(now);
  auto& p = *ev.mutable_policy();
  auto& r = *p.mutable_rule();
  r.set_interval_s(policy.rule.interval_s);
  r.set_up_permille(policy.rule.up_permille);
  r.set_down_permille(policy.rule.down_permille);
  r.set_up_ticks(policy.rule.up_ticks);
  r.set_down_ticks(policy.rule.down_ticks);
  r.set_max_up_per_hour(policy.rule.max_up_per_hour);
  r.set_ewma_permille(policy.rule.ewma_permille);
  r.set_window_ends_at_ms(to_ms(policy.rule.window_ends_at));
  for (const auto& l : policy.ladders) {
    auto& out = *p.add_ladders();
    out.set_section(l.section);
    for (auto x : l.prices)
      out.add_prices(x);
    out.set_level(l.level);
  }
  p.set_price_version(price_version_ + 1);
  return commit(std::move(ev));
}

void pricing_state::decide(const track& t, pb::pricing_input& in, time_point now) const {
  auto level = t.ladder.level;
  in.set_level(level);
  in.set_up_streak(t.up_streak);
  in.set_down_streak(t.down_streak);
  in.set_ewma_milli(t.ewma_milli);
  if (in.closed())
    return;
  auto taken = t.has_reading ? int64_t{t.last_free} - int64_t{in.free()} : 0;
  in.set_taken(taken);
  auto elapsed = t.has_reading ? std::max<int64_t>((now - t.last_reading).count(), 1) : 0;
  in.set_elapsed_ms(elapsed);
  // Seats a second, in thousandths, over the time the seats were taken in.
  auto rate_milli = elapsed > 0 ? taken * 1'000'000 / elapsed : 0;
  auto ewma = t.has_reading ? (int64_t{rule_.ewma_permille} * rate_milli +
                               int64_t{1000 - rule_.ewma_permille} * t.ewma_milli) /
                                  1000
                            : rate_milli;
  in.set_ewma_milli(ewma);
  auto left = std::chrono::duration_cast<std::chrono::seconds>(rule_.window_ends_at - now).count();
  in.set_seconds_left(std::max<int64_t>(left, rule_.interval_s));
  auto pace = pace_permille(ewma, in.free(), in.seconds_left());
  in.set_pace_permille(pace);
  if (frozen_ || t.frozen || in.free() == 0) {
    in.set_up_streak(0);
    in.set_down_streak(0);
    return;
  }
  auto up = pace > int64_t{rule_.up_permille} ? t.up_streak + 1 : 0;
  auto down = pace < int64_t{rule_.down_permille} ? t.down_streak + 1 : 0;
  auto ups =
      std::count_if(t.ups.begin(), t.ups.end(), [&](time_point x) { return x >= now - hour; });
  if (up >= rule_.up_ticks && level + 1 < t.ladder.prices.size() &&
      static_cast<uint32_t>(ups) < rule_.max_up_per_hour && in.waiting() >= in.free()) {
    ++level;
    up = 0;
    down = 0;
  } else if (down >= rule_.down_ticks && level > 0) {
    --level;
    up = 0;
    down = 0;
  }
  in.set_level(level);
  in.set_up_streak(up);
  in.set_down_streak(down);
}

caf::expected<pb::pricing_event> pricing_state::tick(const std::vector<section_reading>& readings,
                                                     uint64_t waiting, time_point now) {
  if (!has_policy())
    return fail(ec::invalid_argument, "pricing/" + event_id_ + ": no policy to tick");
  std::vector<const section_reading*> by_track(tracks_.size(), nullptr);
  for (const auto& r : readings) {
    auto i = index_.find(r.section);
    if (i == index_.end())
      return fail(ec::invalid_argument,
                  "a reading of unknown section " + detail::quoted(r.section));
    by_track[i->second] = &r;
  }
  auto ev = next_event(now);
  auto& t = *ev.mutable_ticked();
  t.set_tick(ticks_ + 1);
  bool moved = false;
  for (size_t i = 0; i < tracks_.size(); ++i) {
    auto& in = *t.add_sections();
    in.set_section(tracks_[i].ladder.section);
    in.set_waiting(waiting);
    // A section without a reading (closed, or its actor did not answer) sits the tick out.
    in.set_closed(!by_track[i] || by_track[i]->closed);
    if (by_track[i])
      in.set_free(by_track[i]->free);
    decide(tracks_[i], in, now);
    moved = moved || in.level() != tracks_[i].ladder.level;
  }
  t.set_price_version(price_version_ + (moved ? 1 : 0));
  return commit(std::move(ev));
}

caf::expected<std::optional<pb::pricing_event>> pricing_state::freeze(std::string_view section,
                                                                      time_point now) {
  if (!has_policy())
    return fail(ec::invalid_argument, "pricing/" + event_id_ + ": no policy to freeze");
  const auto* t = section.empty() ? nullptr : find(section);
  if (!section.empty() && !t)
    return fail(ec::unknown_section, detail::quoted(section));
  if (section.empty() ? frozen_ : t->frozen)
    return std::optional<pb::pricing_event>{};
  auto ev = next_event(now);
  ev.mutable_frozen()->set_section(std::string{section});
  auto done = commit(std::move(ev));
  if (!done)
    return done.error();
  return std::optional<pb::pricing_event>{std::move(*done)};
}

caf::expected<std::optional<pb::pricing_event>> pricing_state::unfreeze(std::string_view section,
                                                                        time_point now) {
  if (!has_policy())
    return fail(ec::invalid_argument, "pricing/" + event_id_ + ": no policy to unfreeze");
  const auto* t = section.empty() ? nullptr : find(section);
  if (!section.empty() && !t)
    return fail(ec::unknown_section, detail::quoted(section));
  if (!(section.empty() ? frozen_ : t->frozen))
    return std::optional<pb::pricing_event>{};
  auto ev = next_event(now);
  ev.mutable_unfrozen()->set_section(std::string{section});
  auto done = commit(std::move(ev));
  if (!done)
    return done.error();
  return std::optional<pb::pricing_event>{std::move(*done)};
}

caf::expected<std::optional<pb::pricing_event>>
pricing_state::set_level(std::string_view section, uint32_t level, time_point now) {
  if (!has_policy())
    return fail(ec::invalid_argument, "pricing/" + event_id_ + ": no policy");
  const auto* t = find(section);
  if (!t)
    return fail(ec::unknown_section, detail::quoted(section));
  if (level >= t->ladder.prices.size())
    return fail(ec::invalid_argument, "level " + std::to_string(level) + " is off the ladder of " +
                                          detail::quoted(section) + " (0.." +
                                          std::to_string(t->ladder.prices.size() - 1) + ")");
  if (level == t->ladder.level)
    return std::optional<pb::pricing_event>{};
  auto ev = next_event(now);
  auto& l = *ev.mutable_level();
  l.set_section(std::string{section});
  l.set_level(level);
  l.set_price_version(price_version_ + 1);
  auto done = commit(std::move(ev));
  if (!done)
    return done.error();
  return std::optional<pb::pricing_event>{std::move(*done)};
}

// -- queries ------------------------------------------------------------------

std::vector<section_pricing> pricing_state::sections() const {
  std::vector<section_pricing> result;
  result.reserve(tracks_.size());
  for (const auto& t : tracks_)
    result.push_back({t.ladder.section, t.ladder.level, t.ladder.prices[t.ladder.level],
                      t.ladder.prices, t.frozen, t.history});
  return result;
}

std::vector<price_change> pricing_state::changes(const pb::pricing_event& ev) const {
  std::vector<price_change> result;
  auto add = [&](const std::string& section) {
    if (const auto* t = find(section))
      result.push_back({section, t->ladder.prices[t->ladder.level]});
  };
  switch (ev.kind_case()) {
  case pb::pricing_event::kPolicy:
    return prices();
  case pb::pricing_event::kTicked:
    for (const auto& in : ev.ticked().sections())
      if (const auto* t = find(in.section()); t && t->changed_by == ev.version())
        add(in.section());
    return result;
  case pb::pricing_event::kLevel:
    add(ev.level().section());
    return result;
  default:
    return result;
  }
}

std::vector<price_change> pricing_state::prices() const {
  std::vector<price_change> result;
  result.reserve(tracks_.size());
  for (const auto& t : tracks_)
    result.push_back({t.ladder.section, t.ladder.prices[t.ladder.level]});
  return result;
}

std::pair<int64_t, int64_t> pricing_state::price_range() const {
  if (tracks_.empty())
    return {0, 0};
  auto lo = INT64_MAX;
  auto hi = INT64_MIN;
  for (const auto& t : tracks_) {
    lo = std::min(lo, t.ladder.prices[t.ladder.level]);
    hi = std::max(hi, t.ladder.prices[t.ladder.level]);
  }
  return {lo, hi};
}

// -- apply --------------------------------------------------------------------

std::span<const pricing_state::kind_handler> pricing_state::handlers() {
  using ev_t = pb::pricing_event;
  using st_t = pricing_state;
  static constexpr kind_handler table[] = {
      {ev_t::kPolicy,
       [](st_t& st, const ev_t& ev) { return st.apply_policy(ev.policy(), from_ms(ev.at_ms())); }},
      {ev_t::kTicked,
       [](st_t& st, const ev_t& ev) { return st.apply_ticked(ev.ticked(), from_ms(ev.at_ms())); }},
      {ev_t::kFrozen,
       [](st_t& st, const ev_t& ev) { return st.apply_frozen(ev.frozen().section(), true); }},
      {ev_t::kUnfrozen,
       [](st_t& st, const ev_t& ev) { return st.apply_frozen(ev.unfrozen().section(), false); }},
      {ev_t::kLevel,
       [](st_t& st, const ev_t& ev) { return st.apply_level(ev.level(), from_ms(ev.at_ms())); }},
  };
  return table;
}

caf::error pricing_state::apply_policy(const pb::pricing_policy_set& ev, time_point at) {
  if (ev.price_version() != price_version_ + 1)
    return corrupt("policy at price version " + std::to_string(ev.price_version()));
  const auto& r = ev.rule();
  if (r.interval_s() == 0 || ev.ladders_size() == 0 || r.ewma_permille() > 1000)
    return corrupt("policy without interval, sections or a sane average weight");
  std::vector<track> tracks;
  std::map<std::string, size_t, std::less<>> index;
  for (const auto& l : ev.ladders()) {
    if (l.prices_size() == 0 || l.level() >= static_cast<uint32_t>(l.prices_size()) ||
        !index.emplace(l.section(), tracks.size()).second)
      return corrupt("ladder of section " + detail::quoted(l.section()) + " does not fit");
    track t;
    t.ladder.section = l.section();
    t.ladder.prices.assign(l.prices().begin(), l.prices().end());
    t.ladder.level = l.level();
    // A section that stays keeps its frozen flag across a new policy.
    if (const auto* old = find(l.section()))
      t.frozen = old->frozen;
    t.history.push_back(
        {ev.price_version(), at, t.ladder.level, t.ladder.prices[t.ladder.level], false});
    t.changed_by = version() + 1;
    tracks.push_back(std::move(t));
  }
  rule_.interval_s = r.interval_s();
  rule_.up_permille = r.up_permille();
  rule_.down_permille = r.down_permille();
  rule_.up_ticks = r.up_ticks();
  rule_.down_ticks = r.down_ticks();
  rule_.max_up_per_hour = r.max_up_per_hour();
  rule_.ewma_permille = r.ewma_permille();
  rule_.window_ends_at = from_ms(r.window_ends_at_ms());
  tracks_ = std::move(tracks);
  index_ = std::move(index);
  price_version_ = ev.price_version();
  ticks_ = 0;
  return {};
}

caf::error pricing_state::apply_ticked(const pb::pricing_ticked& ev, time_point at) {
  if (ev.tick() != ticks_ + 1)
    return corrupt("tick " + std::to_string(ev.tick()) + " does not follow " +
                   std::to_string(ticks_));
  bool moved = false;
  for (const auto& in : ev.sections()) {
    const auto* t = find(in.section());
    if (!t)
      return corrupt("tick of unknown section " + detail::quoted(in.section()));
    auto old = t->ladder.level;
    if (in.level() >= t->ladder.prices.size() || (in.level() > old && in.level() - old > 1) ||
        (in.level() < old && old - in.level() > 1))
      return corrupt("tick moves section " + detail::quoted(in.section()) + " from level " +
                     std::to_string(old) + " to " + std::to_string(in.level()));
    moved = moved || in.level() != old;
  }
  if (ev.price_version() != price_version_ + (moved ? 1 : 0))
    return corrupt("tick at price version " + std::to_string(ev.price_version()));
  for (const auto& in : ev.sections()) {
    auto& t = *find(in.section());
    if (in.closed())
      continue;
    t.has_reading = true;
    t.last_free = in.free();
    t.last_reading = at;
    t.ewma_milli = in.ewma_milli();
    t.up_streak = in.up_streak();
    t.down_streak = in.down_streak();
    while (!t.ups.empty() && t.ups.front() < at - hour)
      t.ups.pop_front();
    if (in.level() == t.ladder.level)
      continue;
    if (in.level() > t.ladder.level)
      t.ups.push_back(at);
    t.ladder.level = in.level();
    t.changed_by = version() + 1;
    t.history.push_back(
        {ev.price_version(), at, t.ladder.level, t.ladder.prices[t.ladder.level], false});
    if (t.history.size() > max_history)
      t.history.erase(t.history.begin());
  }
  price_version_ = ev.price_version();
  ++ticks_;
  return {};
}

caf::error pricing_state::apply_frozen(const std::string& section, bool frozen) {
  if (tracks_.empty())
    return corrupt("freeze without a policy");
  if (section.empty()) {
    frozen_ = frozen;
    for (auto& t : tracks_) // the streaks restart, as for a section's freeze
      t.up_streak = t.down_streak = 0;
    return {};
  }
  auto* t = find(section);
  if (!t)
    return corrupt("freeze of unknown section " + detail::quoted(section));
  t->frozen = frozen;
  t->up_streak = 0;
  t->down_streak = 0;
  return {};
}

caf::error pricing_state::apply_level(const pb::pricing_level_set& ev, time_point at) {
  auto* t = find(ev.section());
  if (!t || ev.level() >= t->ladder.prices.size())
    return corrupt("level " + std::to_string(ev.level()) + " for section " +
                   detail::quoted(ev.section()) + " does not fit");
  if (ev.price_version() != price_version_ + 1)
    return corrupt("level at price version " + std::to_string(ev.price_version()));
  t->ladder.level = ev.level();
  t->changed_by = version() + 1;
  t->up_streak = 0;
  t->down_streak = 0;
  t->history.push_back(
      {ev.price_version(), at, t->ladder.level, t->ladder.prices[ev.level()], true});
  if (t->history.size() > max_history)
    t->history.erase(t->history.begin());
  price_version_ = ev.price_version();
  return {};
}

} // namespace seatgrab::domain
