// Routes of tickets: the fan's tickets, one ticket and its QR code, transfer, refund, and the
// operator's scan at the gate.

#include "domain/qr.hpp"
#include "domain/ticket.hpp"
#include "http/bridge.hpp"
#include "http/context.hpp"
#include "http/views.hpp"

#include <boost/beast/http.hpp>

#include <mutex>

namespace seatgrab::http {

namespace {

namespace bhttp = boost::beast::http;

/// The request's Idempotency-Key (empty: none). The edge has checked it (1 to 255 bytes) and
/// scoped it: the box office journals it with the transfer or refund it guards, so a retry
/// after a crash before the edge stored the answer finds the change made.
std::string request_key(const std::shared_ptr<exchange>& ex) {
  auto key = ex->req()["Idempotency-Key"];
  return std::string{key.data(), key.size()};
}

// GET /v1/tickets: the caller's tickets of every event.
void tickets(const context_ptr& ctx, const call& c) {
  ctx->auth.authenticate(c.ex, [ctx, c](auth_info who) {
    auto ex = c.ex;
    ctx->find.events(or_problem<std::vector<event_info>>(ex, [ctx, ex, who](
                                                                 std::vector<event_info>& events) {
      struct gather {
        std::mutex mtx;
        json list = json::array();
        size_t pending = 0;
        caf::error err;
      };
      auto g = std::make_shared<gather>();
      g->pending = events.size();
      if (events.empty())
        return ex->respond(json_response(200, {{"tickets", json::array()}}));
      for (const auto& ev : events) {
        ctx->find.office(ev.id, [ctx, ex, who, g](caf::expected<box_office_actor> office) {
          auto finish = [ex, g](std::vector<ticket_info> ts, caf::error err) {
            std::lock_guard lock{g->mtx};
            for (const auto& t : ts)
              g->list.push_back(ticket_json(t));
            if (err && !g->err)
              g->err = err;
            if (--g->pending == 0)
              ex->respond(g->err ? problem(g->err) : json_response(200, {{"tickets", g->list}}));
          };
          if (!office)
            return finish({}, office.error());
          ask<std::vector<ticket_info>>(
              ctx->find.lanes(), *office,
              [finish](caf::expected<std::vector<ticket_info>> ts) {
                if (!ts)
                  return finish({}, ts.error());
                finish(std::move(*ts), {});
              },
              atom::get_v, atom::tickets_v, who.account);
        });
      }
    }));
  });
}

// GET /v1/tickets/{id}
void ticket(const context_ptr& ctx, const call& c) {
  auto ex = c.ex;
  with_owned(ctx, c, false,
             [ctx, ex](auth_info who, std::string, std::string id, box_office_actor& office) {
               ask<ticket_info>(ctx->find.lanes(), office,
                                reply_json<ticket_info>(ex, 200, &ticket_json), atom::get_v,
                                atom::ticket_v, id, who.account);
             });
}

/// The ticket's code as an SVG QR code; 409 while the ticket has no valid code.
void answer_qr(const std::shared_ptr<exchange>& ex, const ticket_info& t) {
  if (t.code.empty())
    return ex->respond(problem(409, "ticket_" + t.status, "the ticket is " + t.status));
  auto svg = domain::qr_svg(t.code);
  if (!svg)
    return ex->respond(problem(svg.error()));
  response res{bhttp::status::ok, 11};
  res.set(bhttp::field::content_type, "image/svg+xml");
  res.set(bhttp::field::cache_control, "no-store");
  res.body() = std::move(*svg);
  ex->respond(std::move(res));
}

// GET /v1/tickets/{id}/qr.svg
void ticket_qr(const context_ptr& ctx, const call& c) {
  auto ex = c.ex;
  with_owned(ctx, c, false,
             [ctx, ex](auth_info who, std::string, std::string id, box_office_actor& office) {
               ask<ticket_info>(
                   ctx->find.lanes(), office,
                   or_problem<ticket_info>(ex, [ex](ticket_info& t) { answer_qr(ex, t); }),
                   atom::get_v, atom::ticket_v, id, who.account);
             });
}

// POST /v1/tickets/{id}/transfer: to the account with the email `to`. The caller is
// authenticated before the body is read.
void transfer(const context_ptr& ctx, const call& c) {
  with_owned(
      ctx, c, false,
      [ctx, c](auth_info who, std::string, std::string id, box_office_actor& office) {
        auto body = body_object(c);
        if (!body)
          return;
        fields f{*body};
        auto to = f.str("to", true, 254);
        if (f.problem())
          return c.ex->respond(*f.problem());
        auto ex = c.ex;
        // The recipient's account is in the shard of their e-mail.
        ctx->find.accounts_for_email(
            to,
            or_problem<accounts_actor>(ex, [ctx, ex, who, id, office, to](accounts_actor& shard) {
              ask<account_summary>(
                  ctx->find.lanes(), shard,
                  [ctx, ex, who, id, office](caf::expected<account_summary> target) {
                    if (!target && ec_of(target.error()) != ec::not_found)
                      return ex->respond(problem(target.error()));
                    if (!target)
                      return ex->respond(field_problem("to", "no account with that email"));
                    // The box office checks ownership first (404 for someone else's
                    // ticket), then refuses a transfer to oneself: that one names the
                    // field.
                    auto to_self = target->id == who.account;
                    auto answer = reply_json<ticket_info>(ex, 200, &ticket_json);
                    ask<ticket_info>(
                        ctx->find.lanes(), office,
                        [ex, to_self, answer](caf::expected<ticket_info> r) {
                          if (!r && to_self && ec_of(r.error()) == ec::invalid_argument)
                            return ex->respond(field_problem("to", "the ticket is yours already"));
                          answer(std::move(r));
                        },
                        atom::transfer_v, id, who.account, target->id, request_key(ex));
                  },
                  atom::get_v, atom::account_v, to);
            }));
      });
}

// POST /v1/tickets/{id}/refund (the holder, or an operator)
void refund(const context_ptr& ctx, const call& c) {
  auto ex = c.ex;
  with_owned(ctx, c, true,
             [ctx, ex](auth_info who, std::string, std::string id, box_office_actor& office) {
               ask<ticket_info>(ctx->find.lanes(), office,
                                reply_json<ticket_info>(ex, 200, &ticket_json), atom::refund_v, id,
                                who.account, who.is_operator, request_key(ex));
             });
}

// POST /v1/scan (operators)
void scan(const context_ptr& ctx, const call& c) {
  ctx->auth.operator_only(c.ex, [ctx, c](auto&&) {
    auto body = body_object(c);
    if (!body)
      return;
    fields f{*body};
    auto code = f.str("code", true, 1024);
    if (f.problem())
      return c.ex->respond(*f.problem());
    // The code names its event inside the signed payload; find it without trusting it: the
    // event's box office verifies the signature.
    auto payload = domain::peek_code(code);
    auto ex = c.ex;
    if (!payload)
      return ex->respond(json_response(200, {{"result", "invalid"}}));
    ctx->find.office(payload->event_id, [ctx, ex, code](caf::expected<box_office_actor> office) {
      if (!office) // an unknown event: not one of our tickets
        return ex->respond(json_response(200, {{"result", "invalid"}}));
      ask<scan_info>(ctx->find.lanes(), *office, reply_json<scan_info>(ex, 200, &scan_json),
                     atom::scan_v, code);
    });
  });
}

} // namespace

const std::vector<route_spec>& ticket_routes() {
  using v = bhttp::verb;
  static const std::vector<route_spec> all{
      {v::get, "/v1/tickets", &tickets, key_scope::none},
      {v::get, "/v1/tickets/{id}", &ticket, key_scope::none},
      {v::get, "/v1/tickets/{id}/qr.svg", &ticket_qr, key_scope::none},
      {v::post, "/v1/tickets/{id}/transfer", &transfer, key_scope::account},
      {v::post, "/v1/tickets/{id}/refund", &refund, key_scope::account},
      {v::post, "/v1/scan", &scan, key_scope::none},
  };
  return all;
}

} // namespace seatgrab::http
