// Routes of operations: health, Prometheus metrics and the OpenAPI document.

#include "cluster/node.hpp"
#include "http/bridge.hpp"
#include "http/context.hpp"
#include "persistence/group_commit.hpp"
#include "persistence/store.hpp"

#include <boost/beast/http.hpp>

#include <mutex>

namespace seatgrab::http {

namespace {

namespace bhttp = boost::beast::http;

// GET /healthz: healthy when the catalog answers. While the journal refuses writes (a full
// disk, an I/O error) the node still serves reads, so it answers 200 with status "degraded"
// and the reason: a load balancer keeps sending it reads, and writes get 503 + Retry-After.
void healthz(const context_ptr& ctx, const call& c) {
  auto ex = c.ex;
  auto journal = ctx->node.context()->journal->health();
  ctx->find.events([ex, journal](caf::expected<std::vector<event_info>> events) {
    if (!events)
      return ex->respond(problem(503, "unhealthy", render(events.error())));
    if (journal.writable())
      return ex->respond(json_response(200, {{"status", "ok"}, {"events", events->size()}}));
    ex->respond(json_response(200, {{"status", "degraded"},
                                    {"events", events->size()},
                                    {"writes", "refused"},
                                    {"code", std::string{to_string(ec_of(journal.cause))}},
                                    {"reason", render(journal.cause)},
                                    {"suspended_s", journal.suspended_s},
                                    {"refused", journal.refused}}));
  });
}

// GET /v1/openapi.json
void openapi_doc(const context_ptr& ctx, const call& c) {
  if (ctx->openapi.empty())
    return c.ex->respond(problem(404, "not_found", "no OpenAPI document configured"));
  response res{bhttp::status::ok, 11};
  res.set(bhttp::field::content_type, "application/json");
  res.body() = ctx->openapi;
  c.ex->respond(std::move(res));
}

response metrics_response(const context_ptr& ctx, const std::string& actor_part) {
  response res{bhttp::status::ok, 11};
  res.set(bhttp::field::content_type, "text/plain; version=0.0.4");
  res.body() =
      ctx->metrics.exposition(ctx->node.context()->journal->stats(), ctx->srv.load(), actor_part);
  res.body() += "# HELP seatgrab_http_idempotency_records_cached Idempotency answers kept in "
                "memory (older ones are read from storage).\n"
                "# TYPE seatgrab_http_idempotency_records_cached gauge\n"
                "seatgrab_http_idempotency_records_cached " +
                std::to_string(ctx->idem->cached()) + "\n";
  if (auto* db = ctx->node.context()->db) {
    auto m = db->memory();
    res.body() +=
        "# HELP seatgrab_store_memory_bytes What the store holds in memory, by kind.\n"
        "# TYPE seatgrab_store_memory_bytes gauge\n"
        "seatgrab_store_memory_bytes{kind=\"memtables\"} " +
        std::to_string(m.memtables) + "\nseatgrab_store_memory_bytes{kind=\"block_cache\"} " +
        std::to_string(m.block_cache) + "\nseatgrab_store_memory_bytes{kind=\"table_readers\"} " +
        std::to_string(m.table_readers) + "\n";
  }
  return res;
}

/// The metric lines of one event's seats.
std::string demand_lines(const std::string& id, const std::vector<section_demand>& d) {
  uint64_t holds = 0, sales = 0, expiries = 0, free = 0, held = 0, sold = 0;
  for (const auto& s : d) {
    holds += s.holds;
    sales += s.sales;
    expiries += s.expiries;
    free += s.free_now;
    held += s.held_now;
    sold += s.sold_now;
  }
  auto l = "{event=\"" + id + "\"}";
  return "seatgrab_holds_total" + l + " " + std::to_string(holds) + "\nseatgrab_sales_total" + l +
         " " + std::to_string(sales) + "\nseatgrab_hold_expiries_total" + l + " " +
         std::to_string(expiries) + "\nseatgrab_seats{event=\"" + id + "\",status=\"free\"} " +
         std::to_string(free) + "\nseatgrab_seats{event=\"" + id + "\",status=\"held\"} " +
         std::to_string(held) + "\nseatgrab_seats{event=\"" + id + "\",status=\"sold\"} " +
         std::to_string(sold) + "\n";
}

/// The metric lines of one event's queue.
std::string queue_lines(const std::string& id, const queue_info& q) {
  auto l = "{event=\"" + id + "\"}";
  return "seatgrab_queue_waiting" + l + " " + std::to_string(q.waiting) +
         "\nseatgrab_queue_active" + l + " " + std::to_string(q.active) +
         "\nseatgrab_queue_admitted_total" + l + " " + std::to_string(q.admitted) +
         "\nseatgrab_queue_admission_per_min" + l + " " + std::to_string(q.admission_per_min) +
         "\n";
}

/// The metric lines of one event's pricing (none while it has no policy).
std::string pricing_lines(const std::string& id, const pricing_info& p) {
  if (!p.dynamic)
    return {};
  std::string out;
  int64_t frozen_sections = 0;
  for (const auto& s : p.sections) {
    auto l = "{event=\"" + id + "\",section=\"" + s.section + "\"}";
    out += "seatgrab_price_level" + l + " " + std::to_string(s.level) + "\nseatgrab_price" + l +
           " " + std::to_string(s.price) + "\n";
    frozen_sections += s.frozen ? 1 : 0;
  }
  auto l = "{event=\"" + id + "\"}";
  return out + "seatgrab_price_version" + l + " " + std::to_string(p.price_version) +
         "\nseatgrab_price_ticks_total" + l + " " + std::to_string(p.ticks) +
         "\nseatgrab_pricing_frozen" + l + " " + (p.frozen ? "1" : "0") +
         "\nseatgrab_price_frozen_sections" + l + " " + std::to_string(frozen_sections) + "\n";
}

/// The metric lines of one event's bot guard: decisions by verdict and by reason, the base
/// proof of work, the joins of the last minute, the shadowed fans, the accounts flagged.
std::string bot_lines(const std::string& id, const bot_guard_info& g) {
  auto l = "event=\"" + id + "\"";
  std::string out;
  for (const auto& [verdict, n] : g.verdicts)
    out += "seatgrab_bot_decisions_total{" + l + ",verdict=\"" + verdict + "\"} " +
           std::to_string(n) + "\n";
  for (const auto& [reason, n] : g.reasons)
    out += "seatgrab_bot_reasons_total{" + l + ",reason=\"" + reason + "\"} " + std::to_string(n) +
           "\n";
  return out + "seatgrab_pow_difficulty{" + l + "} " + std::to_string(g.difficulty) +
         "\nseatgrab_bot_joins_per_min{" + l + "} " + std::to_string(g.load_per_min) +
         "\nseatgrab_bot_shadowed{" + l + "} " + std::to_string(g.shadowed) +
         "\nseatgrab_bot_flagged{" + l + "} " + std::to_string(g.flagged) + "\n";
}

// GET /metrics: the edge's own counters plus four line sets per event from its actors.
void metrics(const context_ptr& ctx, const call& c) {
  auto ex = c.ex;
  ctx->find.events(
      or_problem<std::vector<event_info>>(ex, [ctx, ex](std::vector<event_info>& events) {
        struct gather {
          std::mutex mtx;
          std::string text;
          size_t pending = 0;
        };
        auto g = std::make_shared<gather>();
        g->pending = events.size() * 4 + 1;
        auto finish = [ctx, ex, g](std::string part) {
          std::lock_guard lock{g->mtx};
          g->text += part;
          if (--g->pending == 0)
            ex->respond(metrics_response(ctx, g->text));
        };
        // The calls' figures, then what this member knows of the others.
        ask<std::vector<peer_state>>(
            ctx->find.lanes(), ctx->node.registry(),
            [ctx, finish](caf::expected<std::vector<peer_state>> peers) {
              finish(call_lines(ctx->find.lanes().calls()) + (peers ? peer_lines(*peers) : ""));
            },
            atom::get_v, atom::peers_v);
        for (const auto& ev : events) {
          auto id = ev.id;
          ctx->find.event(id, [ctx, finish, id](caf::expected<event_actor> hdl) {
            if (!hdl)
              return finish({});
            ask<std::vector<section_demand>>(
                ctx->find.lanes(), *hdl,
                [finish, id](caf::expected<std::vector<section_demand>> d) {
                  finish(d ? demand_lines(id, *d) : std::string{});
                },
                atom::get_v, atom::demand_v);
          });
          ctx->find.room(id, [ctx, finish, id](caf::expected<waiting_room_actor> room) {
            if (!room)
              return finish({});
            ask<queue_info>(
                ctx->find.lanes(), *room,
                [finish, id](caf::expected<queue_info> q) {
                  finish(q ? queue_lines(id, *q) : std::string{});
                },
                atom::get_v, atom::info_v);
          });
          ctx->find.pricing(id, [ctx, finish, id](caf::expected<pricing_actor> p) {
            if (!p)
              return finish({});
            ask<pricing_info>(
                ctx->find.lanes(), *p,
                [finish, id](caf::expected<pricing_info> x) {
                  finish(x ? pricing_lines(id, *x) : std::string{});
                },
                atom::get_v, atom::pricing_v);
          });
          ctx->find.bots(id, [ctx, finish, id](caf::expected<bot_guard_actor> b) {
            if (!b)
              return finish({});
            ask<bot_guard_info>(
                ctx->find.lanes(), *b,
                [finish, id](caf::expected<bot_guard_info> x) {
                  finish(x ? bot_lines(id, *x) : std::string{});
                },
                atom::get_v, atom::bots_v);
          });
        }
      }));
}

} // namespace

const std::vector<route_spec>& ops_routes() {
  using v = bhttp::verb;
  static const std::vector<route_spec> all{
      {v::get, "/healthz", &healthz, key_scope::none},
      {v::get, "/metrics", &metrics, key_scope::none},
      {v::get, "/v1/openapi.json", &openapi_doc, key_scope::none},
  };
  return all;
}

} // namespace seatgrab::http
