// Routes of venues and events: the operator's catalog and sale controls, the public event
// list and detail, the seat map and its event stream.

#include "http/bridge.hpp"
#include "http/codec.hpp"
#include "http/context.hpp"
#include "http/views.hpp"

#include <boost/beast/http.hpp>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <mutex>

namespace seatgrab::http {

namespace {

namespace bhttp = boost::beast::http;

// -- operators ---------------------------------------------------------------------------

// POST /v1/admin/venues (the venue JSON is checked by the catalog)
void add_venue(const context_ptr& ctx, const call& c) {
  ctx->auth.operator_only(c.ex, [ctx, c](auto&&) {
    auto ex = c.ex;
    if (!is_json(ex->req()))
      return ex->respond(
          problem(415, "unsupported_media_type", "send Content-Type: application/json"));
    ctx->find.add_venue(ex->req().body(), or_problem<std::string>(ex, [ex](std::string& id) {
                          ex->respond(json_response(201, {{"id", id}}));
                        }));
  });
}

// POST /v1/admin/events
void add_event(const context_ptr& ctx, const call& c) {
  ctx->auth.operator_only(c.ex, [ctx, c](auto&&) {
    auto body = body_object(c);
    if (!body)
      return;
    fields f{*body};
    event_info ev;
    ev.venue_id = f.str("venue_id", true, 64);
    ev.name = f.str("name", true, 200);
    auto opens = f.str("opens_at", true, 64);
    std::optional<int64_t> opens_ms;
    if (!f.problem()) {
      opens_ms = parse_rfc3339(opens);
      if (!opens_ms)
        f.fail("opens_at", "must be an RFC 3339 time, e.g. 2026-12-01T10:00:00Z");
    }
    ev.opens_at_ms = opens_ms.value_or(0);
    ev.hold_ttl_s = static_cast<uint32_t>(f.integer("hold_ttl_s", 1, 3600, 300));
    ev.max_hold_total_s = static_cast<uint32_t>(
        f.integer("max_hold_total_s", 1, 7200, std::max<int64_t>(600, ev.hold_ttl_s)));
    ev.admission_per_min =
        static_cast<uint32_t>(f.integer("admission_per_min", 1, 1'000'000, 5000));
    ev.max_active_shoppers =
        static_cast<uint32_t>(f.integer("max_active_shoppers", 1, 10'000'000, 10'000));
    ev.max_seats_per_hold = static_cast<uint32_t>(f.integer("max_seats_per_hold", 1, 100, 8));
    ev.max_tickets_per_account =
        static_cast<uint32_t>(f.integer("max_tickets_per_account", 1, 100, 8));
    ev.queue_mode = f.has("queue_mode") ? f.str("queue_mode", true, 16) : "shuffle";
    if (!f.problem() && ev.queue_mode != "shuffle" && ev.queue_mode != "fifo")
      f.fail("queue_mode", "must be \"shuffle\" or \"fifo\"");
    ev.rotating_codes = f.boolean("rotating_codes", false);
    if (f.has("refunds_until")) {
      auto until = parse_rfc3339(f.str("refunds_until", true, 64));
      if (!until)
        f.fail("refunds_until", "must be an RFC 3339 time");
      ev.refunds_until_ms = until.value_or(0);
    }
    ev.id = f.has("id") ? f.str("id", true, 64) : random_id("e");
    if (f.problem())
      return c.ex->respond(*f.problem());
    auto ex = c.ex;
    ctx->find.add_event(std::move(ev), or_problem<std::string>(ex, [ex](std::string& id) {
                          ex->respond(json_response(201, {{"id", id}}));
                        }));
  });
}

// POST /v1/admin/events/{id}/open|pause|resume: a command to the event's waiting room.
template <class Atom>
void room_command(const context_ptr& ctx, const call& c, Atom what) {
  ctx->auth.operator_only(c.ex, [ctx, c, what](auto&&) {
    auto ex = c.ex;
    ctx->find.room(c.params[0],
                   or_problem<waiting_room_actor>(ex, [ctx, ex, what](waiting_room_actor& room) {
                     ask<void>(ctx->find.lanes(), room, reply_empty(ex), what);
                   }));
  });
}

void open_event(const context_ptr& ctx, const call& c) {
  room_command(ctx, c, atom::open_v);
}

void pause_event(const context_ptr& ctx, const call& c) {
  room_command(ctx, c, atom::pause_v);
}

void resume_event(const context_ptr& ctx, const call& c) {
  room_command(ctx, c, atom::resume_v);
}

// POST /v1/admin/events/{id}/close: the sale ends. The waiting room first (no joins, nobody
// more admitted), then every section (no new holds); both are idempotent, so a failure part way
// is retried by the operator.
void close_event(const context_ptr& ctx, const call& c) {
  ctx->auth.operator_only(c.ex, [ctx, c](auto&&) {
    auto ex = c.ex;
    auto id = c.params[0];
    ctx->find.room(
        id, or_problem<waiting_room_actor>(ex, [ctx, ex, id](waiting_room_actor& room) {
          ask<void>(ctx->find.lanes(), room,
                    std::function<void(caf::expected<void>)>{[ctx, ex, id](caf::expected<void> r) {
                      if (!r)
                        return ex->respond(problem(r.error()));
                      ctx->find.event(id, or_problem<event_actor>(ex, [ctx, ex](event_actor& ev) {
                                        ask<void>(ctx->find.lanes(), ev, reply_empty(ex),
                                                  atom::close_v);
                                      }));
                    }},
                    atom::close_v);
        }));
  });
}

// -- events -------------------------------------------------------------------------------

using queue_infos = std::vector<std::optional<queue_info>>;
using render_fn = std::function<void(const std::vector<event_info>&, const queue_infos&)>;

/// Gathers the queue facts of `events` (one request each) and answers with `render`.
void with_queue_infos(const context_ptr& ctx, std::vector<event_info> events, render_fn render) {
  struct gather {
    std::mutex mtx;
    std::vector<event_info> events;
    queue_infos infos;
    size_t pending;
    render_fn render;
  };
  auto g = std::make_shared<gather>();
  g->events = std::move(events);
  g->infos.resize(g->events.size());
  g->pending = g->events.size();
  g->render = std::move(render);
  if (g->pending == 0)
    return g->render(g->events, g->infos);
  auto finish = [g](size_t i, std::optional<queue_info> q) {
    std::lock_guard lock{g->mtx};
    g->infos[i] = std::move(q);
    if (--g->pending == 0)
      g->render(g->events, g->infos);
  };
  for (size_t i = 0; i < g->events.size(); ++i) {
    ctx->find.room(g->events[i].id, [ctx, finish, i](caf::expected<waiting_room_actor> room) {
      if (!room)
        return finish(i, std::nullopt);
      ask<queue_info>(
          ctx->find.lanes(), *room,
          [finish, i](caf::expected<queue_info> q) {
            finish(i, q ? std::optional<queue_info>{std::move(*q)} : std::nullopt);
          },
          atom::get_v, atom::info_v);
    });
  }
}

// GET /v1/events
void list_events(const context_ptr& ctx, const call& c) {
  auto ex = c.ex;
  ctx->find.events(
      or_problem<std::vector<event_info>>(ex, [ctx, ex](std::vector<event_info>& events) {
        with_queue_infos(ctx, events, [ex](const auto& evs, const auto& infos) {
          auto list = json::array();
          for (size_t i = 0; i < evs.size(); ++i)
            list.push_back(event_json(evs[i], infos[i]));
          ex->respond(json_response(200, {{"events", std::move(list)}}));
        });
      }));
}

// GET /v1/events/{id}
void event_detail(const context_ptr& ctx, const call& c) {
  auto ex = c.ex;
  auto id = c.params[0];
  ctx->find.events(
      or_problem<std::vector<event_info>>(ex, [ctx, ex, id](std::vector<event_info>& events) {
        auto i = std::find_if(events.begin(), events.end(),
                              [&](const event_info& e) { return e.id == id; });
        if (i == events.end())
          return ex->respond(problem(404, "not_found", "no event " + id));
        with_queue_infos(ctx, {*i}, [ctx, ex, id](const auto& evs, const auto& infos) {
          // The published ladders are part of what a fan is shown before the sale.
          auto detail = event_json(evs[0], infos[0]);
          ctx->find.pricing(id, [ctx, ex, detail](caf::expected<pricing_actor> p) mutable {
            if (!p)
              return ex->respond(json_response(200, detail));
            ask<pricing_info>(
                ctx->find.lanes(), *p,
                [ex, detail](caf::expected<pricing_info> x) mutable {
                  if (x && x->dynamic)
                    detail["pricing"] = published_pricing_json(*x);
                  ex->respond(json_response(200, detail));
                },
                atom::get_v, atom::pricing_v);
          });
        });
      }));
}

// -- venue layout ---------------------------------------------------------------------------

/// Whether `accept_encoding` takes gzip: a "gzip" coding (any case) whose q is not 0.
bool takes_gzip(std::string_view accept_encoding) {
  auto trimmed_lower = [](std::string_view x) {
    while (!x.empty() && (x.front() == ' ' || x.front() == '\t'))
      x.remove_prefix(1);
    while (!x.empty() && (x.back() == ' ' || x.back() == '\t'))
      x.remove_suffix(1);
    std::string out{x};
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    return out;
  };
  for (size_t at = 0; at <= accept_encoding.size();) {
    auto end = std::min(accept_encoding.find(',', at), accept_encoding.size());
    auto item = accept_encoding.substr(at, end - at);
    at = end + 1;
    auto semi = item.find(';');
    if (trimmed_lower(item.substr(0, semi)) != "gzip")
      continue;
    if (semi == std::string_view::npos)
      return true;
    auto params = trimmed_lower(item.substr(semi + 1));
    return !params.starts_with("q=") || std::strtod(params.c_str() + 2, nullptr) > 0;
  }
  return false;
}

void answer_venue(const std::shared_ptr<exchange>& ex, const venue_layout& v) {
  const auto& req = ex->req();
  auto ae = req[bhttp::field::accept_encoding];
  bool gz = takes_gzip({ae.data(), ae.size()});
  const auto& etag = gz ? v.gz_etag : v.etag;
  auto inm = req[bhttp::field::if_none_match];
  // A venue never changes once added: a day's caching, then revalidation by content hash.
  auto cache = "public, max-age=86400";
  if (std::string_view{inm.data(), inm.size()} == etag) {
    auto res = empty_response(304);
    res.set(bhttp::field::etag, etag);
    res.set(bhttp::field::cache_control, cache);
    res.set(bhttp::field::vary, "Accept-Encoding");
    return ex->respond(std::move(res));
  }
  response res{bhttp::status::ok, 11};
  res.set(bhttp::field::content_type, "application/json");
  res.set(bhttp::field::etag, etag);
  res.set(bhttp::field::cache_control, cache);
  res.set(bhttp::field::vary, "Accept-Encoding");
  if (gz)
    res.set(bhttp::field::content_encoding, "gzip");
  res.body() = gz ? v.gzipped : v.json;
  ex->respond(std::move(res));
}

// GET /v1/venues/{id}: the layout the seat map is drawn from (sections, rows, seat positions).
void venue_route(const context_ptr& ctx, const call& c) {
  auto ex = c.ex;
  auto id = c.params[0];
  if (auto kept = ctx->venues.find(id))
    return answer_venue(ex, *kept);
  ctx->find.venue(id, or_problem<std::string>(ex, [ctx, ex, id](std::string& json) {
                    answer_venue(ex, *ctx->venues.keep(id, std::move(json)));
                  }));
}

// -- seat map -----------------------------------------------------------------------------

/// The seat map (or one section of it) with an ETag, 304 for a match, gzip when accepted.
void answer_seatmap(const std::shared_ptr<exchange>& ex, const std::string& event_id,
                    const std::string& section, const seatmap_snapshot& snap) {
  if (!section.empty() && !snap.section(section))
    return ex->respond(problem(404, "unknown_section", "no section " + section));
  auto version = section.empty() ? snap.map.version : [&] {
    for (const auto& m : snap.map.sections)
      if (m.section == section)
        return m.version;
    return uint64_t{0};
  }();
  auto etag = "\"" + event_id + (section.empty() ? "" : "/" + section) + "-" +
              std::to_string(version) + "\"";
  const auto& req = ex->req();
  auto inm = req[bhttp::field::if_none_match];
  if (std::string_view{inm.data(), inm.size()} == etag) {
    auto res = empty_response(304);
    res.set(bhttp::field::etag, etag);
    return ex->respond(std::move(res));
  }
  response res{bhttp::status::ok, 11};
  res.set(bhttp::field::content_type, "application/json");
  res.set(bhttp::field::etag, etag);
  res.set(bhttp::field::cache_control, "no-cache");
  res.set(bhttp::field::vary, "Accept-Encoding");
  auto ae = req[bhttp::field::accept_encoding];
  if (std::string_view{ae.data(), ae.size()}.find("gzip") != std::string_view::npos) {
    res.set(bhttp::field::content_encoding, "gzip");
    res.body() = *snap.gzipped(section);
  } else {
    res.body() = section.empty() ? *snap.whole() : *snap.section(section);
  }
  ex->respond(std::move(res));
}

// GET /v1/events/{id}/seatmap[?section=]
void seatmap(const context_ptr& ctx, const call& c) {
  auto ex = c.ex;
  auto event_id = c.params[0];
  std::string section;
  if (auto i = c.query.find("section"); i != c.query.end())
    section = i->second;
  ctx->seatmaps->get(
      event_id, ctx->opts.seatmap_max_age,
      [ex, event_id, section](std::shared_ptr<const seatmap_snapshot> snap, caf::error err) {
        if (!snap)
          return ex->respond(problem(err));
        answer_seatmap(ex, event_id, section, *snap);
      });
}

// GET /v1/events/{id}/seatmap/stream (Server-Sent Events)
void seatmap_stream(const context_ptr& ctx, const call& c) {
  auto ex = c.ex;
  auto event_id = c.params[0];
  auto last = ex->req()["Last-Event-ID"];
  std::string last_id{last.data(), last.size()};
  ctx->seatmaps->get(
      event_id, ctx->opts.seatmap_max_age,
      [ctx, ex, event_id, last_id](std::shared_ptr<const seatmap_snapshot> snap, caf::error err) {
        if (!snap)
          return ex->respond(problem(err));
        auto stream = ex->open_stream(stream_head());
        if (!stream->open())
          return; // refused (a stream cap): answered already
        // A resume at the current version needs no snapshot; otherwise send one, shared with
        // every other stream of this version rather than copied.
        if (last_id != std::to_string(snap->map.version))
          stream->send(snap->stream_frame());
        else
          stream->send(": resumed\n\n");
        ctx->seatmaps->watch(event_id, stream, snap);
      });
}

// PUT /v1/admin/events/{id}/admission {"admission_per_min"}: the waiting room's pace from now
// on (journaled by the room); answers the event's detail, which shows the new pace.
void set_admission(const context_ptr& ctx, const call& c) {
  ctx->auth.operator_only(c.ex, [ctx, c](auto&&) {
    auto body = body_object(c);
    if (!body)
      return;
    fields f{*body};
    auto per_min = static_cast<uint32_t>(f.integer("admission_per_min", 1, 1'000'000, {}));
    if (f.problem())
      return c.ex->respond(*f.problem());
    auto ex = c.ex;
    ctx->find.room(
        c.params[0],
        or_problem<waiting_room_actor>(ex, [ctx, c, ex, per_min](waiting_room_actor& room) {
          ask<void>(ctx->find.lanes(), room,
                    std::function<void(caf::expected<void>)>{[ctx, c, ex](caf::expected<void> r) {
                      if (!r)
                        return ex->respond(problem(r.error()));
                      event_detail(ctx, c);
                    }},
                    atom::rate_v, per_min);
        }));
  });
}

} // namespace

const std::vector<route_spec>& event_routes() {
  using v = bhttp::verb;
  static const std::vector<route_spec> all{
      {v::post, "/v1/admin/venues", &add_venue, key_scope::account},
      {v::post, "/v1/admin/events", &add_event, key_scope::account},
      {v::post, "/v1/admin/events/{id}/open", &open_event, key_scope::none},
      {v::post, "/v1/admin/events/{id}/pause", &pause_event, key_scope::none},
      {v::post, "/v1/admin/events/{id}/resume", &resume_event, key_scope::none},
      {v::post, "/v1/admin/events/{id}/close", &close_event, key_scope::none},
      {v::put, "/v1/admin/events/{id}/admission", &set_admission, key_scope::none},
      {v::get, "/v1/venues/{id}", &venue_route, key_scope::none},
      {v::get, "/v1/events", &list_events, key_scope::none},
      {v::get, "/v1/events/{id}", &event_detail, key_scope::none},
      {v::get, "/v1/events/{id}/seatmap", &seatmap, key_scope::none},
      {v::get, "/v1/events/{id}/seatmap/stream", &seatmap_stream, key_scope::none},
  };
  return all;
}

} // namespace seatgrab::http
