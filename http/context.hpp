#pragma once

// What every route file receives: the node, the options and the edge's shared pieces (actor
// lookups, authentication, seat-map cache, metrics, limits, proof of work, idempotency keys).

#include "http/api.hpp"
#include "http/auth.hpp"
#include "http/client_address.hpp"
#include "http/idempotency.hpp"
#include "http/lookup.hpp"
#include "http/metrics.hpp"
#include "http/router.hpp"
#include "http/seatmap_cache.hpp"
#include "http/venue_layouts.hpp"
#include "security/fingerprint.hpp"
#include "security/proof_of_work.hpp"
#include "security/rate_limiter.hpp"
#include "security/retry_watch.hpp"
#include "security/step_up.hpp"

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace seatgrab::cluster {
class node;
} // namespace seatgrab::cluster

namespace seatgrab::http {

/// The edge's shared state; route continuations hold it by `std::shared_ptr`.
struct context {
  /// Finds the node's actors and loads what the edge keeps (blocking; at start).
  context(cluster::node& node, api_options opts);

  cluster::node& node;
  caf::actor_system& sys;
  api_options opts;
  /// Every actor the edge talks to is found through this.
  lookup find;
  authenticator auth;
  std::shared_ptr<seatmap_cache> seatmaps;
  venue_layouts venues;
  request_metrics metrics;
  security::rate_limiter limiter;
  /// Queue-status polls per account (a status stream is the way to watch).
  security::rate_limiter poll_limiter;
  /// Accounts that keep polling through their 429s: each is told to the guard of the event it
  /// polled (keyed by account alone, as the poll limiter: a made-up event id adds no key).
  security::retry_watch poll_watch;
  security::proof_of_work pow;
  /// The bot defence's keyed pieces (the node's edge key): device prints and step-ups.
  security::fingerprinter fingerprints;
  security::step_up step_ups;
  /// The trusted proxies whose X-Forwarded-For names the client.
  client_addresses clients;
  std::shared_ptr<idempotency> idem;
  /// The OpenAPI document served at `/v1/openapi.json` (empty: none).
  std::string openapi;
  /// Requests being answered (streams count until their head is sent).
  std::shared_ptr<std::atomic<size_t>> in_flight = std::make_shared<std::atomic<size_t>>(0);
  /// Set at shutdown: streams end.
  std::atomic<bool> stopping{false};
  /// The server, for its connection count in /metrics.
  std::atomic<const server*> srv{nullptr};
};

using context_ptr = std::shared_ptr<context>;

/// A step shared by the order and ticket routes: authenticates, splits the public order or
/// ticket id `c.params[0]` and runs `k(caller, event, local id, the event's box office)`.
/// Operators holding the admin token own no tickets; `operators_too` lets them through.
void with_owned(const context_ptr& ctx, const call& c, bool operators_too,
                std::function<void(auth_info, std::string, std::string, box_office_actor&)> k);

/// The routes of each resource, in the order the router tries them.
const std::vector<route_spec>& account_routes(); // routes_accounts.cpp
const std::vector<route_spec>& event_routes();   // routes_events.cpp
const std::vector<route_spec>& queue_routes();   // routes_queue.cpp
const std::vector<route_spec>& hold_routes();    // routes_holds.cpp
const std::vector<route_spec>& ticket_routes();  // routes_tickets.cpp
const std::vector<route_spec>& ops_routes();     // routes_ops.cpp
const std::vector<route_spec>& pricing_routes(); // routes_pricing.cpp
const std::vector<route_spec>& bot_routes();     // bot_checks.cpp

} // namespace seatgrab::http
