#pragma once

// The HTTP/1.1 server of the edge, on Boost.Beast: asynchronous, keep-alive, size limits,
// read and write timeouts, connection and event-stream caps (in all and per client address,
// enforced at accept) and graceful shutdown. It knows nothing of SeatGrab's routes:
// a handler gets each request as an `exchange` and answers it from any thread, later.

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace boost::asio::ssl {
class context;
} // namespace boost::asio::ssl

namespace seatgrab::http {

using request = boost::beast::http::request<boost::beast::http::string_body>;
using response = boost::beast::http::response<boost::beast::http::string_body>;

/// An open Server-Sent Events stream. Thread-safe.
class event_stream {
public:
  virtual ~event_stream() = default;

  /// Queues `frame` (one or more complete SSE lines) for the client; the frame is shared, not
  /// copied, so many streams can send one snapshot. False once the client is gone, the server
  /// stops or the client reads too slowly (the stream is then closed); then stop sending.
  virtual bool send(std::shared_ptr<const std::string> frame) = 0;

  /// The same with a frame of its own.
  bool send(std::string frame) {
    return send(std::make_shared<const std::string>(std::move(frame)));
  }

  /// Whether the client is still there.
  [[nodiscard]] virtual bool open() const = 0;

  /// Ends the stream (closes the connection).
  virtual void close() = 0;
};

/// One request and the means to answer it, exactly once, from any thread.
class exchange {
public:
  virtual ~exchange() = default;

  [[nodiscard]] virtual const request& req() const = 0;

  /// The client's address, for rate limits and logs.
  [[nodiscard]] virtual const std::string& remote() const = 0;

  /// Sends `res` (keep-alive and version follow the request). Later calls do nothing.
  virtual void respond(response res) = 0;

  /// Answers 200 `text/event-stream` with the headers of `head` and keeps the connection for
  /// events; the connection ends with the stream. Over the stream caps it answers 429
  /// `too_many_streams` (this address) or 503 `overloaded` (in all) instead and the stream
  /// returned is closed.
  virtual std::shared_ptr<event_stream> open_stream(response head) = 0;
};

/// Called on an I/O thread for every request; must not block.
using handler = std::function<void(std::shared_ptr<exchange>)>;

/// Renders an error the server itself detects (bad request, too large, overloaded) as a
/// response, e.g. problem+json.
using error_renderer =
    std::function<response(unsigned status, std::string_view code, std::string_view detail)>;

struct server_options {
  std::string host = "127.0.0.1";
  uint16_t port = 8080; ///< 0 = an ephemeral port (see `server::port`)
  size_t threads = 1;   ///< I/O threads
  size_t max_header_bytes = 8 * 1024;
  size_t max_body_bytes = 64 * 1024;
  /// A client must send a whole request within this time, or the connection is closed (slow
  /// clients, idle keep-alive connections).
  std::chrono::seconds read_timeout{15};
  /// A write that makes no progress for this long closes the connection (clients that do not
  /// read their answers or their event stream).
  std::chrono::seconds write_timeout{15};
  /// Connections beyond this are answered 503 `overloaded` at accept and closed.
  size_t max_connections = 10'000;
  /// Connections from one client address beyond this are answered 429 `too_many_connections`
  /// at accept and closed (one address cannot take every slot).
  size_t max_connections_per_address = 1'024;
  /// Open event streams beyond this are refused: 503 `overloaded`.
  size_t max_streams = 5'000;
  /// Open event streams of one client address beyond this are refused: 429 `too_many_streams`.
  size_t max_streams_per_address = 64;
  /// Bytes one event stream may have queued for its client; a client that falls further behind
  /// is dropped (its connection closed). A frame is always accepted into an empty queue.
  size_t stream_buffer_bytes = 8 * 1024 * 1024;
  /// After a failed accept (e.g. EMFILE: out of file descriptors) the server waits this long
  /// before accepting again, rather than spinning.
  std::chrono::milliseconds accept_backoff{100};
  /// HTTPS when set (`make_tls_context` in http/tls.hpp): every connection starts with a TLS
  /// handshake (1.2 or later) and every answer carries Strict-Transport-Security.
  std::shared_ptr<boost::asio::ssl::context> tls;
};

/// Counters of the server, for /metrics and tests.
struct server_stats {
  size_t connections = 0;            ///< open now
  size_t streams = 0;                ///< event streams open now
  uint64_t refused_connections = 0;  ///< over a connection cap at accept
  uint64_t refused_streams = 0;      ///< over a stream cap
  uint64_t accept_errors = 0;        ///< failed accepts (each followed by a back-off)
  uint64_t slow_streams_dropped = 0; ///< streams closed for a full buffer
  uint64_t write_timeouts = 0;       ///< connections closed by the write timeout
};

/// A running server. Destroying it stops it (see `stop`).
class server {
public:
  /// Binds and starts the I/O threads. Errors name the address.
  static std::unique_ptr<server> start(server_options opts, handler on_request,
                                       error_renderer on_error, std::string& error);

  virtual ~server() = default;

  /// The bound port (the ephemeral one if 0 was asked for).
  [[nodiscard]] virtual uint16_t port() const = 0;

  /// Requests in flight (read, not yet answered).
  [[nodiscard]] virtual size_t in_flight() const = 0;

  /// Open connections.
  [[nodiscard]] virtual size_t connections() const = 0;

  /// The counters.
  [[nodiscard]] virtual server_stats stats() const = 0;

  /// Graceful stop: no new connections, idle ones closed, requests in flight answered (for at
  /// most `grace`), streams closed, I/O threads joined. Idempotent.
  virtual void stop(std::chrono::milliseconds grace) = 0;
};

} // namespace seatgrab::http
