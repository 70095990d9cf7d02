#include "scenarios/scenario.hpp"

#include "messages/ec.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <toml++/toml.h>

namespace seatgrab::scenarios {

namespace {

class reader {
public:
  reader(const toml::table& root, std::string file) : root_(root), file_(std::move(file)) {}

  const caf::error& error() const { return err_; }

  template <class T>
  void integer(const char* table, const char* key, T& out, int64_t min, int64_t max) {
    auto node = at(table, key);
    if (!node)
      return;
    // Asked of a float, toml++ converts it, which overflows for a huge one (UB): ask integers only.
    auto v = node->is_integer() ? node->value<int64_t>() : std::nullopt;
    if (!v || *v < min || *v > max)
      return fail(table, key,
                  "must be an integer from " + std::to_string(min) + " to " + std::to_string(max));
    out = static_cast<T>(*v);
  }

  void number(const char* table, const char* key, double& out, double min, double max) {
    auto node = at(table, key);
    if (!node)
      return;
    auto v = node->value<double>();
    if (!(node->is_floating_point() || node->is_integer()) || !v || *v < min || *v > max)
      return fail(table, key,
                  "must be a number from " + std::to_string(min) + " to " + std::to_string(max));
    out = *v;
  }

  void text(const char* table, const char* key, std::string& out) {
    auto node = at(table, key);
    if (!node)
      return;
    auto v = node->value<std::string>();
    if (!node->is_string() || !v || v->empty())
      return fail(table, key, "must be a non-empty string");
    out = *v;
  }

  /// A table of integer arrays (`name = { key = [1, 2] }`): each array's values, by key.
  void ladders(const char* table, const char* key, std::map<std::string, std::vector<int64_t>>& out,
               bool& present) {
    auto node = at(table, key);
    if (!node)
      return;
    present = true;
    const auto* t = node->as_table();
    if (!t || t->empty())
      return fail(table, key, "must be a table of ladders by tier or section id");
    for (const auto& [k, v] : *t) {
      std::string name{k.str()};
      const auto* arr = v.as_array();
      if (!arr || arr->empty() || arr->size() > 5)
        return fail(table, (std::string{key} + "." + name).c_str(),
                    "must be an array of 1 to 5 prices in minor units");
      auto& ladder = out[name];
      for (size_t i = 0; i < arr->size(); ++i) {
        auto x = (*arr)[i].is_integer() ? (*arr)[i].value<int64_t>() : std::nullopt;
        if (!x || *x <= 0)
          return fail(table,
                      (std::string{key} + "." + name + "[" + std::to_string(i) + "]").c_str(),
                      "must be a positive integer (minor units)");
        ladder.push_back(*x);
      }
    }
  }

  /// The `[[bots.farm]]` tables: bots and tactics each.
  void farms(std::vector<scenario::bot_farm>& out, bool& present) {
    auto* bots = root_.get_as<toml::table>("bots");
    if (!bots)
      return;
    present = true;
    seen_.insert("bots.farm");
    auto* node = bots->get("farm");
    if (!node)
      return fail("bots", "farm", "is missing: [bots] needs at least one [[bots.farm]]");
    const auto* arr = node->as_array();
    if (!arr || arr->empty() || arr->size() > 64)
      return fail("bots", "farm", "must be 1 to 64 [[bots.farm]] tables");
    static const std::set<std::string> known{"shared_device", "rotate_devices", "fast_solver",
                                             "shared_card", "hammer_status"};
    for (size_t i = 0; i < arr->size(); ++i) {
      auto where = "farm[" + std::to_string(i) + "]";
      const auto* t = (*arr)[i].as_table();
      if (!t)
        return fail("bots", where.c_str(), "must be a table");
      scenario::bot_farm farm;
      for (const auto& [k, v] : *t) {
        std::string key{k.str()};
        if (key == "bots") {
          auto x = v.is_integer() ? v.value<int64_t>() : std::nullopt;
          if (!x || *x < 1 || *x > 1'000'000)
            return fail("bots", (where + ".bots").c_str(), "must be an integer from 1 to 1000000");
          farm.bots = static_cast<uint32_t>(*x);
        } else if (key == "tactics") {
          const auto* ts = v.as_array();
          if (!ts)
            return fail("bots", (where + ".tactics").c_str(), "must be an array of tactics");
          for (size_t j = 0; j < ts->size(); ++j) {
            auto name = (*ts)[j].value<std::string>();
            if (!name || !known.contains(*name))
              return fail("bots", (where + ".tactics[" + std::to_string(j) + "]").c_str(),
                          "must be one of shared_device, rotate_devices, fast_solver, "
                          "shared_card, hammer_status");
            farm.tactics.push_back(*name);
          }
        } else {
          return fail("bots", (where + "." + key).c_str(), "is not a known key");
        }
      }
      if (farm.bots == 0)
        return fail("bots", (where + ".bots").c_str(), "is missing");
      out.push_back(std::move(farm));
    }
  }

