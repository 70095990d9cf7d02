// Routes of the waiting room: the proof-of-work challenge, joining the queue, the fan's place
// and its event stream.

#include "actors/waiting_room.hpp"
#include "cluster/node.hpp"
#include "http/bot_checks.hpp"
#include "http/bridge.hpp"
#include "http/codec.hpp"
#include "http/context.hpp"
#include "http/views.hpp"

#include <boost/beast/http.hpp>
#include <caf/event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include <charconv>
#include <mutex>
#include <optional>

namespace seatgrab::http {

namespace {

using steady = std::chrono::steady_clock;

// GET /v1/events/{id}/challenge: at the difficulty the event's bot guard asks for now (it
// follows the joins of the last minute).
void challenge(const context_ptr& ctx, const call& c) {
  auto ex = c.ex;
  auto event_id = c.params[0];
  ctx->find.bots(event_id, or_problem<bot_guard_actor>(ex, [ctx, ex, event_id](bot_guard_actor& g) {
                   ask<uint32_t>(ctx->find.lanes(), g,
                                 or_problem<uint32_t>(ex,
                                                      [ctx, ex, event_id](uint32_t& bits) {
                                                        ex->respond(json_response(
                                                            200, pow_json(ctx, event_id, bits)));
                                                      }),
                                 atom::get_v, atom::challenge_v);
                 }));
}

// POST /v1/events/{id}/queue: the body's device, signals and solved challenges become the
// join's facts; the fan's session takes it past the event's bot guard to the room.
void join_queue(const context_ptr& ctx, const call& c) {
  ctx->auth.authenticate(c.ex, [ctx, c](auth_info who) {
    auto body = body_object(c);
    if (!body)
      return;
    auto event_id = c.params[0];
    auto facts = join_facts(ctx, c, *body, event_id, who.account);
    if (!facts)
      return;
    auto ex = c.ex;
    // Without the guard (serve --bot-guard off) the edge asks for the base work itself.
    if (!ctx->node.context()->bot_guard && facts->pow_bits < ctx->pow.difficulty())
      return answer_guarded(ctx, ex,
                            caf::make_error(ec::challenge_required,
                                            std::string{"solve the proof of work first"},
                                            ctx->pow.difficulty()),
                            event_id, who.account);
    ctx->find.session(who.account, or_problem<session_actor>(ex, [ctx, ex, event_id, who,
                                                                  facts](session_actor& s) {
                        ask<queue_status>(
                            ctx->find.lanes(), s,
                            [ctx, ex, event_id, who](caf::expected<queue_status> st) {
                              if (!st)
                                return answer_guarded(ctx, ex, st.error(), event_id, who.account);
                              ex->respond(json_response(201, queue_json(*st)));
                            },
                            atom::join_v, event_id, *facts);
                      }));
  });
}

/// The ticket number in a path, if it is one.
std::optional<uint64_t> ticket_number(const std::string& text) {
  uint64_t n = 0;
  auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (err != std::errc{} || end != text.data() + text.size() || n == 0)
    return std::nullopt;
  return n;
}

/// Tells event `event_id`'s bot guard that `account` kept polling through its 429s (once: the
/// watch reports each account once; the guard ignores an account it did not let in). A lost
/// word costs only the signal.
void flag_to_guard(const context_ptr& ctx, const std::string& event_id,
                   const std::string& account) {
  if (!ctx->node.context()->bot_guard)
    return; // the node runs without the guard
  ctx->find.bots(event_id, [ctx, account](caf::expected<bot_guard_actor> g) {
    if (!g)
      return; // an unknown event
    ask<void>(
        ctx->find.lanes(), *g,
        [account](caf::expected<void> r) {
          if (!r)
            spdlog::warn("bot guard: flag of {} lost: {}", account, render(r.error()));
        },
        atom::flag_v, account, std::string{ignores_retry_after});
  });
}

/// The fan's queue status for event `params[0]`, if `params[1]` is their ticket. A waiting
/// fan's is read from the board the room publishes on this node; otherwise the event's waiting
/// room answers (it knows whose ticket it is): a poll costs no session. Polls (`limited`) are
/// held to the account's rate; opening the status stream, the way the 429 points to, is not.
void my_queue_status(const context_ptr& ctx, const call& c, bool limited,
                     std::function<void(queue_status&)> k) {
  ctx->auth.authenticate(c.ex, [ctx, c, limited, k](auth_info who) {
    auto ex = c.ex;
    auto ticket = ticket_number(c.params[1]);
    if (!ticket)
      return ex->respond(problem(404, "unknown_ticket", "not your queue ticket"));
    auto event_id = c.params[0];
    auto wait = limited ? ctx->poll_limiter.admit(who.account, steady::now()) : 0;
    if (wait) {
      ctx->metrics.poll_throttled();
      if (ctx->poll_watch.refused(who.account, steady::now(), wait))
        flag_to_guard(ctx, event_id, who.account);
      return ex->respond(problem(429, "velocity_limited",
                                 "too many queue polls; the status stream tells every change",
                                 wait));
    }
    auto answered =
        actors::poll_board(*ctx->node.context(), ctx->sys, event_id, *ticket, who.account);
    ctx->metrics.queue_poll(answered.has_value());
    if (answered && (*answered || ec_of(answered->error()) != ec::unknown_ticket))
      return or_problem<queue_status>(ex, k)(std::move(*answered));
    // Not the room's (or not on the board): the room, then a place the bot guard shadowed.
    auto shadowed = [ctx, ex, who, ticket, k, event_id] {
      ctx->find.bots(event_id,
                     or_problem<bot_guard_actor>(ex, [ctx, ex, who, ticket, k](bot_guard_actor& g) {
                       ask<queue_status>(ctx->find.lanes(), g, or_problem<queue_status>(ex, k),
                                         atom::get_v, *ticket, who.account);
                     }));
    };
    ctx->find.room(event_id, or_problem<waiting_room_actor>(
                                 ex, [ctx, ex, who, ticket, k, shadowed](waiting_room_actor& room) {
                                   ask<queue_status>(
                                       ctx->find.lanes(), room,
                                       [ex, k, shadowed](caf::expected<queue_status> st) {
                                         if (!st && ec_of(st.error()) == ec::unknown_ticket)
                                           return shadowed();
                                         or_problem<queue_status>(ex, k)(std::move(st));
                                       },
                                       atom::get_v, *ticket, who.account);
                                 }));
  });
}

// GET /v1/events/{id}/queue/{ticket}
void queue_status_route(const context_ptr& ctx, const call& c) {
  auto ex = c.ex;
  my_queue_status(ctx, c, true,
                  [ex](queue_status& st) { ex->respond(json_response(200, queue_json(st))); });
}

/// One fan's queue stream, polled once a second from a bridge lane (no actor of its own).
struct queue_watch {
  context_ptr ctx;
  std::shared_ptr<event_stream> stream;
  std::string event_id;
  std::string account;
  uint64_t ticket = 0;
  size_t lane = 0;
  uint64_t seq = 1;
  std::string last; // the JSON last sent
  steady::time_point quiet = steady::now();

