#pragma once

#include "actors/context.hpp"
#include "messages/interfaces.hpp"
#include "security/password.hpp"

#include <caf/fwd.hpp>

#include <chrono>

namespace seatgrab::actors {

/// Knobs of the account registry; the defaults suit production but for the log-in rates.
struct accounts_options {
  /// The account shard this registry keeps (cluster/placement.hpp): its name prefixes the
  /// account ids and tokens it issues. "" for a node's one registry. Each member journals its
  /// own shard in its own data dir (entity "registry").
  std::string shard;
  /// Cost of new password hashes (tests choose a cheap one).
  security::scrypt_params scrypt;
  /// How long a login stays valid.
  std::chrono::hours session_ttl{24};
  /// How often expired sessions are closed (and leave memory).
  std::chrono::minutes sweep_every{10};
  /// Password hashers: scrypt runs there, never on the registry, so token checks do not wait
  /// behind it. At least one.
  size_t hash_workers = 2;
  /// Hash jobs (sign-ups, log-ins) that may wait for a busy hasher; beyond them the registry
  /// answers `ec::auth_busy` (503 with Retry-After) at once instead of queueing without end.
  size_t hash_queue = 256;
  /// Log-ins a second per client address, with bursts of `login_burst_address` above that rate
  /// (as `--rate-burst`: 20 lets 21 through at once); 0: no limit.
  /// Only log-ins that name an address (the edge's) count; beyond: `ec::login_limited`. Off
  /// here, for embedders and tests; `seatgrab serve` turns both limits on (--login-rate).
  double login_per_s_address = 0;
  double login_burst_address = 20;
  /// Log-ins a second per e-mail (normalized), with bursts of `login_burst_email` above it; 0: no
  /// limit.
  double login_per_s_email = 0;
  double login_burst_email = 5;
  /// Addresses and e-mails each limiter tracks at most (caught-up ones are forgotten).
  size_t login_limit_keys = 100'000;
  /// Run the hashers on threads of their own, so scrypt never blocks a scheduler worker. Off
  /// in tests, which need everything on CAF's deterministic test coordinator.
  bool detached = true;
};

/// Spawns the node's account registry (or its shard of the cluster's), recovered from the
/// journal (kind "accounts", entity "registry").
accounts_actor spawn_accounts(caf::actor_system& sys, context_ptr ctx, accounts_options opts = {});

} // namespace seatgrab::actors
