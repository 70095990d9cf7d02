// Routes of accounts and sessions: sign-up, log-in, log-out.

#include "http/bridge.hpp"
#include "http/codec.hpp"
#include "http/context.hpp"
#include "http/problem.hpp"

#include <boost/beast/http.hpp>
#include <caf/message.hpp>

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

namespace seatgrab::http {

namespace {

/// The `{"email","password"}` body of sign-up and log-in; answers the problem and returns
/// nothing if it is not one.
std::optional<std::pair<std::string, std::string>> credentials(const call& c) {
  auto body = body_object(c);
  if (!body)
    return std::nullopt;
  fields f{*body};
  auto email = f.str("email", true, 254);
  auto password = f.str("password", true, 1024);
  if (f.problem()) {
    c.ex->respond(*f.problem());
    return std::nullopt;
  }
  return std::pair{std::move(email), std::move(password)};
}

// POST /v1/accounts
void sign_up(const context_ptr& ctx, const call& c) {
  auto cred = credentials(c);
  if (!cred)
    return;
  // Copies, not a structured binding: clang 14 cannot capture those in a lambda.
  auto email = cred->first;
  auto password = cred->second;
  auto ex = c.ex;
  auto client = c.client;
  ctx->find.accounts_for_email(
      email,
      or_problem<accounts_actor>(ex, [ctx, ex, email, password, client](accounts_actor& shard) {
        ask<account_summary>(
            ctx->find.lanes(), shard,
            or_problem<account_summary>(
                ex,
                [ex](account_summary& a) {
                  ex->respond(json_response(201, {{"id", a.id}, {"email", a.email}}));
                }),
            atom::put_v, atom::account_v, email, password);
      }));
}

// The problem for a log-in's error: 429 `login_limited` carries the registry's wait in
// Retry-After (problem() reads it from the error); 503 `auth_busy` the default second.
response login_problem(const caf::error& err) {
  if (ec_of(err) == ec::login_limited && err.context().size() != 2)
    return problem(429, to_string(ec::login_limited), "too many log-ins", 1);
  return problem(err);
}

// POST /v1/sessions
void log_in(const context_ptr& ctx, const call& c) {
  auto cred = credentials(c);
  if (!cred)
    return;
  // Copies, not a structured binding: clang 14 cannot capture those in a lambda.
  auto email = cred->first;
  auto password = cred->second;
  auto ex = c.ex;
  auto client = c.client;
  ctx->find.accounts_for_email(
      email,
      or_problem<accounts_actor>(ex, [ctx, ex, email, password, client](accounts_actor& shard) {
        ask<login_grant>(
            ctx->find.lanes(), shard,
            [ex](caf::expected<login_grant> g) {
              if (!g)
                return ex->respond(login_problem(g.error()));
              ex->respond(json_response(201, {{"token", g->token},
                                              {"account", g->account},
                                              {"expires_at", rfc3339(g->expires_at_ms)}}));
            },
            atom::login_v, email, password, client);
      }));
}

// DELETE /v1/sessions
void log_out(const context_ptr& ctx, const call& c) {
  auto token = bearer_token(c.ex->req());
  if (!token)
    return c.ex->respond(problem(401, "unauthenticated", "send Authorization: Bearer <token>"));
  ctx->auth.forget(*token);
  auto ex = c.ex;
  ctx->find.accounts_for_token(
      *token, or_problem<accounts_actor>(ex, [ctx, ex, token = *token](accounts_actor& shard) {
        ask<void>(ctx->find.lanes(), shard, reply_empty(ex), atom::logout_v, token);
      }));
}

} // namespace

const std::vector<route_spec>& account_routes() {
  using v = boost::beast::http::verb;
  static const std::vector<route_spec> all{
      {v::post, "/v1/accounts", &sign_up, key_scope::address},
      {v::post, "/v1/sessions", &log_in, key_scope::none},
      {v::delete_, "/v1/sessions", &log_out, key_scope::none},
  };
  return all;
}

} // namespace seatgrab::http
