#pragma once

#include "actors/accounts.hpp"
#include "actors/box_office.hpp"
#include "actors/context.hpp"
#include "actors/resolver.hpp"
#include "actors/session.hpp"
#include "cluster/placement.hpp"
#include "domain/payment.hpp"
#include "messages/interfaces.hpp"

#include <caf/fwd.hpp>

#include <memory>

namespace seatgrab::cluster {

/// Settings of the actors the registry spawns.
struct registry_options {
  /// The simulated payment provider of every box office.
  domain::payment_settings payments;
  actors::box_office_options box_office;
  actors::accounts_options accounts;
  actors::session_options session;
};

/// Spawns the node's placement registry and attaches it to `resolver`. It places every entity
/// through `placement` (this node owns all of them for now) and keeps a factory per actor kind:
/// sections, event actors, waiting rooms and box offices of the events the catalog registers
/// (`put event`, activated at once, so sections re-arm their hold timers and box offices resume
/// open orders), fan sessions (on their first lookup; they passivate when idle) and the account
/// registry (at once). Every actor recovers from its journal as it starts. It monitors each
/// one: an actor that stops leaves the registry and the resolver's cache, and the next lookup
/// spawns it again. Its own end is the end of every actor it spawned.
registry_actor spawn_registry(caf::actor_system& sys, actors::context_ptr ctx,
                              actors::resolver_ptr resolver, registry_options opts = {},
                              placement_ptr placement = std::make_shared<single_member>());

} // namespace seatgrab::cluster
