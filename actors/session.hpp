#pragma once

#include "actors/context.hpp"
#include "actors/resolver.hpp"
#include "messages/interfaces.hpp"

#include <caf/fwd.hpp>

#include <chrono>
#include <string>

namespace seatgrab::actors {

/// Knobs of fan sessions; the defaults suit production.
struct session_options {
  /// A session with no request for this long passivates (stops; its journal brings it back).
  std::chrono::seconds idle_timeout{15 * 60};
};

/// Spawns the session of `account`, recovered from the journal (kind "session", entity =
/// account id). It finds events, waiting rooms and box offices through `resolver`.
session_actor spawn_session(caf::actor_system& sys, std::string account, resolver_ptr resolver,
                            context_ptr ctx, session_options opts = {});

} // namespace seatgrab::actors
