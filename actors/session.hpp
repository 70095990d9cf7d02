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
  /// A session with no request for this long passivates (stops; its journal brings it back,
  /// in microseconds). A minute: a fan waiting in the queue polls the room, not the session,
  /// and 500,000 waiting fans' sessions kept for 15 minutes took 700 MB of the stadium run.
  std::chrono::seconds idle_timeout{60};
};

/// Spawns the session of `account`, recovered from the journal (kind "session", entity =
/// account id). It finds events, waiting rooms and box offices through `resolver`.
session_actor spawn_session(caf::actor_system& sys, std::string account, resolver_ptr resolver,
                            context_ptr ctx, session_options opts = {});

} // namespace seatgrab::actors
