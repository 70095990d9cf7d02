#pragma once

// What the operator's admin shell and the nodes' admin actors exchange (cluster/admin.hpp),
// and what a registry knows of its peers. Plain structs with CAF 0.17 `inspect`.

#include "messages/status.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace seatgrab {

/// One command line of the admin shell, as it travels to a node.
struct admin_request {
  std::string token;              ///< the admin token the operator gave
  std::string who;                ///< the operator's name, for the audit log
  std::vector<std::string> words; ///< the command and its arguments
  bool json = false;              ///< answer in JSON instead of text
};

/// What a registry knows of another member of the cluster.
struct peer_state {
  std::string name;
  bool up = false;           ///< connected now
  int64_t since_ms = 0;      ///< when it last came up or went down (ms since the epoch; 0: never)
  int64_t last_seen_ms = 0;  ///< its last answer to a ping (ms since the epoch; 0: never)
  int64_t rtt_us = -1;       ///< round trip of that ping (-1: none yet)
  uint64_t pings_ok = 0;     ///< pings answered
  uint64_t pings_failed = 0; ///< pings that timed out or failed
  uint64_t lookups_forwarded = 0; ///< lookups of its entities sent to it
  int64_t actors = -1;            ///< actors it hosted at its last ping (-1: unknown)
};

/// One line of a node's audit log.
struct audit_record {
  std::string node;    ///< the member that ran the command
  uint64_t seq = 0;    ///< 1, 2, ... per member
  int64_t at_ms = 0;   ///< when (ms since the epoch)
  std::string who;     ///< the operator's name as the shell gave it
  std::string command; ///< the command line
  bool ok = false;     ///< whether it succeeded
  std::string outcome; ///< what it did, or why it failed
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, audit_record& x) {
  return f(x.node, x.seq, x.at_ms, x.who, x.command, x.ok, x.outcome);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, admin_request& x) {
  return f(x.token, x.who, x.words, x.json);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, peer_state& x) {
  return f(x.name, x.up, x.since_ms, x.last_seen_ms, x.rtt_us, x.pings_ok, x.pings_failed,
           x.lookups_forwarded, x.actors);
}

} // namespace seatgrab
