// Routes of holds, checkout and orders.

#include "http/bridge.hpp"
#include "http/context.hpp"
#include "http/views.hpp"

#include <boost/beast/http.hpp>

#include <algorithm>
#include <string_view>

namespace seatgrab::http {

namespace {

/// Whether `card` has the form the payment provider takes: 16 ASCII digits. Anything else is
/// a bad field, answered before an order is begun (the provider would record a declined one).
bool card_number_shaped(std::string_view card) {
  return card.size() == 16 &&
         std::all_of(card.begin(), card.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
}

// POST /v1/events/{id}/holds: given seats, or a section and a quantity (best available).
void hold(const context_ptr& ctx, const call& c) {
  ctx->auth.authenticate(c.ex, [ctx, c](auth_info who) {
    auto body = body_object(c);
    if (!body)
      return;
    fields f{*body};
    hold_request req;
    req.seats = f.strings("seats", 100);
    if (f.has("section") || f.has("quantity")) {
      req.section = f.str("section", true, 64);
      req.quantity = static_cast<uint32_t>(f.integer("quantity", 1, 100, std::nullopt));
      if (!f.problem() && !req.seats.empty())
        f.fail("seats", "give either seats or section and quantity");
    } else if (!f.problem() && req.seats.empty()) {
      f.fail("seats", "give seats, or section and quantity");
    }
    if (f.problem())
      return c.ex->respond(*f.problem());
    auto token_field = c.ex->req()["X-Admission-Token"];
    std::string token{token_field.data(), token_field.size()};
    if (token.empty())
      return c.ex->respond(problem(403, "admission_invalid", "send the queue's X-Admission-Token"));
    auto key_field = c.ex->req()["Idempotency-Key"];
    std::string key{key_field.data(), key_field.size()};
    auto ex = c.ex;
    auto event_id = c.params[0];
    ctx->find.session(
        who.account,
        or_problem<session_actor>(ex, [ctx, ex, event_id, req, token, key](session_actor& s) {
          ask<hold_receipt>(ctx->find.lanes(), s,
                            or_problem<hold_receipt>(ex,
                                                     [ex](hold_receipt& r) {
                                                       auto res = json_response(201, hold_json(r));
                                                       // The session's record of the key
                                                       // answered: a retry, as the edge's
                                                       // record would say.
                                                       if (r.replayed)
                                                         res.set("Idempotent-Replayed", "true");
                                                       ex->respond(std::move(res));
                                                     }),
                            atom::hold_v, event_id, req, token, key);
        }));
  });
}

// DELETE /v1/holds/{id}
void release(const context_ptr& ctx, const call& c) {
  ctx->auth.authenticate(c.ex, [ctx, c](auth_info who) {
    auto ex = c.ex;
    auto hold_id = c.params[0];
    ctx->find.session(who.account,
                      or_problem<session_actor>(ex, [ctx, ex, hold_id](session_actor& s) {
                        ask<void>(ctx->find.lanes(), s, reply_empty(ex), atom::release_v, hold_id);
                      }));
  });
}

// POST /v1/holds/{id}/checkout
void checkout(const context_ptr& ctx, const call& c) {
  ctx->auth.authenticate(c.ex, [ctx, c](auth_info who) {
    auto body = body_object(c);
    if (!body)
      return;
    fields f{*body};
    auto card = f.str("card", true, 64);
    if (!f.problem() && !card_number_shaped(card))
      f.fail("card", "must be a card number of 16 digits");
    if (f.problem())
      return c.ex->respond(*f.problem());
    // Without an Idempotency-Key every request is its own checkout attempt.
    auto key_field = c.ex->req()["Idempotency-Key"];
    auto key = key_field.empty() ? random_id("auto-")
                                 : "key-" + std::string{key_field.data(), key_field.size()};
    auto ex = c.ex;
    auto hold_id = c.params[0];
    ctx->find.session(
        who.account, or_problem<session_actor>(ex, [ctx, ex, hold_id, card, key](session_actor& s) {
          ask<order_info>(ctx->find.lanes(), s, reply_json<order_info>(ex, 201, &order_json),
                          atom::confirm_v, hold_id, card, key);
        }));
  });
}

// GET /v1/orders/{id}
void order(const context_ptr& ctx, const call& c) {
  auto ex = c.ex;
  with_owned(ctx, c, false,
             [ctx, ex](auth_info who, std::string, std::string id, box_office_actor& office) {
               ask<order_info>(ctx->find.lanes(), office,
                               reply_json<order_info>(ex, 200, &order_json), atom::get_v,
                               atom::order_v, id, who.account);
             });
}

} // namespace

const std::vector<route_spec>& hold_routes() {
  using v = boost::beast::http::verb;
  static const std::vector<route_spec> all{
      // A hold's session answers a retry with its key itself: the answer need not wait for
      // the edge's record of it.
      {v::post, "/v1/events/{id}/holds", &hold, key_scope::account, record_after_answer},
      {v::delete_, "/v1/holds/{id}", &release, key_scope::none},
      {v::post, "/v1/holds/{id}/checkout", &checkout, key_scope::account},
      {v::get, "/v1/orders/{id}", &order, key_scope::none},
  };
  return all;
}

} // namespace seatgrab::http
