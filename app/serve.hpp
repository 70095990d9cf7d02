#pragma once

#include "persistence/durability.hpp"

#include <caf/expected.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace seatgrab::app {

struct serve_options {
  std::filesystem::path data_dir = "./data";
  std::string listen = "127.0.0.1:8080";
  std::string admin_token; ///< --admin-token; visible in `ps`, so prefer the file or env
  /// --admin-token-file: the token is the file's content, trailing whitespace removed.
  std::filesystem::path admin_token_file;
  bool demo = false;
  persistence::durability durability = persistence::durability::fsync;
  size_t http_threads = 1; ///< I/O threads of the HTTP server
  size_t max_connections = 10'000;
  size_t max_connections_per_address = 1'024; ///< one client address takes no more
  size_t max_streams = 5'000;                 ///< open event streams in all
  size_t max_streams_per_address = 64;        ///< open event streams of one client address
  size_t max_body_bytes = 64 * 1024;
  double rate_per_s = 200; ///< per client address; 0 = unlimited
  double rate_burst = 400;
  /// Queue-status polls a second per account (bursts of 10); the status stream is the way to
  /// watch. An account that keeps polling through its 429s is told to the event's bot guard.
  double poll_rate = 1;
  /// Leading zero bits of the base proof of work a queue join must show at low load (the bot
  /// guard raises it with load and risk); 0 = none. A phone solves 16 in about 0.2 s.
  uint32_t pow_difficulty = 16;
  /// --bot-guard: "enforce" (default), "shadow" (every rule counted, none enforced) or "off"
  /// (joins and checkouts skip the guard).
  std::string bot_guard = "enforce";
  /// --trusted-proxy: CIDRs of proxies whose X-Forwarded-For names the client.
  std::vector<std::string> trusted_proxies;
  uint32_t idempotency_ttl_h = 24;
  std::string openapi;            ///< the OpenAPI document to serve (default: next to the sources)
  uint32_t scrypt_log2_n = 15;    ///< password hash cost; lower only in tests
  size_t hash_workers = 0;        ///< password hashing threads; 0: one per core
  size_t hash_queue = 256;        ///< hash jobs that may wait; beyond: 503 auth_busy
  double login_rate = 2;          ///< log-ins per second per address; 0 (or --rate-limit 0) = none
  double login_rate_email = 0.2;  ///< log-ins per second per e-mail; 0 (or --rate-limit 0) = none
  std::filesystem::path tls_cert; ///< --tls-cert: PEM chain; with --tls-key the edge is HTTPS
  std::filesystem::path tls_key;  ///< --tls-key: PEM private key (keep it 0600)
  /// --tls-ca: the cluster's CA; with --cluster, members (and the admin shell) talk mutual TLS,
  /// each presenting --tls-cert and accepting only certificates of this CA.
  std::filesystem::path tls_ca;
  /// --insecure-cluster: members may talk plain TCP off loopback (a closed lab network only:
  /// whoever reaches a cluster port talks to that member's registry).
  bool insecure_cluster = false;
  std::filesystem::path cluster; ///< --cluster: the cluster file (DESIGN §9); empty: one node
  std::string node;              ///< --node: this node's name in the cluster file
  /// --cluster-secret-file: the members' shared secret (admission-token and card-hash keys)
  std::filesystem::path cluster_secret_file;
  bool listen_given = false; ///< --listen was given: it overrides the member's http address
};

/// The name of the environment variable that gives the admin token when neither
/// --admin-token nor --admin-token-file does.
inline constexpr const char* admin_token_env = "SEATGRAB_ADMIN_TOKEN";

/// The secret in `file` (given by `flag`): its content without trailing whitespace. Fails
/// naming the flag and file if it cannot be read, is empty or is larger than 4096 bytes; warns
/// if group or others may read it.
caf::expected<std::string> read_secret_file(const char* flag, const std::filesystem::path& file);

/// Runs a node until SIGINT/SIGTERM. Returns the process exit code. Files it creates are
/// private to the user (umask 077): the data dir holds signing keys.
int serve(serve_options opts);

} // namespace seatgrab::app
