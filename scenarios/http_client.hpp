#pragma once

// An asynchronous HTTP/1.1 client for the fans of an HTTP-mode run: a pool of keep-alive
// connections over one io_context thread, requests queued until a connection is free. A 429
// (or a 503 with Retry-After: shed before anything was done) is retried after its Retry-After,
// up to 20 times, and counted; but a 429 `velocity_limited` (the bot guard's limits, a fan's
// polls) is answered as it is, for the caller to decide; a broken connection is retried once (the
// fans' POSTs are idempotent: joins by account and device, the others by Idempotency-Key).

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace boost::asio {
class io_context;
} // namespace boost::asio

namespace seatgrab::scenarios {

struct http_call {
  http_call(std::string method, std::string target, std::string body = {})
      : method(std::move(method)), target(std::move(target)), body(std::move(body)) {}

  std::string method; ///< "GET", "POST", "DELETE"
  std::string target; ///< path and query
  std::string body;   ///< JSON, may be empty
  std::string bearer;
  std::string admission_token;
  std::string idempotency_key;
  std::string if_none_match;
  /// Headers the client sends besides these, in order (a browser's own, X-Forwarded-For).
  std::vector<std::pair<std::string, std::string>> headers;
};

struct http_reply {
  unsigned status = 0; ///< 0: no answer (the error says why)
  std::string body;
  std::string etag;
  uint32_t retry_after_s = 0; ///< a 429's or 503's Retry-After
  std::string error;
};

class http_client {
public:
  using callback = std::function<void(http_reply)>;

  /// Talks to `host`:`port` over at most `connections` connections.
  http_client(boost::asio::io_context& io, std::string host, std::string port, size_t connections);
  ~http_client();
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  void send(http_call call, callback k);

  /// Requests answered (any status), 429s among them (retried or not).
  [[nodiscard]] uint64_t answered() const noexcept;
  [[nodiscard]] uint64_t throttled() const noexcept;

private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

} // namespace seatgrab::scenarios
