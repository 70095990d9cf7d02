#pragma once

// A bare TCP client socket for tests of hostile clients: connects, optionally with a tiny
// receive buffer, sends bytes, and reads with a deadline (or never reads at all).

#include <arpa/inet.h>
#include <chrono>
#include <cstdint>
#include <netinet/in.h>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>

namespace seatgrab::test {

/// One client connection to 127.0.0.1. Closed on destruction.
class raw_socket {
public:
  /// Connects to `port`; `rcvbuf` > 0 shrinks the receive buffer first (a client that reads
  /// slowly, or not at all, then stalls the server's writes sooner).
  explicit raw_socket(uint16_t port, int rcvbuf = 0) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0)
      return;
    if (rcvbuf > 0)
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }

  raw_socket(const raw_socket&) = delete;
  raw_socket& operator=(const raw_socket&) = delete;
  raw_socket(raw_socket&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }

  ~raw_socket() { close(); }

  /// Whether the connection was made.
  [[nodiscard]] bool connected() const { return fd_ >= 0; }

  void close() {
    if (fd_ >= 0)
      ::close(fd_);
    fd_ = -1;
  }

  /// Sends all of `bytes`; false on an error.
  bool send(const std::string& bytes) {
    size_t done = 0;
    while (done < bytes.size()) {
      auto n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      if (n <= 0)
        return false;
      done += static_cast<size_t>(n);
    }
    return true;
  }

  /// Reads until `needle` has arrived, the server closes, or `timeout`; returns what came.
  std::string read_until(const std::string& needle, std::chrono::milliseconds timeout) {
    std::string out;
    read_loop(
        timeout, [&] { return out.find(needle) != std::string::npos; }, out);
    return out;
  }

  /// Reads until the server closes the connection (true) or `timeout` (false); `out` gets the
  /// bytes.
  bool read_to_close(std::chrono::milliseconds timeout, std::string& out) {
    return read_loop(
        timeout, [] { return false; }, out);
  }

private:
  /// True once the peer closed (EOF or reset); false at the deadline or when `enough`.
  template <class Enough>
  bool read_loop(std::chrono::milliseconds timeout, Enough enough, std::string& out) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    char buf[65536];
    while (!enough()) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0)
        return false;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0)
        continue;
      auto n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0)
        return true;
      out.append(buf, static_cast<size_t>(n));
    }
    return false;
  }

  int fd_ = -1;
};

} // namespace seatgrab::test
