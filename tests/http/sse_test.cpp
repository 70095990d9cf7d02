// Event streams against clients that never read (issue 13, finding 3): what one stream may
// buffer is bounded, a stalled write times out, streams are capped per address and in all.
#include "http/api.hpp"
#include "http/server.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/raw_socket.hpp"

#include <boost/beast/http.hpp>
#include <doctest/doctest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace sg = seatgrab;
namespace bhttp = boost::beast::http;
using sg::test::eventually;
using sg::test::raw_socket;
using namespace std::chrono_literals;

namespace {

const std::string stream_request = "GET /stream HTTP/1.1\r\nHost: test\r\n\r\n";

/// A bare server whose every request opens an event stream the test then feeds.
class stream_server {
public:
  explicit stream_server(sg::http::server_options opts) {
    opts.port = 0;
    std::string error;
    srv_ = sg::http::server::start(
        opts,
        [this](std::shared_ptr<sg::http::exchange> ex) {
          auto stream = ex->open_stream(sg::http::response{bhttp::status::ok, 11});
          std::lock_guard lock{mtx_};
          streams_.push_back(std::move(stream));
          cv_.notify_all();
        },
        sg::http::server_problem, error);
    REQUIRE_MESSAGE(srv_, error);
  }

  ~stream_server() { srv_->stop(1s); }

  uint16_t port() const { return srv_->port(); }
  sg::http::server& server() { return *srv_; }

  /// The `i`th stream opened (waits for it).
  std::shared_ptr<sg::http::event_stream> stream(size_t i) {
    std::unique_lock lock{mtx_};
    REQUIRE(cv_.wait_for(lock, 5s, [&] { return streams_.size() > i; }));
    return streams_[i];
  }

private:
  std::unique_ptr<sg::http::server> srv_;
  std::mutex mtx_;
  std::condition_variable cv_;
  std::vector<std::shared_ptr<sg::http::event_stream>> streams_;
};

/// One 64 KiB SSE frame, shared by every send.
std::shared_ptr<const std::string> big_frame() {
  return std::make_shared<const std::string>("data: " + std::string(64 * 1024, 'x') + "\n\n");
}

} // namespace

TEST_CASE("a stream whose client never reads is dropped once its buffer bound is reached") {
  sg::http::server_options opts;
  opts.stream_buffer_bytes = 1024 * 1024;
  opts.write_timeout = std::chrono::seconds{60}; // the bound acts, not the timeout
  stream_server srv{opts};
  raw_socket idle{srv.port(), 4096};
  REQUIRE(idle.send(stream_request));
  auto stream = srv.stream(0);
  auto frame = big_frame();
  // 64 MiB offered: far beyond the kernel's socket buffers and the stream's bound.
  size_t accepted = 0;
  for (int i = 0; i < 1024 && stream->send(frame); ++i)
    ++accepted;
  CHECK(eventually([&] { return !stream->open(); }));
  CHECK(!stream->send(frame));
  CHECK(srv.server().stats().slow_streams_dropped == 1);
  CHECK(eventually([&] { return srv.server().stats().streams == 0; }));
  CHECK(eventually([&] { return srv.server().connections() == 0; }));
  MESSAGE("frames accepted before the drop: " << accepted);
}

TEST_CASE("a stream whose writes stall is closed by the write timeout") {
  sg::http::server_options opts;
  opts.stream_buffer_bytes = 256 * 1024 * 1024; // the timeout acts, not the bound
  opts.write_timeout = std::chrono::seconds{1};
  stream_server srv{opts};
  raw_socket idle{srv.port(), 4096};
  REQUIRE(idle.send(stream_request));
  auto stream = srv.stream(0);
  auto frame = big_frame();
  for (int i = 0; i < 256; ++i) // 16 MiB: more than the socket buffers take
    stream->send(frame);
  CHECK(eventually([&] { return !stream->open(); }));
  CHECK(srv.server().stats().write_timeouts == 1);
  CHECK(srv.server().stats().slow_streams_dropped == 0);
  CHECK(eventually([&] { return srv.server().stats().streams == 0; }));
}

TEST_CASE("a reading client keeps its stream however long it lasts") {
  sg::http::server_options opts;
  opts.write_timeout = std::chrono::seconds{1};
  stream_server srv{opts};
  raw_socket reader{srv.port()};
  REQUIRE(reader.send(stream_request));
  auto stream = srv.stream(0);
  for (int i = 0; i < 3; ++i) { // longer than the write timeout, frames flowing
    REQUIRE(stream->send("data: " + std::to_string(i) + "\n\n"));
    CHECK(reader.read_until("data: " + std::to_string(i) + "\n\n", 5s).find("data: ") !=
          std::string::npos);
    std::this_thread::sleep_for(600ms);
  }
  CHECK(stream->open());
  CHECK(srv.server().stats().write_timeouts == 0);
}

TEST_CASE("streams beyond the per-address cap are 429 too_many_streams, in all 503") {
  sg::http::server_options opts;
  opts.max_streams_per_address = 2;
  stream_server srv{opts};
  std::vector<raw_socket> open;
  for (size_t i = 0; i < 2; ++i) {
    open.emplace_back(srv.port());
    REQUIRE(open.back().send(stream_request));
    REQUIRE(srv.stream(i)->open());
    CHECK(open.back().read_until("\r\n\r\n", 5s).rfind("HTTP/1.1 200", 0) == 0);
  }
  raw_socket third{srv.port()};
  REQUIRE(third.send(stream_request));
  auto answer = third.read_until("too_many_streams", 5s);
  CHECK(answer.rfind("HTTP/1.1 429", 0) == 0);
  CHECK(answer.find("too_many_streams") != std::string::npos);
  CHECK(!srv.stream(2)->open());
  CHECK(srv.server().stats().refused_streams == 1);
  CHECK(srv.server().stats().streams == 2);
  // One ends: the address may open another.
  open[0].close();
  REQUIRE(eventually([&] { return srv.server().stats().streams == 1; }));
  raw_socket fourth{srv.port()};
  REQUIRE(fourth.send(stream_request));
  CHECK(fourth.read_until("\r\n\r\n", 5s).rfind("HTTP/1.1 200", 0) == 0);

  sg::http::server_options one;
  one.max_streams = 1;
  stream_server small{one};
  raw_socket first{small.port()};
  REQUIRE(first.send(stream_request));
  REQUIRE(small.stream(0)->open());
  raw_socket second{small.port()};
  REQUIRE(second.send(stream_request));
  auto full = second.read_until("overloaded", 5s);
  CHECK(full.rfind("HTTP/1.1 503", 0) == 0);
  CHECK(full.find("Retry-After") != std::string::npos);
}
