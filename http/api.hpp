#pragma once

// The JSON API of DESIGN §8 over a node's actors: routes, authentication, rate limits,
// idempotency keys, the cached seat map, Server-Sent Events, health and metrics.

#include "http/server.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace seatgrab::cluster {
class node;
} // namespace seatgrab::cluster

namespace seatgrab::http {

struct api_options {
  /// The operator's bearer token (`--admin-token`); empty disables the operator routes.
  std::string admin_token;
  /// Requests per second and burst per client address (GCRA); 0 = no limit.
  double rate_per_s = 200;
  double burst = 400;
  /// Requests in flight beyond this are answered 503 with Retry-After.
  size_t max_in_flight = 20'000;
  /// How old a cached seat map may get before a request refreshes it.
  std::chrono::milliseconds seatmap_max_age{200};
  /// Seat-map deltas on the event stream are coalesced over this interval.
  std::chrono::milliseconds stream_interval{1000};
  /// Comment lines keep idle event streams (and proxies) alive.
  std::chrono::seconds heartbeat{15};
  /// How long idempotency records are kept.
  std::chrono::hours idempotency_ttl{24};
  /// Idempotency answers kept in memory at most (older ones are read from storage), and
  /// requests with keys running at once at most (new keys beyond are answered 503).
  size_t idempotency_max_records = 50'000;
  /// Leading zero bits of a proof-of-work challenge when the bot guard names none.
  uint32_t pow_difficulty = 0;
  /// Queue-status polls per second and burst per account (0: no limit; off with the other
  /// limits when `rate_per_s` is 0).
  double polls_per_s = 1;
  double poll_burst = 10;
  /// Proxies (CIDR) whose X-Forwarded-For names the client; none: the socket's address.
  std::vector<std::string> trusted_proxies;
  /// Where `GET /v1/openapi.json` is read from.
  std::string openapi_path;
};

/// The routes of the edge. Thread-safe: the server calls `handle` from its I/O threads and the
/// continuations run on CAF workers.
class api {
public:
  api(cluster::node& node, api_options opts);
  ~api();

  api(const api&) = delete;
  api& operator=(const api&) = delete;

  /// Answers one request (later, from any thread).
  void handle(std::shared_ptr<exchange> ex);

  /// Lets the server report its connection count in /metrics.
  void attach(const server* srv);

  /// Stops the event streams.
  void shutdown();

  /// Every route the API answers, as "METHOD /path/{param}", for the OpenAPI check.
  static const std::vector<std::string>& routes();

private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

/// A problem+json response for errors the server detects itself.
response server_problem(unsigned status, std::string_view code, std::string_view detail);

} // namespace seatgrab::http
