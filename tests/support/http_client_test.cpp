// The test client itself: it never sends a request twice behind the test's back, replaces a
// kept-alive connection the server closed while idle, and gives up at its deadline.
#include "tests/support/http_client.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <doctest/doctest.h>

#include <condition_variable>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using seatgrab::test::http_client;
using seatgrab::test::resend;

namespace {

/// What the scripted server does with one request.
enum class action {
  answer,           ///< 200, the connection kept alive
  answer_and_close, ///< 200 (not saying it closes), then closes
  drop,             ///< closes without answering
  stall,            ///< never answers; waits for the client to give up
};

/// A one-thread HTTP server on an ephemeral port: the n-th request (from 0) gets `script(n)`.
/// One connection at a time; `GET /stop` (sent by the destructor) ends it.
class scripted_server {
public:
  explicit scripted_server(std::function<action(size_t)> script)
      : script_(std::move(script)), acceptor_(ioc_, {asio::ip::make_address("127.0.0.1"), 0}),
        thread_([this] { run(); }) {}

  ~scripted_server() {
    try {
      seatgrab::test::raw_exchange(port(), "GET /stop HTTP/1.1\r\nHost: x\r\n\r\n");
    } catch (const std::exception&) {
    }
    thread_.join();
  }

  uint16_t port() const { return acceptor_.local_endpoint().port(); }

  /// "METHOD target" of each request seen, in order.
  std::vector<std::string> seen() {
    std::lock_guard lock{mtx_};
    return seen_;
  }

  /// Waits until the server has closed `n` connections itself.
  void wait_closed(size_t n) {
    std::unique_lock lock{mtx_};
    closed_cv_.wait(lock, [&] { return closed_ >= n; });
  }

private:
  void run() {
    for (;;) {
      tcp::socket sock{ioc_};
      acceptor_.accept(sock);
      beast::flat_buffer buf;
      for (;;) {
        bhttp::request<bhttp::string_body> req;
        beast::error_code ec;
        bhttp::read(sock, buf, req, ec);
        if (ec)
          break; // the client closed the connection
        if (req.target() == "/stop")
          return;
        size_t n = 0;
        {
          std::lock_guard lock{mtx_};
          n = seen_.size();
          seen_.push_back(std::string{req.method_string()} + " " + std::string{req.target()});
        }
        auto what = script_(n);
        if (what == action::stall)
          continue; // the next read ends when the client closes
        if (what != action::drop) {
          bhttp::response<bhttp::string_body> res{bhttp::status::ok, 11};
          res.body() = "ok";
          res.prepare_payload();
          bhttp::write(sock, res, ec);
        }
        if (what != action::answer) {
          sock.close(ec);
          std::lock_guard lock{mtx_};
          ++closed_;
          closed_cv_.notify_all();
          break;
        }
      }
    }
  }

  std::function<action(size_t)> script_;
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::mutex mtx_;
  std::condition_variable closed_cv_;
  std::vector<std::string> seen_;
  size_t closed_ = 0;
  std::thread thread_; // last: starts once the rest is built
};

/// Drops the first request, answers every later one.
action drop_first(size_t n) {
  return n == 0 ? action::drop : action::answer;
}

} // namespace

TEST_CASE("a POST whose connection closes unanswered is not sent again") {
  scripted_server server{drop_first};
  {
    http_client c{server.port()};
    CHECK_THROWS_AS(c.request("POST", "/v1/holds/h1/checkout", R"({"card":"x"})"),
                    std::runtime_error);
    CHECK(c.connections_opened() == 1);
  }
  CHECK(server.seen() == std::vector<std::string>{"POST /v1/holds/h1/checkout"});
}

TEST_CASE("a DELETE is not sent again either, nor anything with resend::never") {
  scripted_server server{[](size_t n) { return n < 2 ? action::drop : action::answer; }};
  {
    http_client c{server.port()};
    CHECK_THROWS(c.request("DELETE", "/v1/holds/h1"));
    CHECK_THROWS(c.request("GET", "/v1/events", {}, {}, resend::never));
  }
  CHECK(server.seen() == std::vector<std::string>{"DELETE /v1/holds/h1", "GET /v1/events"});
}

TEST_CASE("requests without effect, with an Idempotency-Key, or allowed by the caller resend") {
  auto resent = [](auto send, const std::string& line) {
    scripted_server server{drop_first};
    {
      http_client c{server.port()};
      auto res = send(c);
      CHECK(res.result_int() == 200);
      CHECK(res.body() == "ok");
      CHECK(c.connections_opened() == 2);
    }
    CHECK(server.seen() == std::vector<std::string>{line, line});
  };
  resent([](http_client& c) { return c.request("GET", "/v1/events"); }, "GET /v1/events");
  resent(
      [](http_client& c) {
        return c.request("POST", "/v1/holds/h1/checkout", R"({"card":"x"})",
                         {{"Idempotency-Key", "pay-1"}});
      },
      "POST /v1/holds/h1/checkout");
  resent(
      [](http_client& c) { return c.request("POST", "/v1/accounts", "{}", {}, resend::allowed); },
      "POST /v1/accounts");
}

TEST_CASE("a kept-alive connection the server closed while idle is replaced before sending") {
  scripted_server server{
      [](size_t n) { return n == 0 ? action::answer_and_close : action::answer; }};
  {
    http_client c{server.port()};
    CHECK(c.request("GET", "/healthz").result_int() == 200);
    server.wait_closed(1);
    // The old connection is closed: the POST goes, once, on a new one.
    CHECK(c.request("POST", "/v1/accounts", "{}").result_int() == 200);
    CHECK(c.connections_opened() == 2);
    CHECK(c.request("POST", "/v1/sessions", "{}").result_int() == 200); // kept alive
    CHECK(c.connections_opened() == 2);
  }
  CHECK(server.seen() ==
        std::vector<std::string>{"GET /healthz", "POST /v1/accounts", "POST /v1/sessions"});
}

TEST_CASE("a request the server never answers fails at the client's deadline, unsent again") {
  scripted_server server{[](size_t) { return action::stall; }};
  {
    http_client c{server.port()};
    c.set_timeout(std::chrono::milliseconds{200});
    auto t0 = std::chrono::steady_clock::now();
    CHECK_THROWS(c.request("POST", "/v1/accounts", "{}"));
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds{5});
  }
  CHECK(server.seen() == std::vector<std::string>{"POST /v1/accounts"});
}
