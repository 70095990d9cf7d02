#pragma once

// A small blocking HTTP/1.1 client for the edge's integration tests (Boost.Beast), keeping one
// connection alive across requests, plus raw-socket helpers for malformed input. Every call
// gives up at a deadline instead of hanging the test, and a request the server may have acted
// on is never sent twice unless the caller says so.

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

namespace seatgrab::test {

using http_response = boost::beast::http::response<boost::beast::http::string_body>;

/// Whether `http_client::request` may send a request a second time, on a fresh connection,
/// after the first attempt failed once written (the server closed or reset the connection,
/// or did not answer in time): the server may have acted on the first one, and a test must
/// see every effect it causes.
enum class resend {
  /// Only requests without effect (GET, HEAD) or carrying an `Idempotency-Key` header.
  if_safe,
  /// Never: the failure is thrown.
  never,
  /// Always once: the caller accepts a possible second effect.
  allowed,
};

class http_client {
public:
  /// Talks to `host`:`port` (a loopback port unless a test gives another address, e.g. of a
  /// member in its own network namespace).
  explicit http_client(uint16_t port, std::string host = "127.0.0.1");
  ~http_client();

  http_client(http_client&&) noexcept;
  http_client& operator=(http_client&&) noexcept;

  /// Sends one request and waits at most `timeout` for the answer. Headers: name -> value. A
  /// JSON body gets Content-Type application/json unless a header says otherwise. A kept-alive
  /// connection the server closed while idle is replaced before sending (nothing was sent on
  /// it); a failure after sending is retried only as `policy` allows, else thrown.
  http_response request(const std::string& method, const std::string& target,
                        const std::string& body = {},
                        const std::map<std::string, std::string>& headers = {},
                        resend policy = resend::if_safe);

  /// The same with `Authorization: Bearer <token>` added.
  http_response with_token(const std::string& token, const std::string& method,
                           const std::string& target, const std::string& body = {},
                           std::map<std::string, std::string> headers = {},
                           resend policy = resend::if_safe);

  /// Opens a Server-Sent Events stream and returns the first `frames` events (blank-line
  /// separated, comments included) as they arrive, waiting at most `timeout` in all.
  std::string read_events(const std::string& target, size_t frames,
                          const std::map<std::string, std::string>& headers,
                          std::chrono::seconds timeout);

  /// How long one request may take (default 30 s).
  void set_timeout(std::chrono::milliseconds timeout);

  /// Connections this client opened so far (a test of the client counts its reconnects).
  uint64_t connections_opened() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// Sends `raw` bytes on a fresh connection and returns everything the server answers until
/// it closes the connection (or `timeout`).
std::string raw_exchange(uint16_t port, const std::string& raw,
                         std::chrono::seconds timeout = std::chrono::seconds{5});

/// Descriptors this process has open now (entries of /proc/self/fd), for tests that bound
/// how many they use.
size_t open_descriptors();

} // namespace seatgrab::test
