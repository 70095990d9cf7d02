#pragma once

#include <filesystem>
#include <string>

namespace seatgrab::app {

/// `seatgrab admin`: the operator's shell, connected over CAF to a node's cluster port.
struct admin_cmd_options {
  std::string connect;                    ///< --connect HOST:PORT (a node's cluster port)
  std::string admin_token;                ///< --admin-token (visible in ps: prefer the others)
  std::filesystem::path admin_token_file; ///< --admin-token-file
  std::string command;                    ///< -c: one command, then exit
  bool json = false;                      ///< --json
  std::string who;                        ///< --as: the name in the audit log (default: $USER)
  std::string tls_cert, tls_key, tls_ca;  ///< mutual TLS with a cluster that has --tls-ca
};

/// Runs one command (-c) or the interactive shell. Exit status: 0 done, 1 the command failed
/// (refused, unknown, unavailable), 2 bad flags or no connection.
int admin_shell(const admin_cmd_options& opts);

} // namespace seatgrab::app
