#pragma once

// A small blocking HTTP/1.1 client for the edge's integration tests (Boost.Beast), keeping one
// connection alive across requests, plus raw-socket helpers for malformed input.

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

namespace seatgrab::test {

using http_response = boost::beast::http::response<boost::beast::http::string_body>;

class http_client {
public:
  explicit http_client(uint16_t port);
  ~http_client();

  http_client(http_client&&) noexcept;
  http_client& operator=(http_client&&) noexcept;

  /// Sends one request and waits for the answer; reconnects if the server closed the
  /// connection. Headers: name -> value. A JSON body gets Content-Type application/json unless
  /// a header says otherwise.
  http_response request(const std::string& method, const std::string& target,
                        const std::string& body = {},
                        const std::map<std::string, std::string>& headers = {});

  /// The same with `Authorization: Bearer <token>` added.
  http_response with_token(const std::string& token, const std::string& method,
                           const std::string& target, const std::string& body = {},
                           std::map<std::string, std::string> headers = {});

  /// Opens a Server-Sent Events stream and returns the first `frames` events (blank-line
  /// separated, comments included) as they arrive, waiting at most `timeout`.
  std::string read_events(const std::string& target, size_t frames,
                          const std::map<std::string, std::string>& headers,
                          std::chrono::seconds timeout);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// Sends `raw` bytes on a fresh connection and returns everything the server answers until
/// it closes the connection (or `timeout`).
std::string raw_exchange(uint16_t port, const std::string& raw,
                         std::chrono::seconds timeout = std::chrono::seconds{5});

} // namespace seatgrab::test
