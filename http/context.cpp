#include "http/context.hpp"

#include "cluster/node.hpp"
#include "http/request.hpp"
#include "http/views.hpp"

#include <spdlog/spdlog.h>

#include <fstream>
#include <sstream>

namespace seatgrab::http {

context::context(cluster::node& n, api_options o)
    : node(n), sys(n.sys()), opts(std::move(o)), find(n), auth(n.lanes(), find, opts.admin_token),
      seatmaps(std::make_shared<seatmap_cache>(find, opts.stream_interval, opts.heartbeat)),
      limiter(opts.rate_per_s, opts.burst),
      poll_limiter(opts.rate_per_s > 0 ? opts.polls_per_s : 0, opts.poll_burst),
      pow(opts.pow_difficulty), fingerprints("device|" + n.context()->edge_key),
      step_ups("step-up|" + n.context()->edge_key),
      idem(std::make_shared<idempotency>(
          persistence::idempotency_store{n.db(), *n.context()->journal}, opts.idempotency_ttl,
          opts.idempotency_max_records)) {
  if (!opts.openapi_path.empty()) {
    std::ifstream in{opts.openapi_path};
    std::stringstream buf;
    buf << in.rdbuf();
    openapi = buf.str();
  }
  std::string error;
  if (auto parsed = client_addresses::parse(opts.trusted_proxies, error))
    clients = std::move(*parsed);
  else
    spdlog::error("{}: X-Forwarded-For is ignored", error);
  if (!pow.ready())
    spdlog::error("RAND_bytes failed: proof-of-work challenges will not verify");
  idem->load(wall_ms());
}

void with_owned(const context_ptr& ctx, const call& c, bool operators_too,
                std::function<void(auth_info, std::string, std::string, box_office_actor&)> k) {
  ctx->auth.authenticate(c.ex, [ctx, c, k, operators_too](auth_info who) {
    auto parts = split_public_id(c.params[0]);
    if (!parts)
      return c.ex->respond(problem(404, "not_found", "no such id"));
    if (who.is_operator && !operators_too && who.account == "operator")
      return c.ex->respond(problem(403, "forbidden", "the admin token owns no tickets"));
    auto event_id = parts->first; // named: clang 14 cannot capture structured bindings
    auto local = parts->second;
    ctx->find.office(event_id, or_problem<box_office_actor>(
                                   c.ex, [k, who, event_id, local](box_office_actor& office) {
                                     k(who, event_id, local, office);
                                   }));
  });
}

} // namespace seatgrab::http
