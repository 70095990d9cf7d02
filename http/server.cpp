#include "http/server.hpp"

#include "http/connection.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
#include <list>
#include <mutex>
#include <sstream>
#include <thread>
#include <unordered_map>
#include <vector>

namespace seatgrab::http {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using error_code = beast::error_code;

class server_impl final : public server, public detail::connection_owner {
public:
  server_impl(server_options opts, handler on_request, error_renderer on_error)
      : opts_(std::move(opts)), on_request_(std::move(on_request)), on_error_(std::move(on_error)),
        ioc_(static_cast<int>(std::max<size_t>(1, opts_.threads))),
        acceptor_(asio::make_strand(ioc_)), backoff_(acceptor_.get_executor()),
        overloaded_(raw_error(503, "overloaded", "too many connections")),
        too_many_(raw_error(429, "too_many_connections",
                            "too many connections from this address (at most " +
                                std::to_string(opts_.max_connections_per_address) + ")")) {}

  ~server_impl() override { stop(std::chrono::seconds{5}); }

  bool bind(std::string& error) {
    error_code ec;
    auto addr = asio::ip::make_address(opts_.host, ec);
    if (ec) {
      error = "--listen: bad host \"" + opts_.host + "\": " + ec.message();
      return false;
    }
    tcp::endpoint ep{addr, opts_.port};
    acceptor_.open(ep.protocol(), ec);
    if (!ec)
      acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec)
      acceptor_.bind(ep, ec);
    if (!ec)
      acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      error = "--listen " + opts_.host + ":" + std::to_string(opts_.port) + ": " + ec.message();
      return false;
    }
    port_ = acceptor_.local_endpoint().port();
    return true;
  }

  void run() {
    accept();
    for (size_t i = 0; i < std::max<size_t>(1, opts_.threads); ++i)
      threads_.emplace_back([this] { ioc_.run(); });
  }

  uint16_t port() const override { return port_; }

  size_t in_flight() const override { return in_flight_; }

  size_t connections() const override { return open_connections_; }

  server_stats stats() const override {
    server_stats st;
    st.connections = open_connections_;
    {
      std::lock_guard lock{mtx_};
      st.streams = streams_;
    }
    st.refused_connections = refused_connections_;
    st.refused_streams = refused_streams_;
    st.accept_errors = accept_errors_;
    st.slow_streams_dropped = slow_streams_dropped_;
    st.write_timeouts = write_timeouts_;
    return st;
  }

  void stop(std::chrono::milliseconds grace) override {
    if (stopped_.exchange(true))
      return;
    stopping_ = true;
    asio::post(acceptor_.get_executor(), [this] {
      error_code ignored;
      acceptor_.close(ignored);
      backoff_.cancel();
    });
    for (auto& conn : live_connections())
      conn->shutdown_when_idle();
    {
      std::unique_lock lock{mtx_};
      idle_.wait_for(lock, grace, [this] { return in_flight_ == 0; });
    }
    for (auto& conn : live_connections())
      conn->close();
    ioc_.stop();
    for (auto& t : threads_)
      t.join();
    threads_.clear();
  }

  // -- used by connections ----------------------------------------------------

  const server_options& opts() const override { return opts_; }
  bool stopping() const override { return stopping_; }

  void dispatch(std::shared_ptr<exchange> ex) override {
    ++in_flight_;
    on_request_(std::move(ex));
  }

  void answered() override {
    if (--in_flight_ == 0) {
      std::lock_guard lock{mtx_};
      idle_.notify_all();
    }
  }

  response render_error(unsigned status, std::string_view code, std::string_view detail) override {
    return on_error_(status, code, detail);
  }

  /// A connection from `remote` has closed.
  void closed(const std::string& remote) override {
    --open_connections_;
    std::lock_guard lock{mtx_};
    release(per_address_, remote);
  }

  /// Takes a stream slot for `remote`, or answers why not: 0 = taken, else the status.
  unsigned take_stream_slot(const std::string& remote) override {
    std::lock_guard lock{mtx_};
    if (streams_ >= opts_.max_streams) {
      ++refused_streams_;
      return 503;
    }
    auto& mine = streams_per_address_[remote];
    if (mine >= opts_.max_streams_per_address) {
      if (mine == 0)
        streams_per_address_.erase(remote);
      ++refused_streams_;
      return 429;
    }
    ++mine;
    ++streams_;
    return 0;
  }

  void release_stream_slot(const std::string& remote) override {
    std::lock_guard lock{mtx_};
    --streams_;
    release(streams_per_address_, remote);
  }

  void count_slow_stream() override { ++slow_streams_dropped_; }
  void count_write_timeout() override { ++write_timeouts_; }

