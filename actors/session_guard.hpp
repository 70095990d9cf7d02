#pragma once

// The fan's session at the event's bot guard (actors/session_guard.cpp): a join past it to the
// waiting room, and a checkout's card counted by it.

#include "actors/session_state.hpp"
#include "messages/bots.hpp"

#include <caf/error.hpp>

#include <cstdint>
#include <functional>
#include <string>

namespace seatgrab::actors {

/// The error the fan sees for a guard's decision other than allow or shadow.
caf::error refusal(const bot_decision& d, bool checkout);

/// A join past the event's bot guard: an allowed one goes on to the room, a shadowed one gets
/// the guard's place (never admitted), any other decision is `fail`ed with its error.
void guarded_join(session_self self, const std::string& event_id, const client_facts& facts,
                  std::function<void(queue_status&)> ok, std::function<void(caf::error&)> fail);

/// The card's hash for the guard: the first 64 bits of its keyed fingerprint (never 0).
uint64_t card_hash(session_self self, const std::string& card);

/// Tells the guard how an allowed checkout ended, when it surely did: paid, declined, or the
/// seats gone. After an error that says nothing (a timeout, a store fault) the seats stay
/// counted against the card, the stricter way; so does a lost word.
void checkout_ended(session_self self, const bot_guard_actor& guard, uint64_t card,
                    uint32_t reserved, uint32_t bought, bool declined);

} // namespace seatgrab::actors
