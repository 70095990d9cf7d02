#pragma once

#include "actors/context.hpp"
#include "messages/interfaces.hpp"

#include <caf/fwd.hpp>

namespace seatgrab::cluster {

/// The node's directory: maps event and section ids to their actors. On start it reads the
/// catalog (venues, events) from the journal and activates every event's sections, which
/// recover themselves and re-arm their hold timers. A section that stops is activated again
/// on the next lookup. Single node for now: every entity is local.
directory_actor spawn_directory(caf::actor_system& sys, actors::context_ptr ctx);

} // namespace seatgrab::cluster