  /// A table of small integers (`name = { key = 1 }`).
  void levels(const char* table, const char* key, std::map<std::string, uint32_t>& out) {
    auto node = at(table, key);
    if (!node)
      return;
    const auto* t = node->as_table();
    if (!t)
      return fail(table, key, "must be a table of levels by tier or section id");
    for (const auto& [k, v] : *t) {
      auto x = v.is_integer() ? v.value<int64_t>() : std::nullopt;
      if (!x || *x < 0 || *x > 4)
        return fail(table, (std::string{key} + "." + std::string{k.str()}).c_str(),
                    "must be a level from 0 to 4");
      out[std::string{k.str()}] = static_cast<uint32_t>(*x);
    }
  }

  void fail(const char* table, const char* key, const std::string& what) {
    if (!err_)
      err_ = caf::make_error(ec::invalid_input, file_ + ": " + path(table, key) + " " + what);
  }

  /// Keys the file has that no reader asked for: typos must not pass silently.
  void check_unknown() {
    for (const auto& [k, v] : root_) {
      std::string key{k.str()};
      if (const auto* t = v.as_table()) {
        for (const auto& [k2, v2] : *t)
          if (!seen_.contains(key + "." + std::string{k2.str()}))
            fail(key.c_str(), std::string{k2.str()}.c_str(), "is not a known key");
      } else if (!seen_.contains(key)) {
        fail("", key.c_str(), "is not a known key");
      }
    }
  }

private:
  static std::string path(const char* table, const char* key) {
    return *table ? std::string{table} + "." + key : std::string{key};
  }

  const toml::node* at(const char* table, const char* key) {
    seen_.insert(path(table, key));
    if (*table == 0)
      return root_.get(key);
    auto* t = root_.get_as<toml::table>(table);
    return t ? t->get(key) : nullptr;
  }

