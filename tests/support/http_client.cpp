#include "tests/support/http_client.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <optional>
#include <poll.h>
#include <stdexcept>

namespace seatgrab::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using steady = std::chrono::steady_clock;

namespace {

/// One I/O context for every client socket: blocking calls never run it, and a context per
/// client would cost three descriptors (epoll, eventfd, timerfd) per connection.
asio::io_context& shared_io() {
  static asio::io_context ioc;
  return ioc;
}

/// Blocking reads and writes on a socket that give up at a deadline: asio's blocking calls
/// have no timeout, and Beast's tcp_stream applies its timeouts to asynchronous calls only.
class deadline_stream {
public:
  deadline_stream(tcp::socket& sock, steady::time_point deadline)
      : sock_(sock), deadline_(deadline) {}

  template <class Buffers>
  size_t read_some(const Buffers& b, beast::error_code& ec) {
    return wait(POLLIN, ec) ? sock_.read_some(b, ec) : 0;
  }

  template <class Buffers>
  size_t read_some(const Buffers& b) {
    beast::error_code ec;
    auto n = read_some(b, ec);
    if (ec)
      throw beast::system_error{ec};
    return n;
  }

  template <class Buffers>
  size_t write_some(const Buffers& b, beast::error_code& ec) {
    return wait(POLLOUT, ec) ? sock_.write_some(b, ec) : 0;
  }

  template <class Buffers>
  size_t write_some(const Buffers& b) {
    beast::error_code ec;
    auto n = write_some(b, ec);
    if (ec)
      throw beast::system_error{ec};
    return n;
  }

private:
  /// Waits until the socket is ready for `events` (or hung up); false with `ec` at the
  /// deadline or on a poll error.
  bool wait(short events, beast::error_code& ec) {
    for (;;) {
      auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline_ - steady::now());
      pollfd p{sock_.native_handle(), events, 0};
      auto ready = ::poll(&p, 1, static_cast<int>(std::max<int64_t>(0, left.count())));
      if (ready > 0)
        return true;
      if (ready == 0) {
        ec = asio::error::timed_out;
        return false;
      }
      if (errno != EINTR) {
        ec = beast::error_code{errno, beast::system_category()};
        return false;
      }
    }
  }

  tcp::socket& sock_;
  steady::time_point deadline_;
};

/// A fresh blocking connection to `host`:`port`.
tcp::socket connect_to(const std::string& host, uint16_t port) {
  tcp::socket sock{shared_io()};
  sock.connect(tcp::endpoint{asio::ip::make_address(host), port});
  return sock;
}

/// Whether an idle kept-alive connection is still usable: nothing to read on it. A server that
/// closed it (end of file), reset it or wrote to it unasked (a 408 before closing) is done.
bool idle_and_open(tcp::socket& sock) {
  pollfd p{sock.native_handle(), POLLIN, 0};
  return ::poll(&p, 1, 0) == 0;
}

/// Whether `policy` lets `req` be sent again after a failure.
bool may_resend(const bhttp::request<bhttp::string_body>& req, resend policy) {
  switch (policy) {
  case resend::never:
    return false;
  case resend::allowed:
    return true;
  case resend::if_safe:
    break;
  }
  return req.method() == bhttp::verb::get || req.method() == bhttp::verb::head ||
         req.find("Idempotency-Key") != req.end();
}

} // namespace

struct http_client::impl {
  impl(uint16_t p, std::string h) : port(p), host(std::move(h)) {}

  void connect() {
    sock.emplace(connect_to(host, port));
    buffer.clear();
    ++opened;
  }

  void close() {
    beast::error_code ignored;
    if (sock)
      sock->close(ignored);
    sock.reset();
  }

  uint16_t port;
  std::string host;
  std::optional<tcp::socket> sock;
  beast::flat_buffer buffer;
  std::chrono::milliseconds timeout{std::chrono::seconds{30}};
  uint64_t opened = 0;
};

