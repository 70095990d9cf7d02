#pragma once

#include "actors/context.hpp"
#include "domain/section_state.hpp"
#include "messages/interfaces.hpp"

#include <caf/fwd.hpp>

namespace seatgrab::actors {

/// Spawns a section actor; only the registry does. It recovers the section from its journal,
/// releases every hold whose time passed while the node was down, and re-arms a timer for each live
/// one.
section_actor spawn_section(caf::actor_system& sys, domain::section_config cfg, context_ptr ctx);

} // namespace seatgrab::actors
