#pragma once

// What the admin shell prints, without actors: each command's result as aligned text for a
// person or as JSON for a script (`--json`).

#include "messages/admin.hpp"
#include "messages/bots.hpp"
#include "messages/inventory.hpp"
#include "messages/status.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace seatgrab::cluster {

/// One member as `nodes` shows it.
struct node_row {
  std::string name;
  std::string cluster;      ///< its cluster address
  std::string http;         ///< its edge's address
  bool self = false;        ///< the member the shell is connected to
  bool up = false;          ///< connected (the member itself is always up)
  int64_t last_seen_ms = 0; ///< its last answer to a ping (0: never; self: now)
  int64_t rtt_us = -1;      ///< that ping's round trip (-1: none)
  int64_t actors = -1;      ///< actors it hosts (-1: unknown)
};

/// An actor's status and the member that hosts it.
struct hosted_actor {
  std::string node;
  actor_status status;
};

/// `ms` since the epoch as "2026-12-01T17:48:58.123Z" ("-" for 0).
std::string format_ms(int64_t ms);

std::string render_nodes(const std::vector<node_row>& rows, int64_t now_ms, bool json);

std::string render_events(const std::vector<event_info>& events, bool json);

/// `actors`: one line per actor; `unreachable` names the members that did not answer.
std::string render_actors(const std::vector<hosted_actor>& actors,
                          const std::vector<std::string>& unreachable, bool json);

/// `inspect`: every counter of one actor.
std::string render_status(const hosted_actor& actor, bool json);

/// `top`: the `n` actors with the most messages waiting, then the `n` with the most state
/// changes applied.
std::string render_top(std::vector<hosted_actor> actors, size_t n,
                       const std::vector<std::string>& unreachable, bool json);

/// `audit`: the last `n` entries of every member, by time.
std::string render_audit(std::vector<audit_record> entries, size_t n,
                         const std::vector<std::string>& unreachable, bool json);

/// `bots EVENT`: the guard's rules (modes that are not enforce), decisions by verdict and by
/// reason, and the top offending prefixes, devices and card hashes.
std::string render_bots(const bot_guard_info& g, bool json);

/// A change's outcome.
std::string render_done(const std::string& outcome, bool json);

} // namespace seatgrab::cluster
