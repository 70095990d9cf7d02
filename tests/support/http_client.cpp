#include "tests/support/http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <optional>
#include <stdexcept>

namespace seatgrab::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

struct http_client::impl {
  explicit impl(uint16_t p) : port(p) {}

  void connect() {
    stream_opt.emplace(ioc);
    stream_opt->connect(tcp::endpoint{asio::ip::make_address("127.0.0.1"), port});
    buffer.clear();
  }

  beast::tcp_stream& stream() { return *stream_opt; }

  uint16_t port;
  asio::io_context ioc;
  std::optional<beast::tcp_stream> stream_opt;
  beast::flat_buffer buffer;
  bool connected = false;
};

http_client::http_client(uint16_t port) : impl_(std::make_unique<impl>(port)) {}
http_client::~http_client() = default;
http_client::http_client(http_client&&) noexcept = default;
http_client& http_client::operator=(http_client&&) noexcept = default;

http_response http_client::request(const std::string& method, const std::string& target,
                                   const std::string& body,
                                   const std::map<std::string, std::string>& headers) {
  bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(method), target, 11};
  req.set(bhttp::field::host, "127.0.0.1");
  if (!body.empty())
    req.set(bhttp::field::content_type, "application/json");
  for (const auto& [k, v] : headers)
    req.set(k, v);
  req.body() = body;
  req.prepare_payload();
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!impl_->connected) {
      impl_->connect();
      impl_->connected = true;
    }
    beast::error_code ec;
    impl_->stream().expires_after(std::chrono::seconds{30});
    bhttp::write(impl_->stream(), req, ec);
    http_response res;
    if (!ec)
      bhttp::read(impl_->stream(), impl_->buffer, res, ec);
    if (ec) {
      // The server closed a kept-alive connection: once more on a fresh one.
      impl_->connected = false;
      if (attempt == 0)
        continue;
      throw std::runtime_error{"HTTP " + method + " " + target + ": " + ec.message()};
    }
    if (!res.keep_alive())
      impl_->connected = false;
    return res;
  }
  throw std::runtime_error{"unreachable"};
}

http_response http_client::with_token(const std::string& token, const std::string& method,
                                      const std::string& target, const std::string& body,
                                      std::map<std::string, std::string> headers) {
  headers["Authorization"] = "Bearer " + token;
  return request(method, target, body, headers);
}

std::string http_client::read_events(const std::string& target, size_t frames,
                                     const std::map<std::string, std::string>& headers,
                                     std::chrono::seconds timeout) {
  impl stream_impl{impl_->port};
  stream_impl.connect();
  std::string raw =
      "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n";
  for (const auto& [k, v] : headers)
    raw += k + ": " + v + "\r\n";
  raw += "\r\n";
  stream_impl.stream().expires_after(timeout);
  asio::write(stream_impl.stream(), asio::buffer(raw));
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
  while (count() < frames) {
    beast::error_code ec;
    auto n = stream_impl.stream().read_some(asio::buffer(buf), ec);
    if (ec)
      break;
    got.append(buf, n);
  }
  return got;
}

std::string raw_exchange(uint16_t port, const std::string& raw, std::chrono::seconds timeout) {
  asio::io_context ioc;
  beast::tcp_stream stream{ioc};
  stream.connect(tcp::endpoint{asio::ip::make_address("127.0.0.1"), port});
  stream.expires_after(timeout);
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

} // namespace seatgrab::test
