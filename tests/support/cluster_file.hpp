#pragma once

// Cluster files for tests (the [[node]] format of DESIGN §9) and loopback ports to put in them.

#include <boost/asio/ip/tcp.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace seatgrab::test {

/// `n` distinct loopback ports nobody listens on now (the kernel's picks for sockets bound to
/// port 0). Every socket stays open until all are picked: closed one by one, the kernel may hand
/// out the same port twice (a cluster file with two members on one port; seen in CI).
inline std::vector<uint16_t> free_ports(size_t n) {
  boost::asio::io_context ioc;
  std::vector<boost::asio::ip::tcp::acceptor> held;
  std::vector<uint16_t> ports;
  for (size_t i = 0; i < n; ++i) {
    held.emplace_back(
        ioc, boost::asio::ip::tcp::endpoint{boost::asio::ip::make_address("127.0.0.1"), 0});
    ports.push_back(held.back().local_endpoint().port());
  }
  return ports;
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
