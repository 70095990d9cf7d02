#include "scenarios/http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>

namespace seatgrab::scenarios {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

namespace {

struct job {
  http_call call;
  http_client::callback k;
  int tries = 0;     ///< transport failures so far
  int throttled = 0; ///< 429s (and 503s with Retry-After) so far
};

/// A throttled request is tried this often at most; then the caller sees the answer.
constexpr int max_throttled = 20;

} // namespace

struct http_client::impl : std::enable_shared_from_this<http_client::impl> {
  struct connection {
    explicit connection(asio::io_context& io) : stream(io) {}
    beast::tcp_stream stream;
    beast::flat_buffer buffer;
    bhttp::request<bhttp::string_body> req;
    bhttp::response<bhttp::string_body> res;
    bool open = false;
    bool busy = false;
  };

  impl(asio::io_context& io, std::string host, std::string port, size_t n)
      : io(io), host(std::move(host)), port(std::move(port)) {
    for (size_t i = 0; i < n; ++i)
      pool.push_back(std::make_unique<connection>(io));
  }

  asio::io_context& io;
  std::string host;
  std::string port;
  tcp::resolver::results_type endpoints;
  std::vector<std::unique_ptr<connection>> pool;
  std::deque<job> queue;
  uint64_t answered = 0;
  uint64_t throttled = 0;

  void enqueue(job j) {
    queue.push_back(std::move(j));
    dispatch();
  }

  void dispatch() {
    for (auto& c : pool) {
      if (queue.empty())
        return;
      if (c->busy)
        continue;
      c->busy = true;
      auto j = std::make_shared<job>(std::move(queue.front()));
      queue.pop_front();
      start(*c, j);
    }
  }

  void start(connection& c, std::shared_ptr<job> j) {
    if (c.open) {
      write(c, j);
      return;
    }
    if (endpoints.empty()) {
      boost::system::error_code ec;
      tcp::resolver resolver{io};
      endpoints = resolver.resolve(host, port, ec);
      if (ec)
        return fail(c, j, "resolve " + host + ":" + port + ": " + ec.message());
    }
    c.stream.expires_after(std::chrono::seconds{10});
    c.stream.async_connect(
        endpoints, [self = shared_from_this(), &c, j](beast::error_code ec, const tcp::endpoint&) {
          if (ec)
            return self->fail(c, j, "connect: " + ec.message());
          c.stream.socket().set_option(tcp::no_delay{true});
          c.open = true;
          self->write(c, j);
        });
  }

  void write(connection& c, std::shared_ptr<job> j) {
    c.req = {};
    c.req.version(11);
    c.req.method(bhttp::string_to_verb(j->call.method));
    c.req.target(j->call.target);
    c.req.set(bhttp::field::host, host);
    bool agent = false;
    for (const auto& [name, value] : j->call.headers) {
      c.req.set(name, value);
      agent = agent || beast::iequals(name, "User-Agent");
    }
    if (!agent)
      c.req.set(bhttp::field::user_agent, "seatgrab-scenario");
    if (!j->call.bearer.empty())
      c.req.set(bhttp::field::authorization, "Bearer " + j->call.bearer);
    if (!j->call.admission_token.empty())
      c.req.set("X-Admission-Token", j->call.admission_token);
    if (!j->call.idempotency_key.empty())
      c.req.set("Idempotency-Key", j->call.idempotency_key);
    if (!j->call.if_none_match.empty())
      c.req.set(bhttp::field::if_none_match, j->call.if_none_match);
    if (!j->call.body.empty()) {
      c.req.set(bhttp::field::content_type, "application/json");
      c.req.body() = j->call.body;
    }
    c.req.keep_alive(true);
    c.req.prepare_payload();
    c.stream.expires_after(std::chrono::seconds{30});
    bhttp::async_write(c.stream, c.req,
                       [self = shared_from_this(), &c, j](beast::error_code ec, size_t) {
                         if (ec)
                           return self->fail(c, j, "write: " + ec.message());
                         self->read(c, j);
                       });
  }

  void read(connection& c, std::shared_ptr<job> j) {
    c.res = {};
    bhttp::async_read(c.stream, c.buffer, c.res,
                      [self = shared_from_this(), &c, j](beast::error_code ec, size_t) {
                        if (ec)
                          return self->fail(c, j, "read: " + ec.message());
                        self->done(c, j);
                      });
  }

  void done(connection& c, std::shared_ptr<job> j) {
    ++answered;
    if (!c.res.keep_alive()) {
      beast::error_code ignored;
      c.stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
      c.stream.close();
      c.open = false;
    }
    c.busy = false;
    auto status = c.res.result_int();
    auto retry_after = c.res[bhttp::field::retry_after];
    if (status == 429 && c.res.body().find("\"velocity_limited\"") != std::string::npos)
      ++throttled; // a limit of the client's own: answered as it is, the caller decides
    else if ((status == 429 || (status == 503 && !retry_after.empty())) &&
             ++j->throttled < max_throttled) {
      // Rate limited, or the node is shedding load before doing anything: wait as told.
      throttled += status == 429;
      uint32_t after = 1;
      std::from_chars(retry_after.data(), retry_after.data() + retry_after.size(), after);
      after = std::clamp<uint32_t>(after, 1, 30);
      auto timer = std::make_shared<asio::steady_timer>(io, std::chrono::seconds{after});
      timer->async_wait([self = shared_from_this(), timer, j](beast::error_code) {
        self->enqueue(std::move(*j));
      });
      dispatch();
      return;
    }
    http_reply r;
    r.status = c.res.result_int();
    r.body = std::move(c.res.body());
    r.etag = std::string{c.res[bhttp::field::etag]};
    std::from_chars(retry_after.data(), retry_after.data() + retry_after.size(), r.retry_after_s);
    dispatch();
    j->k(std::move(r));
  }

  void fail(connection& c, std::shared_ptr<job> j, std::string why) {
    beast::error_code ignored;
    c.stream.socket().close(ignored);
    c.open = false;
    c.busy = false;
    c.buffer.clear();
    if (++j->tries < 2) {
      enqueue(std::move(*j)); // once more, on a fresh connection
      return;
    }
    dispatch();
    http_reply r;
    r.error = std::move(why);
    j->k(std::move(r));
  }
};

http_client::http_client(asio::io_context& io, std::string host, std::string port,
                         size_t connections)
    : impl_(std::make_shared<impl>(io, std::move(host), std::move(port), connections)) {}

http_client::~http_client() = default;

void http_client::send(http_call call, callback k) {
  impl_->enqueue(job{std::move(call), std::move(k), 0});
}

uint64_t http_client::answered() const noexcept {
  return impl_->answered;
}

uint64_t http_client::throttled() const noexcept {
  return impl_->throttled;
}

} // namespace seatgrab::scenarios
