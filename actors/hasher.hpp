#pragma once

// The account registry's password hashers: scrypt, slow on purpose, off the registry so that
// token checks never wait behind it. The registry spawns a fixed pool and bounds its queue.

#include "messages/interfaces.hpp"
#include "security/password.hpp"

#include <caf/fwd.hpp>

#include <cstddef>

namespace seatgrab::actors {

/// Spawns password hasher number `index` hashing with `params`; on a thread of its own when
/// `detached` (tests keep everything on CAF's test coordinator).
hasher_actor spawn_hasher(caf::actor_system& sys, size_t index, security::scrypt_params params,
                          bool detached);

} // namespace seatgrab::actors
