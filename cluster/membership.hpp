#pragma once

// The cluster file (DESIGN §9, fixed format): one `[[node]]` table per member with its `name`,
// the `cluster` host:port it publishes its registry on and its `http` edge's host:port.
// Membership is static: every node reads the same file. A bad file is refused as a whole,
// with a message naming the file, the entry and the key.

#include <caf/expected.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace seatgrab::cluster {

/// A host and a port, as written in the file ("127.0.0.1:7101", "[::1]:7101", "db-1:7101").
struct endpoint {
  std::string host; ///< without brackets for IPv6
  uint16_t port = 0;

  friend bool operator==(const endpoint&, const endpoint&) = default;
};

/// Renders "host:port", bracketing an IPv6 host.
std::string to_string(const endpoint& e);

/// Whether `host` names this machine only (127.0.0.0/8, ::1, localhost).
bool is_loopback(std::string_view host);

/// Parses "host:port" (port 1-65535; an IPv6 host in brackets).
caf::expected<endpoint> parse_endpoint(std::string_view text);

/// One member of the cluster.
struct member {
  std::string name;
  endpoint cluster; ///< where it publishes its registry (CAF's middleman)
  endpoint http;    ///< its HTTP edge
};

/// The members, in the file's order, and which one this node is.
struct membership {
  std::vector<member> members;
  size_t self = 0;

  const member& me() const { return members[self]; }
  std::vector<std::string> names() const;
};

/// At most this many members: membership is a list every lookup ranks.
inline constexpr size_t max_members = 64;

/// Parses the cluster file's `text` (`source` names it in errors) for the node `self_name`.
/// Refused: a TOML error (with line and column), a key that is not `name`, `cluster` or `http`,
/// a missing or malformed one, a name used twice, an address (cluster or http, of any member)
/// used twice, no members or more than `max_members`, and a `self_name` the file lacks.
caf::expected<membership> parse_membership(std::string_view text, const std::string& source,
                                           const std::string& self_name);

/// Reads and parses the cluster file `file` (see `parse_membership`).
caf::expected<membership> load_membership(const std::filesystem::path& file,
                                          const std::string& self_name);

} // namespace seatgrab::cluster
