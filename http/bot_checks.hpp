#pragma once

// The edge's part of the bot defence: what a join presents (the server-derived device, the
// fingerprint's anomalies, the client's prefix, the challenges it solved, checked and spent
// here) and the answers that hand out the next challenge when the bot guard asks for one.
// The guard itself decides, behind the fan's session (actors/session.cpp).

#include "http/context.hpp"
#include "http/request.hpp"
#include "messages/bots.hpp"
#include "security/fingerprint.hpp"

#include <caf/error.hpp>

#include <memory>
#include <optional>
#include <string>

namespace seatgrab::http {

/// What the server sees of the request: User-Agent, Accept-Language, header order.
security::request_traits traits_of(const request& req);

/// The client's address prefix (/24, /48) of call `c`.
std::string client_prefix(const call& c);

/// The facts of a queue join of `account` for `event_id` from the body's `device`, `signals`,
/// `challenge`/`nonce` (proof of work) and `step_up` {token, answer}; a challenge that fails is
/// answered here (403 `challenge_failed`, or `step_up_failed` with a fresh step-up), as is a
/// malformed body (400): then none.
std::optional<client_facts> join_facts(const context_ptr& ctx, const call& c, const json& body,
                                       const std::string& event_id, const std::string& account);

/// Answers an error of a guarded join: a required proof of work or step-up comes with a fresh
/// challenge to solve (in the problem's `challenge` or `step_up`), anything else as a problem.
void answer_guarded(const context_ptr& ctx, const std::shared_ptr<exchange>& ex,
                    const caf::error& err, const std::string& event_id, const std::string& account);

/// A fresh proof-of-work challenge of `bits` for `event_id`, as the API shows it.
json pow_json(const context_ptr& ctx, const std::string& event_id, uint32_t bits);

/// The step-up challenges' subject: one event and one account.
std::string step_up_subject(const std::string& event_id, const std::string& account);

/// The routes of the bot defence: the step-up image, the operator's rules and figures.
const std::vector<route_spec>& bot_routes();

} // namespace seatgrab::http
