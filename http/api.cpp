// The API's front door: matches a request to its route, counts and times it, applies the rate
// limit, the load limit and idempotency keys (after authentication), then runs the route
// (routes_*.cpp); the front end's files (web_files) pass the same limits.

#include "http/api.hpp"

#include "http/context.hpp"
#include "http/exchanges.hpp"
#include "http/problem.hpp"
#include "http/router.hpp"
#include "http/web_files.hpp"

#include <boost/beast/http.hpp>

namespace seatgrab::http {

namespace bhttp = boost::beast::http;
using steady = std::chrono::steady_clock;

namespace {

/// Every route, once: the router and `api::routes()` (the OpenAPI check) both use it.
const std::vector<route_spec>& route_table() {
  static const std::vector<route_spec> all = [] {
    std::vector<route_spec> result;
    for (const auto* part : {&account_routes(), &event_routes(), &queue_routes(), &hold_routes(),
                             &ticket_routes(), &ops_routes(), &pricing_routes(), &bot_routes()})
      result.insert(result.end(), part->begin(), part->end());
    return result;
  }();
  return all;
}

} // namespace

struct api::impl {
  impl(cluster::node& node, api_options opts)
      : ctx(std::make_shared<context>(node, std::move(opts))), routes(route_table()) {
    // nop
  }

  void handle(std::shared_ptr<exchange> raw) {
    auto started = steady::now();
    const auto& req = raw->req();
    std::string_view target{req.target().data(), req.target().size()};
    auto m = routes.match(req.method(), target);
    // The front end's pages and files (web/): outside the API, under its rate limit.
    auto path = target.substr(0, target.find('?'));
    bool web = !m.route && m.allowed.empty() && web_files::built_in().owns(path);
    auto name = m.route ? router::name(*m.route) : web ? std::string{"GET /web"} : "unmatched";
    // Every answer is counted and timed.
    auto ex =
        std::make_shared<tracked>(std::move(raw), [ctx = ctx, name, started](unsigned status) {
          ctx->metrics.observe(name, status, steady::now() - started);
        });
    if (!m.route && !web) {
      if (!m.allowed.empty()) {
        auto res = problem(405, "method_not_allowed", "this path allows other methods");
        std::string allow;
        for (const auto& method : m.allowed)
          allow += (allow.empty() ? "" : ", ") + method;
        res.set(bhttp::field::allow, allow);
        ex->respond(std::move(res));
      } else {
        ex->respond(problem(404, "not_found", "no such route"));
      }
      return;
    }
    std::string_view pattern = web ? std::string_view{"/web"} : m.route->pattern;
    std::string forwarded;
    for (auto [it, end] = req.equal_range("X-Forwarded-For"); it != end; ++it)
      forwarded += (forwarded.empty() ? "" : ",") + std::string{it->value()};
    auto client = ctx->clients.client(ex->remote(), forwarded);
    if (pattern != "/healthz" && pattern != "/metrics") {
      if (auto wait = ctx->limiter.admit(client, started)) {
        ex->respond(problem(429, "rate_limited", "too many requests from this address", wait));
        return;
      }
      // Streams are long-lived and not counted as load.
      if (ex->req().method() != bhttp::verb::get || !pattern.ends_with("/stream")) {
        if (ctx->in_flight->load() >= ctx->opts.max_in_flight) {
          ex->respond(problem(503, "overloaded", "the server is at capacity"));
          return;
        }
      }
    }
    if (web)
      return ex->respond(web_files::built_in().answer(req, path));
    call c{ex, std::move(m.params), std::move(m.query), std::move(client)};
    auto fn = m.route->fn;
    if (m.route->keys == key_scope::none || ex->req().count("Idempotency-Key") == 0)
      return fn(ctx, c);
    if (m.route->keys == key_scope::address)
      return ctx->idem->guard(ex, "ip:" + c.client, [ctx = ctx, c, fn] { fn(ctx, c); });
    // Authenticate before looking at the key: an unknown or logged-out caller gets the same
    // 401 as without one, is never replayed a stored answer and leaves no record. The key is
    // the account's, so a new session of the same account replays. The route authenticates
    // again, from the token cache.
    ctx->auth.authenticate(
        ex, [ctx = ctx, ex, c, fn, answer_first = m.route->answer_first](const auth_info& who) {
          ctx->idem->guard(
              ex, "account:" + who.account, [ctx, c, fn] { fn(ctx, c); }, answer_first);
        });
  }

  context_ptr ctx;
  router routes;
};

api::api(cluster::node& node, api_options opts)
    : impl_(std::make_shared<impl>(node, std::move(opts))) {
  // nop
}

api::~api() {
  shutdown();
}

void api::handle(std::shared_ptr<exchange> ex) {
  // The in-flight count drops when the answer goes out.
  impl_->handle(std::make_shared<counted>(std::move(ex), impl_->ctx->in_flight));
}

void api::attach(const server* srv) {
  impl_->ctx->srv = srv;
}

void api::shutdown() {
  impl_->ctx->stopping = true;
  impl_->ctx->seatmaps->stop();
}

const std::vector<std::string>& api::routes() {
  static const std::vector<std::string> all = [] {
    std::vector<std::string> result;
    for (const auto& r : route_table())
      result.push_back(router::name(r));
    return result;
  }();
  return all;
}

response server_problem(unsigned status, std::string_view code, std::string_view detail) {
  return problem(status, code, detail);
}

} // namespace seatgrab::http
