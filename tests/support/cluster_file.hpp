#pragma once

// Cluster files for tests (the [[node]] format of DESIGN §9) and loopback ports to put in them.

#include <boost/asio/ip/tcp.hpp>

#include <cstdint>
#include <string>

namespace seatgrab::test {

/// A loopback port nobody listens on now (the kernel's pick for a socket bound to port 0).
inline uint16_t free_port() {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor acc{ioc, {boost::asio::ip::make_address("127.0.0.1"), 0}};
  return acc.local_endpoint().port();
}

/// One member's `[[node]]` table.
inline std::string cluster_member(const std::string& name, const std::string& cluster,
                                  const std::string& http) {
  return "[[node]]\nname = \"" + name + "\"\ncluster = \"" + cluster + "\"\nhttp = \"" + http +
         "\"\n";
}

/// The same on 127.0.0.1 ports.
inline std::string cluster_member(const std::string& name, uint16_t cluster, uint16_t http) {
  return cluster_member(name, "127.0.0.1:" + std::to_string(cluster),
                        "127.0.0.1:" + std::to_string(http));
}

} // namespace seatgrab::test
