#pragma once

#include "actors/context.hpp"
#include "actors/resolver.hpp"
#include "messages/interfaces.hpp"

#include <caf/fwd.hpp>

#include <memory>

namespace seatgrab::domain {
struct venue;
} // namespace seatgrab::domain

namespace seatgrab::actors {

/// Spawns the pricing engine of `info` on `venue` (only the registry does): it replays its
/// journal, brings every section and the waiting room up to its price version, and ticks every
/// `interval_s` of its policy (30 s without one) with a delayed self-message. It finds the
/// event's actor and waiting room through `resolver` at each use.
pricing_actor spawn_pricing(caf::actor_system& sys, event_info info,
                            std::shared_ptr<const domain::venue> venue, resolver_ptr resolver,
                            context_ptr ctx);

} // namespace seatgrab::actors
