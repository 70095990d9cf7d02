#pragma once

#include "actors/context.hpp"
#include "actors/resolver.hpp"
#include "domain/venue.hpp"
#include "messages/interfaces.hpp"

#include <caf/fwd.hpp>

#include <memory>

namespace seatgrab::actors {

/// Spawns an event actor; only the registry does. It finds its sections through `resolver`. Holds
/// no journaled state of its own: a hold across sections is a set of per-section holds under one
/// hold id, placed all or nothing (what was taken is released again if any part fails).
event_actor spawn_event(caf::actor_system& sys, event_info info,
                        std::shared_ptr<const domain::venue> venue, resolver_ptr resolver,
                        context_ptr ctx);

} // namespace seatgrab::actors
