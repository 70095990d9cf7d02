#pragma once

#include "actors/context.hpp"
#include "messages/interfaces.hpp"

#include <caf/fwd.hpp>

namespace seatgrab::cluster {

/// Spawns the node's catalog: the venues and events on sale, journaled as kind "venue"
/// (entity = venue id, one record: its JSON) and kind "event" (entity = event id, one
/// `pb::event_created` record). On start it reads them back and has `registry` activate every
/// event's actors; a new event is answered once its actors are live. A catalog that does not
/// load stops with the error.
catalog_actor spawn_catalog(caf::actor_system& sys, actors::context_ptr ctx,
                            registry_actor registry);

} // namespace seatgrab::cluster
