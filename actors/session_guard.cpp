#include "actors/session_guard.hpp"

#include "domain/payment.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>

namespace seatgrab::actors {

/// The error the fan sees for a guard's decision other than allow or shadow.
caf::error refusal(const bot_decision& d, bool checkout) {
  std::string why;
  for (const auto& r : d.reasons) {
    if (r.starts_with("risk:") || r.starts_with("shadow:"))
      continue; // the score's inputs stay the guard's
    why += why.empty() ? r : ", " + r;
  }
  switch (d.verdict) {
  case bot_verdict::challenge:
    return caf::make_error(
        ec::challenge_required,
        "solve a proof of work of " + std::to_string(d.difficulty) + " bits first", d.difficulty);
  case bot_verdict::step_up: // with the work to bring along
    return caf::make_error(ec::step_up_required, std::string{"answer the step-up challenge first"},
                           d.difficulty);
  case bot_verdict::throttle:
    return caf::make_error(ec::velocity_limited,
                           std::string{checkout ? "too many purchases or declines with this card"
                                                : "too many queue joins from your network"} +
                               " (" + why + "); retry in " + std::to_string(d.retry_after_s) + " s",
                           d.retry_after_s);
  default:
    if (checkout &&
        std::find(d.reasons.begin(), d.reasons.end(), "suspected_bot") != d.reasons.end())
      return caf::make_error(ec::suspected_bot,
                             std::string{"this checkout looks automated: the client kept polling "
                                         "through its 429 answers"});
    if (checkout)
      return caf::make_error(ec::card_limit,
                             "this card bought as many tickets for the event as allowed (" + why +
                                 ")");
    return caf::make_error(ec::device_limit,
                           "this device was used by as many accounts for the event as allowed");
  }
}

/// A join past the event's bot guard: an allowed one goes on to the room, a shadowed one gets
/// the guard's place (never admitted), any other decision is `fail`ed with its error.
void guarded_join(session_self self, const std::string& event_id, const client_facts& facts,
                  std::function<void(queue_status&)> ok, std::function<void(caf::error&)> fail) {
  auto timeout = self->state.ctx->call_timeout;
  auto to_room = [=]() mutable {
    self->state.resolver->resolve<waiting_room_actor>(self, timeout, event_id)
        .then(
            [=](waiting_room_actor room) mutable {
              self->request(room, timeout, atom::join_v, self->state.account, facts.device)
                  .then(ok, fail);
            },
            fail);
  };
  if (!self->state.ctx->bot_guard)
    return to_room();
  self->state.resolver->resolve<bot_guard_actor>(self, timeout, event_id)
      .then(
          [=](bot_guard_actor guard) mutable {
            self->request(guard, timeout, atom::join_v, self->state.account, facts)
                .then(
                    [=](bot_decision& d) mutable {
                      if (d.verdict == bot_verdict::shadow) {
                        self->request(guard, timeout, atom::get_v, d.shadow_ticket,
                                      self->state.account)
                            .then(ok, fail);
                        return;
                      }
                      if (d.verdict != bot_verdict::allow) {
                        auto err = refusal(d, false);
                        fail(err);
                        return;
                      }
                      to_room();
                    },
                    fail);
          },
          fail);
}

/// The card's hash for the guard: the first 64 bits of its keyed fingerprint (never 0).
uint64_t card_hash(session_self self, const std::string& card) {
  auto fp = domain::card_fingerprint(card, self->state.ctx->card_key);
  uint64_t h = fp.size() >= 16 ? std::strtoull(fp.substr(0, 16).c_str(), nullptr, 16) : 0;
  return h == 0 ? 1 : h;
}

/// Tells the guard how an allowed checkout ended, when it surely did: paid, declined, or the
/// seats gone. After an error that says nothing (a timeout, a store fault) the seats stay
/// counted against the card, the stricter way; so does a lost word.
void checkout_ended(session_self self, const bot_guard_actor& guard, uint64_t card,
                    uint32_t reserved, uint32_t bought, bool declined) {
  if (!guard)
    return; // the node runs without the guard
  self->request(guard, self->state.ctx->call_timeout, atom::paid_v, self->state.account, card,
                reserved, bought, declined)
      .then([] {},
            [](caf::error& err) { spdlog::warn("bot guard: checkout end lost: {}", render(err)); });
}

} // namespace seatgrab::actors
