#pragma once

#include "actors/context.hpp"
#include "cluster/membership.hpp"
#include "cluster/placement.hpp"
#include "messages/interfaces.hpp"

#include <caf/fwd.hpp>

#include <string>

namespace seatgrab::cluster {

/// What a node's admin actor needs to know.
struct admin_options {
  /// The operators' token (`serve --admin-token`); empty: every command is refused.
  std::string token;
  /// Every member with its addresses, this node included (a cluster of one: just this node).
  membership members;
  /// Where each entity lives (inspect names the member).
  placement_ptr placement;
};

/// Spawns the node's admin actor, the other end of `seatgrab admin` (DESIGN §9): it parses the
/// shell's command lines (cluster/admin_command.hpp), asks the registry, the catalog and the
/// other members' admin actors, and answers with what cluster/admin_views.hpp renders. Every
/// command needs the admin token; each that changes something, and each refused token, is
/// journaled in the node's audit log before the answer. It recovers the log as it starts.
caf::expected<admin_actor> spawn_admin(caf::actor_system& sys, actors::context_ptr ctx,
                                       registry_actor registry, catalog_actor catalog,
                                       admin_options opts);

} // namespace seatgrab::cluster
