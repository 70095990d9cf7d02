#pragma once

// One client connection of the HTTP server (http/server.cpp), over TCP or TLS: reads requests,
// hands each to the handler as an `exchange`, writes the answers and event streams, with the
// timeouts and stream buffer bound. The server owns the caps and counters (`connection_owner`).

#include "http/server.hpp"

#include <boost/asio/ip/tcp.hpp>

#include <memory>
#include <string>
#include <string_view>

namespace boost::asio::ssl {
class context;
} // namespace boost::asio::ssl

namespace seatgrab::http::detail {

/// What a connection asks of its server. Called on the connection's strand.
class connection_owner {
public:
  virtual ~connection_owner() = default;
  [[nodiscard]] virtual const server_options& opts() const = 0;
  [[nodiscard]] virtual bool stopping() const = 0;
  /// A request was read: hand it to the handler.
  virtual void dispatch(std::shared_ptr<exchange> ex) = 0;
  /// A request was answered (or became a stream).
  virtual void answered() = 0;
  virtual response render_error(unsigned status, std::string_view code,
                                std::string_view detail) = 0;
  /// The connection from `remote` has closed.
  virtual void closed(const std::string& remote) = 0;
  /// Takes an event-stream slot for `remote`: 0 if taken, else the status to answer (429, 503).
  virtual unsigned take_stream_slot(const std::string& remote) = 0;
  virtual void release_stream_slot(const std::string& remote) = 0;
  virtual void count_slow_stream() = 0;
  virtual void count_write_timeout() = 0;
};

/// A connection as its server sees it.
class connection {
public:
  virtual ~connection() = default;
  /// Starts reading (after the TLS handshake, with TLS).
  virtual void start() = 0;
  /// From any thread: close if idle, else after the current answer.
  virtual void shutdown_when_idle() = 0;
  /// From any thread: close now (a request in the handler still gets its answer written).
  virtual void close() = 0;
};

/// A connection on `socket` from `remote`; HTTPS if `tls` is set (it must outlive the
/// connection).
std::shared_ptr<connection> make_connection(boost::asio::ip::tcp::socket socket, std::string remote,
                                            connection_owner& owner,
                                            boost::asio::ssl::context* tls);

} // namespace seatgrab::http::detail
