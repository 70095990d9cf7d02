#pragma once

// The cluster's transport, on CAF's own remoting (BASP through the middleman): each member
// publishes its registry on its cluster address, and connects to every other member's
// registry, again after each loss, with backoff. A connected registry is announced to the
// local one (`atom::join`), which from then on sends it the lookups of what that member owns;
// CAF's heartbeats (set by the node) end a silent connection, and with it those lookups.

#include "cluster/membership.hpp"
#include "messages/interfaces.hpp"

#include <caf/actor.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>

#include <chrono>

namespace seatgrab::cluster {

struct peering_options {
  /// The first retry after a failed or lost connection; doubled up to `retry_max`.
  std::chrono::milliseconds retry_min{100};
  std::chrono::milliseconds retry_max{2'000};
  /// How long one connection attempt may take.
  std::chrono::seconds connect_timeout{3};
  /// Mutual TLS (CAF's OpenSSL module, loaded and configured by the node): publish and connect
  /// through it, so that only holders of a certificate of the cluster's CA are members.
  bool tls = false;
};

/// Publishes `registry` on `members.me().cluster` (the port reused after a restart) and starts
/// the actor that keeps the connections to the other members. The error names the address if
/// it cannot be published.
caf::expected<caf::actor> start_peering(caf::actor_system& sys, const membership& members,
                                        registry_actor registry, peering_options opts = {});

} // namespace seatgrab::cluster
