#pragma once

#include "actors/context.hpp"
#include "messages/interfaces.hpp"
#include "security/password.hpp"

#include <caf/fwd.hpp>

#include <chrono>

namespace seatgrab::actors {

/// Knobs of the account registry; the defaults suit production.
struct accounts_options {
  /// Cost of new password hashes (tests choose a cheap one).
  security::scrypt_params scrypt;
  /// How long a login stays valid.
  std::chrono::hours session_ttl{24};
  /// How often expired sessions are closed (and leave memory).
  std::chrono::minutes sweep_every{10};
  /// Run on a thread of its own, so scrypt never blocks a scheduler worker. Off in tests,
  /// which need everything on CAF's deterministic test coordinator.
  bool detached = true;
};

/// Spawns the node's account registry, recovered from the journal (kind "accounts", entity
/// "registry").
accounts_actor spawn_accounts(caf::actor_system& sys, context_ptr ctx, accounts_options opts = {});

} // namespace seatgrab::actors
