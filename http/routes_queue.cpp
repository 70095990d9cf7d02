// Routes of the waiting room: the proof-of-work challenge, joining the queue, the fan's place
// and its event stream.

#include "actors/waiting_room.hpp"
#include "cluster/node.hpp"
#include "http/bridge.hpp"
#include "http/codec.hpp"
#include "http/context.hpp"
#include "http/views.hpp"

#include <boost/beast/http.hpp>
#include <caf/event_based_actor.hpp>

#include <charconv>
#include <mutex>
#include <optional>

namespace seatgrab::http {

namespace {

using steady = std::chrono::steady_clock;

// GET /v1/events/{id}/challenge
void challenge(const context_ptr& ctx, const call& c) {
  auto ch = ctx->pow.issue(c.params[0], wall_ms());
  c.ex->respond(json_response(200, {{"challenge", ch.token},
                                    {"difficulty", ctx->pow.difficulty()},
                                    {"algorithm", "sha256-leading-zero-bits"},
                                    {"expires_at", rfc3339(ch.expires_at_ms)}}));
}

/// Checks a queue join's proof of work; answers the problem and returns false if it fails.
bool check_pow(const context_ptr& ctx, const call& c, const std::string& event_id, fields& f) {
  if (ctx->pow.difficulty() == 0)
    return true;
  auto token = f.str("challenge", true, 256);
  auto nonce = f.str("nonce", true, 64);
  if (f.problem()) {
    c.ex->respond(*f.problem());
    return false;
  }
  auto result = ctx->pow.verify(token, nonce, event_id, wall_ms());
  if (result == security::pow_result::ok)
    return true;
  c.ex->respond(problem(403, "challenge_failed", security::to_string(result)));
  return false;
}

// POST /v1/events/{id}/queue
void join_queue(const context_ptr& ctx, const call& c) {
  ctx->auth.authenticate(c.ex, [ctx, c](auth_info who) {
    auto body = body_object(c);
    if (!body)
      return;
    fields f{*body};
    auto device = f.str("device", true, 128);
    if (f.problem())
      return c.ex->respond(*f.problem());
    if (!check_pow(ctx, c, c.params[0], f))
      return;
    auto ex = c.ex;
    auto event_id = c.params[0];
    ctx->find.session(
        who.account, or_problem<session_actor>(ex, [ctx, ex, event_id, device](session_actor& s) {
          ask<queue_status>(ctx->find.lanes(), s, reply_json<queue_status>(ex, 201, &queue_json),
                            atom::join_v, event_id, device);
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

/// The fan's queue status for event `params[0]`, if `params[1]` is their ticket. A waiting
/// fan's is read from the board the room publishes on this node; otherwise the event's waiting
/// room answers (it knows whose ticket it is): a poll costs no session.
void my_queue_status(const context_ptr& ctx, const call& c, std::function<void(queue_status&)> k) {
  ctx->auth.authenticate(c.ex, [ctx, c, k](auth_info who) {
    auto ex = c.ex;
    auto ticket = ticket_number(c.params[1]);
    if (!ticket)
      return ex->respond(problem(404, "unknown_ticket", "not your queue ticket"));
    auto answered =
        actors::poll_board(*ctx->node.context(), ctx->sys, c.params[0], *ticket, who.account);
    ctx->metrics.queue_poll(answered.has_value());
    if (answered)
      return or_problem<queue_status>(ex, k)(std::move(*answered));
    ctx->find.room(c.params[0], or_problem<waiting_room_actor>(ex, [ctx, ex, who, ticket,
                                                                    k](waiting_room_actor& room) {
                     ask<queue_status>(ctx->find.lanes(), room, or_problem<queue_status>(ex, k),
                                       atom::get_v, *ticket, who.account);
                   }));
  });
}

// GET /v1/events/{id}/queue/{ticket}
void queue_status_route(const context_ptr& ctx, const call& c) {
  auto ex = c.ex;
  my_queue_status(ctx, c,
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
  } else if (!answered) {
    ctx->find.room_from(a, w->event_id, [a, w](waiting_room_actor& room) {
      a->request(room, call_timeout, atom::get_v, w->ticket, w->account)
          .then([w](queue_status& st) { w->show(st); }, [](caf::error&) {});
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
    my_queue_status(ctx, c, [ctx, ex, who, event_id = c.params[0]](queue_status& first) {
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
