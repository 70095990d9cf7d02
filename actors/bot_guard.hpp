#pragma once

#include "actors/context.hpp"
#include "messages/interfaces.hpp"

#include <caf/fwd.hpp>

namespace seatgrab::actors {

/// Spawns the bot guard of `info` (only the registry does): it replays its journal and then
/// decides the event's joins and checkouts with the node's default rules until an operator
/// sets others (domain/bot_guard.hpp).
bot_guard_actor spawn_bot_guard(caf::actor_system& sys, event_info info, context_ptr ctx);

} // namespace seatgrab::actors