  const toml::table& root_;
  std::string file_;
  caf::error err_;
  std::set<std::string> seen_;
};

} // namespace

caf::expected<scenario> load_scenario(const std::filesystem::path& file) {
  std::ifstream in{file, std::ios::binary};
  if (!in)
    return caf::make_error(ec::invalid_input, file.string() + ": cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_scenario(text.str(), file.string(), file.stem().string());
}

caf::expected<scenario> parse_scenario(std::string_view text, const std::string& source,
                                       std::string default_name) {
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    auto where = e.source().begin;
    return caf::make_error(ec::invalid_input, source + ":" + std::to_string(where.line) + ":" +
                                                  std::to_string(where.column) + ": " +
                                                  std::string{e.description()});
  }
  scenario s;
  s.name = std::move(default_name);
  reader r{root, source};
  r.text("", "name", s.name);
  r.text("", "venue", s.venue);
  r.integer("sale", "hold_ttl_s", s.hold_ttl_s, 1, 3600);
  r.integer("sale", "admission_per_min", s.admission_per_min, 1, 1'000'000);
  r.integer("sale", "max_active_shoppers", s.max_active_shoppers, 1, 10'000'000);
  r.integer("sale", "max_tickets_per_account", s.max_tickets_per_account, 1, 100);
  r.text("sale", "queue_mode", s.queue_mode);
  r.integer("sale", "opens_after_s", s.opens_after_s, 0, 86'400);
  r.integer("population", "fans", s.fans, 1, 10'000'000);
  r.integer("population", "pre_queue", s.pre_queue, 0, 10'000'000);
  r.integer("population", "arrival_spread_s", s.arrival_spread_s, 0, 86'400);
  r.text("population", "arrival_curve", s.arrival_curve);
  r.integer("population", "seats_min", s.seats_min, 1, 100);
  r.integer("population", "seats_max", s.seats_max, 1, 100);
  r.integer("population", "think_min_s", s.think_min_s, 0, 3600);
  r.integer("population", "think_max_s", s.think_max_s, 0, 3600);
  r.integer("population", "poll_every_s", s.poll_every_s, 1, 600);
  r.number("population", "abandon_rate", s.abandon_rate, 0, 1);
  r.integer("population", "patience", s.patience, 1, 255);
  r.number("population", "decline_rate", s.decline_rate, 0, 1);
  r.number("population", "refund_rate", s.refund_rate, 0, 1);
  r.number("population", "transfer_rate", s.transfer_rate, 0, 1);
  r.integer("population", "refund_after_min_s", s.refund_after_min_s, 0, 86'400);
  r.integer("population", "refund_after_max_s", s.refund_after_max_s, 0, 86'400);
  r.integer("population", "max_duration_s", s.max_duration_s, 1, 7 * 86'400);
  r.number("http", "time_scale", s.time_scale, 0.001, 10);
  r.integer("http", "connections", s.connections, 1, 10'000);
  r.number("expect", "sold_share", s.expect_sold_share, 0, 1);
  r.ladders("pricing", "ladders", s.pricing.ladders, s.priced);
  r.levels("pricing", "start_levels", s.pricing.start_levels);
  r.integer("pricing", "interval_s", s.pricing.interval_s, 5, 3600);
  r.integer("pricing", "window_s", s.pricing.window_s, 60, 30 * 86'400);
  r.integer("pricing", "max_ceiling_permille", s.pricing.max_ceiling_permille, 1000, 4000);
  r.integer("pricing", "up_ticks", s.pricing.up_ticks, 1, 100);
  r.integer("pricing", "down_ticks", s.pricing.down_ticks, 1, 100);
  r.integer("pricing", "max_up_per_hour", s.pricing.max_up_per_hour, 0, 100);
  r.farms(s.farms, s.bots);
  r.number("bots", "step_up_rate", s.bot_step_up_rate, 0, 1);
  r.integer("bots", "step_up_tries", s.bot_step_up_tries, 1, 100);
  r.integer("bots", "hammer_per_s", s.hammer_per_s, 1, 100);
  r.integer("bots", "pow_bits", s.pow_bits, 0, 24);
  r.text("bots", "guard", s.guard);
  r.number("bots", "human_step_up_rate", s.human_step_up_rate, 0, 1);
  r.number("bots", "human_no_signals", s.human_no_signals, 0, 1);
  r.number("bots", "human_language_mismatch", s.human_language_mismatch, 0, 1);
  r.number("bots", "human_shared_prefix", s.human_shared_prefix, 0, 1);
  r.number("expect", "bot_seat_share_max", s.expect_bot_seat_share_max, 0, 1);
  r.number("expect", "humans_stepped_up_max", s.expect_humans_stepped_up_max, 0, 1);
  r.integer("expect", "humans_blocked_max", s.expect_humans_blocked_max, 0, 10'000'000);
  r.number("expect", "bot_requests_share_min", s.expect_bot_requests_share_min, 0, 1);
  r.check_unknown();
  if (!r.error()) {
    if (s.queue_mode != "shuffle" && s.queue_mode != "fifo")
      r.fail("sale", "queue_mode", "must be \"shuffle\" or \"fifo\"");
    if (s.arrival_curve != "even" && s.arrival_curve != "spike")
      r.fail("population", "arrival_curve", "must be \"even\" or \"spike\"");
    if (s.refund_after_min_s > s.refund_after_max_s)
      r.fail("population", "refund_after_min_s", "must not exceed population.refund_after_max_s");
    if (s.pre_queue > s.fans)
      r.fail("population", "pre_queue", "must not exceed population.fans");
    if (s.seats_min > s.seats_max)
      r.fail("population", "seats_min", "must not exceed population.seats_max");
    if (s.seats_max > s.max_tickets_per_account)
      r.fail("population", "seats_max", "must not exceed sale.max_tickets_per_account");
    if (s.think_min_s > s.think_max_s)
      r.fail("population", "think_min_s", "must not exceed population.think_max_s");
    if (s.guard != "enforce" && s.guard != "shadow")
      r.fail("bots", "guard", "must be \"enforce\" or \"shadow\"");
    for (const auto& f : s.farms)
      if (std::count(f.tactics.begin(), f.tactics.end(), "shared_device") &&
          std::count(f.tactics.begin(), f.tactics.end(), "rotate_devices"))
        r.fail("bots", "farm", "tactics: shared_device and rotate_devices exclude each other");
    if (!s.priced && root.get("pricing"))
      r.fail("pricing", "ladders", "is missing: a [pricing] section needs its ladders");
  }
  if (r.error())
    return r.error();
  return s;
}

} // namespace seatgrab::scenarios