private:
  using counts = std::unordered_map<std::string, size_t>;

  /// One less for `key`; the entry goes at zero, so the map holds open connections only.
  static void release(counts& m, const std::string& key) {
    if (auto i = m.find(key); i != m.end() && --i->second == 0)
      m.erase(i);
  }

  /// `status` as bytes on the wire, with Connection: close.
  std::string raw_error(unsigned status, std::string_view code, std::string_view detail) {
    auto res = on_error_(status, code, detail);
    res.version(11);
    res.keep_alive(false);
    res.prepare_payload();
    std::ostringstream out;
    out << res;
    return out.str();
  }

  std::vector<std::shared_ptr<detail::connection>> live_connections() {
    std::vector<std::shared_ptr<detail::connection>> result;
    std::lock_guard lock{mtx_};
    for (auto i = connections_.begin(); i != connections_.end();) {
      if (auto c = i->lock()) {
        result.push_back(std::move(c));
        ++i;
      } else {
        i = connections_.erase(i);
      }
    }
    return result;
  }

  void accept() {
    acceptor_.async_accept(asio::make_strand(ioc_), [this](error_code ec, tcp::socket socket) {
      if (!acceptor_.is_open())
        return; // stopped
      if (ec) {
        // Out of descriptors (EMFILE, ENFILE) or memory the error repeats at once: wait for
        // connections to close rather than spin, and leave the CPU to the ones still open.
        if (accept_errors_++ % 100 == 0)
          spdlog::warn("accept failed: {} (accepting again in {} ms; {} connections open)",
                       ec.message(), opts_.accept_backoff.count(), open_connections_.load());
        backoff_.expires_after(opts_.accept_backoff);
        backoff_.async_wait([this](error_code wait_ec) {
          if (!wait_ec && acceptor_.is_open())
            accept();
        });
        return;
      }
      admit(std::move(socket));
      accept();
    });
  }

  /// A new connection: served if within the caps, else answered at once and closed.
  void admit(tcp::socket socket) {
    error_code ec;
    auto ep = socket.remote_endpoint(ec);
    auto remote = ec ? std::string{"unknown"} : ep.address().to_string();
    const std::string* refusal = nullptr;
    {
      std::lock_guard lock{mtx_};
      if (open_connections_ >= opts_.max_connections) {
        refusal = &overloaded_;
      } else if (auto& mine = per_address_[remote]; mine >= opts_.max_connections_per_address) {
        refusal = &too_many_;
      } else {
        ++mine;
        ++open_connections_;
      }
      if (refusal != nullptr && per_address_[remote] == 0)
        per_address_.erase(remote);
    }
    if (refusal != nullptr) {
      // One non-blocking write of a prepared answer: a refused client costs no buffer, no
      // timer and no descriptor beyond this call.
      ++refused_connections_;
      socket.non_blocking(true, ec);
      socket.write_some(asio::buffer(*refusal), ec);
      socket.shutdown(tcp::socket::shutdown_both, ec);
      socket.close(ec);
      return;
    }
    auto conn =
        detail::make_connection(std::move(socket), std::move(remote), *this, opts_.tls.get());
    {
      std::lock_guard lock{mtx_};
      connections_.push_back(conn);
      if (connections_.size() % 1024 == 0) // prune dead entries now and then
        connections_.remove_if([](const auto& w) { return w.expired(); });
    }
    conn->start();
  }

  server_options opts_;
  handler on_request_;
  error_renderer on_error_;
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  asio::steady_timer backoff_; // on the acceptor's strand
  std::string overloaded_;
  std::string too_many_;
  uint16_t port_ = 0;
  std::vector<std::thread> threads_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> stopped_{false};
  std::atomic<size_t> in_flight_{0};
  std::atomic<size_t> open_connections_{0};
  std::atomic<uint64_t> refused_connections_{0};
  std::atomic<uint64_t> refused_streams_{0};
  std::atomic<uint64_t> accept_errors_{0};
  std::atomic<uint64_t> slow_streams_dropped_{0};
  std::atomic<uint64_t> write_timeouts_{0};
  mutable std::mutex mtx_;
  std::condition_variable idle_;
  std::list<std::weak_ptr<detail::connection>> connections_;
  // Keyed by client address, but only addresses with a connection or stream open have an
  // entry, so each is bounded by `max_connections`.
  counts per_address_;
  counts streams_per_address_;
  size_t streams_ = 0;
};

} // namespace

std::unique_ptr<server> server::start(server_options opts, handler on_request,
                                      error_renderer on_error, std::string& error) {
  auto srv =
      std::make_unique<server_impl>(std::move(opts), std::move(on_request), std::move(on_error));
  if (!srv->bind(error))
    return nullptr;
  srv->run();
  return srv;
}

} // namespace seatgrab::http