http_client::http_client(uint16_t port, std::string host)
    : impl_(std::make_unique<impl>(port, std::move(host))) {}
http_client::~http_client() = default;
http_client::http_client(http_client&&) noexcept = default;
http_client& http_client::operator=(http_client&&) noexcept = default;

void http_client::set_timeout(std::chrono::milliseconds timeout) {
  impl_->timeout = timeout;
}

uint64_t http_client::connections_opened() const {
  return impl_->opened;
}

http_response http_client::request(const std::string& method, const std::string& target,
                                   const std::string& body,
                                   const std::map<std::string, std::string>& headers,
                                   resend policy) {
  bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(method), target, 11};
  req.set(bhttp::field::host, impl_->host);
  if (!body.empty())
    req.set(bhttp::field::content_type, "application/json");
  for (const auto& [k, v] : headers)
    req.set(k, v);
  req.body() = body;
  req.prepare_payload();
  auto resend_ok = may_resend(req, policy);
  for (int attempt = 0;; ++attempt) {
    if (impl_->sock && !idle_and_open(*impl_->sock))
      impl_->close(); // closed while idle: nothing of this request was sent on it
    if (!impl_->sock)
      impl_->connect();
    beast::error_code ec;
    deadline_stream stream{*impl_->sock, steady::now() + impl_->timeout};
    bhttp::write(stream, req, ec);
    http_response res;
    if (!ec)
      bhttp::read(stream, impl_->buffer, res, ec);
    if (!ec) {
      if (!res.keep_alive())
        impl_->close();
      return res;
    }
    impl_->close();
    if (attempt == 0 && resend_ok)
      continue;
    throw std::runtime_error{
        "HTTP " + method + " " + target + ": " + ec.message() +
        (resend_ok ? " (sent twice)" : " (not sent again: the server may have acted on it)")};
  }
}

http_response http_client::with_token(const std::string& token, const std::string& method,
                                      const std::string& target, const std::string& body,
                                      std::map<std::string, std::string> headers, resend policy) {
  headers["Authorization"] = "Bearer " + token;
  return request(method, target, body, headers, policy);
}

std::string http_client::read_events(const std::string& target, size_t frames,
                                     const std::map<std::string, std::string>& headers,
                                     std::chrono::seconds timeout) {
  auto sock = connect_to(impl_->host, impl_->port);
  deadline_stream stream{sock, steady::now() + timeout};
  std::string raw =
      "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n";
  for (const auto& [k, v] : headers)
    raw += k + ": " + v + "\r\n";
  raw += "\r\n";
  beast::error_code ec;
  asio::write(stream, asio::buffer(raw), ec);
  std::string got;
  char buf[4096];
  auto count = [&] {
    auto body = got.find("\r\n\r\n");
    if (body == std::string::npos)
      return size_t{0};
    size_t n = 0;
    for (auto pos = got.find("\n\n", body + 4); pos != std::string::npos;
         pos = got.find("\n\n", pos + 2))
      ++n;
    return n;
  };
  while (!ec && count() < frames) {
    auto n = stream.read_some(asio::buffer(buf), ec);
    got.append(buf, n);
  }
  return got;
}

std::string raw_exchange(uint16_t port, const std::string& raw, std::chrono::seconds timeout) {
  auto sock = connect_to("127.0.0.1", port);
  deadline_stream stream{sock, steady::now() + timeout};
  beast::error_code ec;
  asio::write(stream, asio::buffer(raw), ec);
  std::string got;
  char buf[4096];
  while (!ec) {
    auto n = stream.read_some(asio::buffer(buf), ec);
    got.append(buf, n);
  }
  return got;
}

size_t open_descriptors() {
  std::error_code ec;
  size_t n = 0;
  for (std::filesystem::directory_iterator it{"/proc/self/fd", ec}, end; !ec && it != end;
       it.increment(ec))
    ++n;
  return n > 0 ? n - 1 : 0; // the directory's own descriptor while it is read
}

} // namespace seatgrab::test