  /// Sends `st` if it changed, else a heartbeat once the stream was quiet long enough.
  void show(const queue_status& st) {
    auto now_json = dump(queue_json(st));
    if (now_json != last) {
      last = now_json;
      stream->send("event: status\nid: " + std::to_string(++seq) + "\ndata: " + now_json + "\n\n");
      quiet = steady::now();
    } else if (steady::now() - quiet >= ctx->opts.heartbeat) {
      stream->send(": heartbeat\n\n");
      quiet = steady::now();
    }
  }
};

void queue_tick(const std::shared_ptr<queue_watch>& w, caf::event_based_actor* a) {
  auto& ctx = w->ctx;
  if (!w->stream->open() || ctx->stopping) {
    w->stream->close();
    return;
  }
  // From the board while the fan waits; the room once it has more to say.
  auto answered =
      actors::poll_board(*ctx->node.context(), ctx->sys, w->event_id, w->ticket, w->account);
  if (answered && *answered) {
    w->show(**answered);
  } else if (!answered || ec_of(answered->error()) == ec::unknown_ticket) {
    ctx->find.room_from(a, w->event_id, [a, w](waiting_room_actor& room) {
      a->request(room, call_timeout, atom::get_v, w->ticket, w->account)
          .then([w](queue_status& st) { w->show(st); },
                [a, w](caf::error& err) {
                  if (ec_of(err) != ec::unknown_ticket)
                    return;
                  // A place the bot guard shadowed: told as before, heartbeats and all.
                  w->ctx->find.bots_from(a, w->event_id, [a, w](bot_guard_actor& g) {
                    a->request(g, call_timeout, atom::get_v, w->ticket, w->account)
                        .then([w](queue_status& st) { w->show(st); }, [](caf::error&) {});
                  });
                });
    });
  }
  ctx->find.lanes().post_after(w->lane, std::chrono::seconds{1},
                               [w](caf::event_based_actor* a) { queue_tick(w, a); });
}

// GET /v1/events/{id}/queue/{ticket}/stream (Server-Sent Events)
void queue_stream(const context_ptr& ctx, const call& c) {
  auto ex = c.ex;
  ctx->auth.authenticate(c.ex, [ctx, c, ex](auth_info who) {
    // Check ownership once, then poll the board (or the room) for changes.
    my_queue_status(ctx, c, false, [ctx, ex, who, event_id = c.params[0]](queue_status& first) {
      auto& lanes = ctx->find.lanes();
      auto w = std::make_shared<queue_watch>();
      w->ctx = ctx;
      w->stream = ex->open_stream(stream_head());
      w->event_id = event_id;
      w->account = who.account;
      w->ticket = first.ticket;
      w->lane = lanes.pick();
      w->last = dump(queue_json(first));
      w->stream->send("event: status\nid: 1\ndata: " + w->last + "\n\n");
      lanes.post_after(w->lane, std::chrono::seconds{1},
                       [w](caf::event_based_actor* a) { queue_tick(w, a); });
    });
  });
}

} // namespace

const std::vector<route_spec>& queue_routes() {
  using v = boost::beast::http::verb;
  static const std::vector<route_spec> all{
      {v::get, "/v1/events/{id}/challenge", &challenge, key_scope::none},
      {v::post, "/v1/events/{id}/queue", &join_queue, key_scope::account},
      {v::get, "/v1/events/{id}/queue/{ticket}", &queue_status_route, key_scope::none},
      {v::get, "/v1/events/{id}/queue/{ticket}/stream", &queue_stream, key_scope::none},
  };
  return all;
}

} // namespace seatgrab::http
