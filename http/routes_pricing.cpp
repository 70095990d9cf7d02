// Routes of dynamic pricing (DESIGN §8): the public prices of an event, and the operator's
// policy, freeze and manual level. Every answer is the event's pricing as it stands.

#include "http/bridge.hpp"
#include "http/codec.hpp"
#include "http/context.hpp"
#include "http/views.hpp"

#include <boost/beast/http.hpp>

namespace seatgrab::http {

namespace {

namespace bhttp = boost::beast::http;

// Runs `k` with the pricing engine of the call's event.
void with_pricing(const context_ptr& ctx, const call& c, std::function<void(pricing_actor&)> k) {
  ctx->find.pricing(c.params[0], or_problem<pricing_actor>(c.ex, std::move(k)));
}

// GET /v1/events/{id}/prices
void prices(const context_ptr& ctx, const call& c) {
  auto ex = c.ex;
  with_pricing(ctx, c, [ctx, ex](pricing_actor& p) {
    ask<pricing_info>(ctx->find.lanes(), p, reply_json<pricing_info>(ex, 200, &pricing_json),
                      atom::get_v, atom::pricing_v);
  });
}

// A ladder of prices: an array of integers (minor units); the engine checks the rest.
bool read_ladder(const json& x, const std::string& name, std::vector<int64_t>& out, fields& f) {
  if (!x.is_array() || x.empty() || x.size() > 5) {
    f.fail(name, "must be an array of 1 to 5 prices in minor units");
    return false;
  }
  for (size_t i = 0; i < x.size(); ++i) {
    if (!x[i].is_number_integer()) {
      f.fail(name + "[" + std::to_string(i) + "]", "must be an integer (minor units)");
      return false;
    }
    out.push_back(x[i].get<int64_t>());
  }
  return true;
}

// The policy of a PUT body; the first problem found is in `f`.
pricing_request read_policy(const json& body, fields& f) {
  pricing_request req;
  req.interval_s = static_cast<uint32_t>(f.integer("interval_s", 5, 3600, 30));
  req.window_s = static_cast<uint32_t>(f.integer("window_s", 60, 30 * 86400, 4 * 3600));
  req.max_ceiling_permille =
      static_cast<uint32_t>(f.integer("max_ceiling_permille", 1000, 4000, 2000));
  req.up_ticks = static_cast<uint32_t>(f.integer("up_ticks", 1, 100, 2));
  req.down_ticks = static_cast<uint32_t>(f.integer("down_ticks", 1, 100, 4));
  req.max_up_per_hour = static_cast<uint32_t>(f.integer("max_up_per_hour", 0, 100, 2));
  auto ladders = body.find("ladders");
  if (ladders == body.end() || !ladders->is_object() || ladders->empty() ||
      ladders->size() > 1000) {
    f.fail("ladders", "must be an object of 1 to 1000 ladders by tier or section id");
    return req;
  }
  for (const auto& [key, x] : ladders->items()) {
    auto& ladder = req.ladders[key];
    if (!read_ladder(x, "ladders." + key, ladder, f))
      return req;
  }
  if (auto starts = body.find("start_levels"); starts != body.end()) {
    if (!starts->is_object() || starts->size() > 1000) {
      f.fail("start_levels", "must be an object of levels by tier or section id");
      return req;
    }
    for (const auto& [key, x] : starts->items()) {
      if (!x.is_number_unsigned() || x.get<uint64_t>() >= 5) {
        f.fail("start_levels." + key, "must be a level 0..4");
        return req;
      }
      req.start_levels[key] = x.get<uint32_t>();
    }
  }
  return req;
}

// PUT /v1/admin/events/{id}/pricing
void put_policy(const context_ptr& ctx, const call& c) {
  ctx->auth.operator_only(c.ex, [ctx, c](auto&&) {
    auto body = body_object(c);
    if (!body)
      return;
    fields f{*body};
    auto req = read_policy(*body, f);
    if (f.problem())
      return c.ex->respond(*f.problem());
    auto ex = c.ex;
    with_pricing(ctx, c, [ctx, ex, req](pricing_actor& p) {
      ask<pricing_info>(ctx->find.lanes(), p, reply_json<pricing_info>(ex, 200, &pricing_json),
                        atom::put_v, req);
    });
  });
}

// The section a freeze or unfreeze names: "" (the whole event) without a body.
std::optional<std::string> section_of(const call& c) {
  if (c.ex->req().body().empty())
    return std::string{};
  auto body = body_object(c);
  if (!body)
    return std::nullopt;
  fields f{*body};
  auto section = f.str("section", false, 64);
  if (f.problem()) {
    c.ex->respond(*f.problem());
    return std::nullopt;
  }
  return section;
}

// POST /v1/admin/events/{id}/pricing/freeze|unfreeze [{"section"}]
template <class Atom>
void freeze_command(const context_ptr& ctx, const call& c, Atom what) {
  ctx->auth.operator_only(c.ex, [ctx, c, what](auto&&) {
    auto section = section_of(c);
    if (!section)
      return;
    auto ex = c.ex;
    with_pricing(ctx, c, [ctx, ex, what, section](pricing_actor& p) {
      ask<pricing_info>(ctx->find.lanes(), p, reply_json<pricing_info>(ex, 200, &pricing_json),
                        what, *section);
    });
  });
}

void freeze(const context_ptr& ctx, const call& c) {
  freeze_command(ctx, c, atom::freeze_v);
}

void unfreeze(const context_ptr& ctx, const call& c) {
  freeze_command(ctx, c, atom::unfreeze_v);
}

// POST /v1/admin/events/{id}/pricing/level {"section","level"}
void set_level(const context_ptr& ctx, const call& c) {
  ctx->auth.operator_only(c.ex, [ctx, c](auto&&) {
    auto body = body_object(c);
    if (!body)
      return;
    fields f{*body};
    auto section = f.str("section", true, 64);
    auto level = static_cast<uint32_t>(f.integer("level", 0, 4, std::nullopt));
    if (f.problem())
      return c.ex->respond(*f.problem());
    auto ex = c.ex;
    with_pricing(ctx, c, [ctx, ex, section, level](pricing_actor& p) {
      ask<pricing_info>(ctx->find.lanes(), p, reply_json<pricing_info>(ex, 200, &pricing_json),
                        atom::level_v, section, level);
    });
  });
}

} // namespace

const std::vector<route_spec>& pricing_routes() {
  using v = bhttp::verb;
  static const std::vector<route_spec> all{
      {v::get, "/v1/events/{id}/prices", &prices, key_scope::none},
      {v::put, "/v1/admin/events/{id}/pricing", &put_policy, key_scope::none},
      {v::post, "/v1/admin/events/{id}/pricing/freeze", &freeze, key_scope::none},
      {v::post, "/v1/admin/events/{id}/pricing/unfreeze", &unfreeze, key_scope::none},
      {v::post, "/v1/admin/events/{id}/pricing/level", &set_level, key_scope::none},
  };
  return all;
}

} // namespace seatgrab::http
