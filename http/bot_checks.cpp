#include "http/bot_checks.hpp"

#include "cluster/node.hpp"
#include "http/bridge.hpp"
#include "http/client_address.hpp"
#include "http/codec.hpp"
#include "http/problem.hpp"

#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>

namespace seatgrab::http {

namespace bhttp = boost::beast::http;

security::request_traits traits_of(const request& req) {
  security::request_traits out;
  out.user_agent = std::string{req[bhttp::field::user_agent]};
  out.accept_language = std::string{req[bhttp::field::accept_language]};
  // Bounded: a request has at most the parser's header limit anyway; 64 names say enough.
  for (const auto& f : req) {
    if (out.header_order.size() >= 64)
      break;
    std::string name{f.name_string()};
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    out.header_order.push_back(std::move(name));
  }
  return out;
}

std::string client_prefix(const call& c) {
  return security::address_prefix(c.client.empty() ? c.ex->remote() : c.client);
}

std::string step_up_subject(const std::string& event_id, const std::string& account) {
  return event_id + "|" + account;
}

json pow_json(const context_ptr& ctx, const std::string& event_id, uint32_t bits) {
  auto ch = ctx->pow.issue(event_id, wall_ms(), bits);
  return {{"challenge", ch.token},
          {"difficulty", bits},
          {"algorithm", "sha256-leading-zero-bits"},
          {"expires_at", rfc3339(ch.expires_at_ms)}};
}

namespace {

json step_up_json(const context_ptr& ctx, const std::string& event_id, const std::string& account) {
  auto ch = ctx->step_ups.issue(step_up_subject(event_id, account), wall_ms());
  return {{"token", ch.token},
          {"image", "/v1/challenges/step-up/" + ch.token + "/image.svg"},
          {"question", ch.question},
          {"expires_at", rfc3339(ch.expires_at_ms)}};
}

response with(response res, const char* key, json value) {
  auto body = json::parse(res.body(), nullptr, false);
  body[key] = std::move(value);
  res.body() = dump(body);
  return res;
}

/// The body's `signals` object; a problem is kept in `f`.
security::device_signals signals_of(const json& body, fields& f) {
  security::device_signals s;
  if (!f.has("signals"))
    return s;
  const auto& obj = body["signals"];
  if (!obj.is_object()) {
    f.fail("signals", "must be an object");
    return s;
  }
  fields g{obj};
  s.screen = g.str("screen", false, 32);
  s.timezone = g.str("timezone", false, 64);
  s.languages = g.str("languages", false, 256);
  s.platform = g.str("platform", false, 64);
  s.canvas = g.str("canvas", false, 128);
  s.audio = g.str("audio", false, 128);
  s.hardware_concurrency =
      static_cast<uint32_t>(g.integer("hardware_concurrency", 0, 1024, int64_t{0}));
  if (g.problem())
    f.fail("signals", "screen, timezone, platform: short strings; languages: a string; "
                      "canvas, audio: hashes; hardware_concurrency: 0..1024");
  return s;
}

} // namespace

std::optional<client_facts> join_facts(const context_ptr& ctx, const call& c, const json& body,
                                       const std::string& event_id, const std::string& account) {
  fields f{body};
  auto device = f.str("device", true, 128);
  auto signals = signals_of(body, f);
  std::string token;
  std::string nonce;
  if (f.has("challenge") || f.has("nonce")) {
    token = f.str("challenge", true, 256);
    nonce = f.str("nonce", true, 64);
  }
  std::string step_token;
  std::string step_answer;
  if (f.has("step_up")) {
    const auto& su = body["step_up"];
    if (!su.is_object()) {
      f.fail("step_up", "must be an object {\"token\", \"answer\"}");
    } else {
      fields g{su};
      step_token = g.str("token", true, 128);
      step_answer = g.str("answer", true, 32);
      if (g.problem())
        f.fail("step_up", "needs \"token\" and \"answer\" (short strings)");
    }
  }
  if (f.problem()) {
    c.ex->respond(*f.problem());
    return std::nullopt;
  }
  auto print = ctx->fingerprints.derive(device, signals, traits_of(c.ex->req()));
  client_facts facts;
  facts.device = print.device;
  facts.device_class = print.device_class;
  facts.anomalies = print.anomalies;
  facts.prefix = client_prefix(c);
  auto now = wall_ms();
  // The step-up first: a wrong answer leaves the work unspent, for the next try.
  if (!step_token.empty()) {
    auto checked =
        ctx->step_ups.check(step_token, step_answer, step_up_subject(event_id, account), now);
    if (!checked.ok) {
      // A fresh one for a wrong, spent or expired answer to ours; none for a made-up token.
      auto res = problem(403, "step_up_failed", checked.reason);
      if (checked.reason.find("forged") == std::string::npos &&
          checked.reason.find("malformed") == std::string::npos)
        res = with(std::move(res), "step_up", step_up_json(ctx, event_id, account));
      c.ex->respond(std::move(res));
      return std::nullopt;
    }
    facts.step_up_passed = true;
  }
  if (!token.empty()) {
    uint32_t bits = 0;
    int64_t issued = 0;
    auto result = ctx->pow.verify(token, nonce, event_id, now, &bits, &issued);
    if (result != security::pow_result::ok) {
      c.ex->respond(problem(403, "challenge_failed", security::to_string(result)));
      return std::nullopt;
    }
    facts.pow_bits = bits;
    facts.pow_solve_ms = std::max<int64_t>(0, now - issued);
  }
  return facts;
}

void answer_guarded(const context_ptr& ctx, const std::shared_ptr<exchange>& ex,
                    const caf::error& err, const std::string& event_id,
                    const std::string& account) {
  auto code = ec_of(err);
  if (code == ec::challenge_required) {
    uint32_t bits = 0;
    const auto& m = err.context();
    if (m.size() == 2 && m.match_element<uint32_t>(1))
      bits = m.get_as<uint32_t>(1);
    ctx->metrics.bot_challenge("pow");
    ex->respond(with(problem(err), "challenge", pow_json(ctx, event_id, bits)));
    return;
  }
  if (code == ec::step_up_required) {
    // The step-up, and the work to bring along with its answer.
    ctx->metrics.bot_challenge("step_up");
    auto res = with(problem(err), "step_up", step_up_json(ctx, event_id, account));
    const auto& m = err.context();
    if (m.size() == 2 && m.match_element<uint32_t>(1) && m.get_as<uint32_t>(1) > 0)
      res = with(std::move(res), "challenge", pow_json(ctx, event_id, m.get_as<uint32_t>(1)));
    ex->respond(std::move(res));
    return;
  }
  ex->respond(problem(err));
}

namespace {

// GET /v1/challenges/step-up/{token}/image.svg
void step_up_image(const context_ptr& ctx, const call& c) {
  auto svg = ctx->step_ups.image(c.params[0]);
  if (!svg)
    return c.ex->respond(problem(404, "not_found", "no such step-up challenge"));
  response res{bhttp::status::ok, 11};
  res.set(bhttp::field::content_type, "image/svg+xml");
  res.set(bhttp::field::cache_control, "no-store");
  res.body() = std::move(*svg);
  c.ex->respond(std::move(res));
}

json rules_json(const bot_rules& r) {
  json modes = json::object();
  for (const auto& [name, mode] : r.modes)
    modes[name] = to_string(mode);
  return {{"prefix_joins_per_min", r.prefix_joins_per_min},
          {"prefix_burst", r.prefix_burst},
          {"device_accounts", r.device_accounts},
          {"card_purchases_per_hour", r.card_purchases_per_hour},
          {"card_tickets", r.card_tickets},
          {"card_declines", r.card_declines},
          {"card_decline_window_s", r.card_decline_window_s},
          {"harder_at", r.harder_at},
          {"step_up_at", r.step_up_at},
          {"shadow_above", r.shadow_above},
          {"pow_base_bits", r.pow_base_bits},
          {"pow_max_bits", r.pow_max_bits},
          {"pow_harder_bits", r.pow_harder_bits},
          {"load_step_per_min", r.load_step_per_min},
          {"modes", modes}};
}

json offenders_json(const std::vector<offender>& xs) {
  json out = json::array();
  for (const auto& x : xs)
    out.push_back({{"key", x.key}, {"count", x.count}});
  return out;
}

json guard_json(const bot_guard_info& g) {
  return {{"event", g.event},
          {"rules", rules_json(g.rules)},
          {"difficulty", g.difficulty},
          {"joins_per_min", g.load_per_min},
          {"verdicts", g.verdicts},
          {"reasons", g.reasons},
          {"shadowed", g.shadowed},
          {"flagged", g.flagged},
          {"top",
           {{"prefixes", offenders_json(g.prefixes)},
            {"devices", offenders_json(g.devices)},
            {"cards", offenders_json(g.cards)}}}};
}

// GET /v1/admin/events/{id}/bots
void guard_info(const context_ptr& ctx, const call& c) {
  auto ex = c.ex;
  ctx->auth.operator_only(ex, [ctx, ex, id = c.params[0]](auth_info) {
    ctx->find.bots(id, or_problem<bot_guard_actor>(ex, [ctx, ex](bot_guard_actor& g) {
                     ask<bot_guard_info>(ctx->find.lanes(), g,
                                         reply_json<bot_guard_info>(ex, 200, &guard_json),
                                         atom::get_v, atom::bots_v);
                   }));
  });
}

// PUT /v1/admin/events/{id}/bots (after the operator check)
void put_rules_checked(const context_ptr& ctx, const call& c) {
  auto ex = c.ex;
  auto body = body_object(c);
  if (!body)
    return;
  bot_rules r = ctx->node.context()->bot_defaults;
  fields f{*body};
  auto num = [&](const char* name, uint32_t& field, int64_t max) {
    field = static_cast<uint32_t>(f.integer(name, 0, max, int64_t{field}));
  };
  num("prefix_joins_per_min", r.prefix_joins_per_min, 100'000);
  num("prefix_burst", r.prefix_burst, 100'000);
  num("device_accounts", r.device_accounts, 100);
  num("card_purchases_per_hour", r.card_purchases_per_hour, 1000);
  num("card_tickets", r.card_tickets, 1000);
  num("card_declines", r.card_declines, 1000);
  num("card_decline_window_s", r.card_decline_window_s, 86'400);
  num("harder_at", r.harder_at, 100);
  num("step_up_at", r.step_up_at, 100);
  num("shadow_above", r.shadow_above, 100);
  num("pow_base_bits", r.pow_base_bits, 24);
  num("pow_max_bits", r.pow_max_bits, 24);
  num("pow_harder_bits", r.pow_harder_bits, 8);
  num("load_step_per_min", r.load_step_per_min, 10'000'000);
  if (f.has("modes")) {
    // Given, the modes are these: a rule they do not name is enforced.
    r.modes.clear();
    const auto& modes = (*body)["modes"];
    if (!modes.is_object() || modes.size() > 16) {
      f.fail("modes", "an object of rule name -> \"enforce\", \"shadow\" or \"off\"");
    } else {
      for (const auto& [name, v] : modes.items()) {
        auto text = v.is_string() ? v.get<std::string>() : std::string{};
        if (text != "enforce" && text != "shadow" && text != "off") {
          f.fail("modes." + name, "\"enforce\", \"shadow\" or \"off\"");
          break;
        }
        r.modes[name] = text == "enforce"  ? rule_mode::enforce
                        : text == "shadow" ? rule_mode::shadow
                                           : rule_mode::off;
      }
    }
  }
  if (f.problem())
    return ex->respond(*f.problem());
  ctx->find.bots(c.params[0], or_problem<bot_guard_actor>(ex, [ctx, ex, r](bot_guard_actor& g) {
                   ask<bot_guard_info>(ctx->find.lanes(), g,
                                       reply_json<bot_guard_info>(ex, 200, &guard_json),
                                       atom::put_v, r);
                 }));
}

// PUT /v1/admin/events/{id}/bots
void put_rules(const context_ptr& ctx, const call& c) {
  ctx->auth.operator_only(c.ex, [ctx, c](auth_info) { put_rules_checked(ctx, c); });
}

} // namespace

const std::vector<route_spec>& bot_routes() {
  using v = bhttp::verb;
  static const std::vector<route_spec> all{
      {v::get, "/v1/challenges/step-up/{token}/image.svg", &step_up_image, key_scope::none},
      {v::get, "/v1/admin/events/{id}/bots", &guard_info, key_scope::none},
      {v::put, "/v1/admin/events/{id}/bots", &put_rules, key_scope::none},
  };
  return all;
}

} // namespace seatgrab::http
