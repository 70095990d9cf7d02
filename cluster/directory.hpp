#pragma once

#include "actors/accounts.hpp"
#include "actors/box_office.hpp"
#include "actors/context.hpp"
#include "actors/session.hpp"
#include "domain/payment.hpp"
#include "messages/interfaces.hpp"

#include <caf/fwd.hpp>

namespace seatgrab::cluster {

/// Settings of the actors the directory spawns.
struct directory_options {
  /// The simulated payment provider of every box office.
  domain::payment_settings payments;
  actors::box_office_options box_office;
  actors::accounts_options accounts;
  actors::session_options session;
};

/// The node's directory: maps event and section ids to their actors. On start it reads the
/// catalog (venues, events) from the journal and activates every event's sections, which
/// recover themselves and re-arm their hold timers, and its box office, which resumes open
/// orders; and the account registry. Fan sessions start on their first lookup and passivate
/// when idle. A section, box office or session that stops is activated again on the next
/// lookup. Single node for now: every entity is local.
directory_actor spawn_directory(caf::actor_system& sys, actors::context_ptr ctx,
                                directory_options opts = {});

} // namespace seatgrab::cluster
