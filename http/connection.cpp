#include "http/connection.hpp"

#include "http/tls.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <array>
#include <atomic>
#include <ctime>
#include <deque>
#include <optional>
#include <type_traits>

namespace seatgrab::http::detail {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using error_code = beast::error_code;

/// The Date header's value now (RFC 9110 §6.6.1, IMF-fixdate): pages count hold and admission
/// expiries down against the server's clock rather than a browser's, which may be off. The
/// edge's own clock, never a domain decision; formatted at most once a second per thread.
const std::string& http_date_now() {
  thread_local std::time_t last = -1;
  thread_local std::string text;
  auto now = std::time(nullptr);
  if (now != last) {
    std::tm tm{};
    gmtime_r(&now, &tm);
    std::array<char, 40> buf{};
    auto n = std::strftime(buf.data(), buf.size(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    text.assign(buf.data(), n);
    last = now;
  }
  return text;
}

/// One connection: reads a request, hands it to the handler, writes the answer, repeats. The
/// exchanges and streams see only this face; `basic_connection` does the I/O, over TCP or TLS.
class live_connection : public connection, public std::enable_shared_from_this<live_connection> {
public:
  live_connection(std::string remote, connection_owner& srv)
      : srv_(srv), remote_(std::move(remote)) {}

  /// Called from any thread: answer the current request.
  virtual void respond(response res) = 0;

  /// Called from any thread: switch to an event stream.
  virtual void open_stream(response head, std::shared_ptr<class stream_impl> stream) = 0;

  virtual void write_frame(std::shared_ptr<const std::string> frame) = 0;

  const std::string& remote() const { return remote_; }

  connection_owner& srv() { return srv_; }

protected:
  connection_owner& srv_;
  std::string remote_;
};

/// A connection over `Stream`: `beast::tcp_stream` (HTTP) or an `ssl_stream` of one (HTTPS).
template <class Stream>
class basic_connection final : public live_connection {
public:
  static constexpr bool tls = !std::is_same_v<Stream, beast::tcp_stream>;

  template <class... Args>
  basic_connection(std::string remote, connection_owner& srv, Args&&... args)
      : live_connection(std::move(remote), srv), stream_(std::forward<Args>(args)...) {}

  void start() override;
  void respond(response res) override;
  void open_stream(response head, std::shared_ptr<stream_impl> stream) override;
  void shutdown_when_idle() override;
  void write_frame(std::shared_ptr<const std::string> frame) override;
  void close() override;

private:
  std::shared_ptr<basic_connection> self() {
    return std::static_pointer_cast<basic_connection>(shared_from_this());
  }
  beast::tcp_stream& tcp() { return beast::get_lowest_layer(stream_); }
  void read_next();
  void on_read(error_code ec, size_t);
  void reject(unsigned status, std::string_view code, std::string_view detail);
  void write(std::shared_ptr<response> res);
  void watch_stream_end();
  void write_frames();

  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  enum class phase { handshake, reading, handling, writing, streaming, closed };
  phase phase_ = phase::handshake;
  bool keep_alive_ = true;
  unsigned version_ = 11;
  // Streaming.
  std::shared_ptr<stream_impl> stream_state_;
  bool holds_stream_slot_ = false; // counted against the stream caps until closed
  std::deque<std::shared_ptr<const std::string>> frames_;
  size_t queued_bytes_ = 0; // of `frames_` and the frame being written
  bool writing_frame_ = false;
  char sink_[64];
};

class exchange_impl : public exchange {
public:
  exchange_impl(std::shared_ptr<live_connection> conn, request req)
      : conn_(std::move(conn)), req_(std::move(req)) {}

  const request& req() const override { return req_; }

  const std::string& remote() const override { return conn_->remote(); }

  void respond(response res) override;

  std::shared_ptr<event_stream> open_stream(response head) override;

private:
  std::shared_ptr<live_connection> conn_;
  request req_;
  std::atomic<bool> answered_{false};
};

class stream_impl : public event_stream {
public:
  explicit stream_impl(std::weak_ptr<live_connection> conn) : conn_(std::move(conn)) {}

  using event_stream::send;

  bool send(std::shared_ptr<const std::string> frame) override {
    if (!open_)
      return false;
    auto conn = conn_.lock();
    if (!conn) {
      open_ = false;
      return false;
    }
    conn->write_frame(std::move(frame));
    return true;
  }

  bool open() const override { return open_; }

  void close() override {
    open_ = false;
    if (auto conn = conn_.lock())
      conn->close();
  }

  void mark_closed() { open_ = false; }

private:
  std::weak_ptr<live_connection> conn_;
  std::atomic<bool> open_{true};
};

// -- connection -----------------------------------------------------------------

template <class Stream>
void basic_connection<Stream>::start() {
  asio::dispatch(stream_.get_executor(), [self = self()] {
    if constexpr (tls) {
      // The handshake has the read timeout: a client that opens a socket and says nothing
      // holds a slot no longer than an idle HTTP client does.
      self->tcp().expires_after(self->srv_.opts().read_timeout);
      self->stream_.async_handshake(asio::ssl::stream_base::server, [self](error_code ec) {
        if (ec) { // plain HTTP to the HTTPS port, an old TLS version, a timeout
          self->close();
          return;
        }
        self->read_next();
      });
    } else {
      self->read_next();
    }
  });
}

template <class Stream>
void basic_connection<Stream>::read_next() {
  if (srv_.stopping()) {
    close();
    return;
  }
  phase_ = phase::reading;
  parser_.emplace();
  parser_->header_limit(static_cast<uint32_t>(srv_.opts().max_header_bytes));
  parser_->body_limit(srv_.opts().max_body_bytes);
  tcp().expires_after(srv_.opts().read_timeout);
  bhttp::async_read(stream_, buffer_, *parser_,
                    beast::bind_front_handler(&basic_connection::on_read, self()));
}

template <class Stream>
void basic_connection<Stream>::on_read(error_code ec, size_t) {
  if (ec == bhttp::error::end_of_stream || ec == asio::error::operation_aborted ||
      ec == asio::error::connection_reset || ec == asio::error::eof) {
    close();
    return;
  }
  if (ec == beast::error::timeout) {
    // Idle keep-alive connections and slow senders alike are cut off (the stream has closed
    // the socket already, so there is no answer to send).
    close();
    return;
  }
  if (ec == bhttp::error::body_limit) {
    reject(413, "body_too_large",
           "the body is larger than " + std::to_string(srv_.opts().max_body_bytes) + " bytes");
    return;
  }
  if (ec == bhttp::error::header_limit) {
    reject(431, "headers_too_large",
           "the headers are larger than " + std::to_string(srv_.opts().max_header_bytes) +
               " bytes");
    return;
  }
  if (ec) {
    reject(400, "bad_request", "malformed HTTP request: " + ec.message());
    return;
  }
  // A transfer coding other than chunked alone gives the body no length the server can read:
  // Beast ends such a request after its headers, so its body would be read as the next
  // request (smuggling). RFC 9112 §6.3: answer 400 and close.
  if (auto te = parser_->get().find(bhttp::field::transfer_encoding);
      te != parser_->get().end() && !beast::iequals(te->value(), "chunked")) {
    reject(400, "bad_transfer_encoding",
           "Transfer-Encoding must be \"chunked\" alone (or absent, with Content-Length)");
    return;
  }
  if (parser_->get().count(bhttp::field::transfer_encoding) > 1) {
    reject(400, "bad_transfer_encoding", "one Transfer-Encoding field at most");
    return;
  }
  auto req = parser_->release();
  keep_alive_ = req.keep_alive();
  version_ = req.version();
  phase_ = phase::handling;
  tcp().expires_never(); // the handler may take its time; the actors have timeouts
  srv_.dispatch(std::make_shared<exchange_impl>(self(), std::move(req)));
}

template <class Stream>
void basic_connection<Stream>::reject(unsigned status, std::string_view code,
                                      std::string_view detail) {
  // After a protocol error the rest of the input cannot be trusted: answer and close.
  keep_alive_ = false;
  auto res = std::make_shared<response>(srv_.render_error(status, code, detail));
  res->version(11);
  res->keep_alive(false);
  res->set(bhttp::field::date, http_date_now());
  if constexpr (tls)
    res->set(bhttp::field::strict_transport_security, hsts_value);
  res->prepare_payload();
  phase_ = phase::writing;
  tcp().expires_after(srv_.opts().write_timeout);
  bhttp::async_write(stream_, *res, [self = self(), res](error_code, size_t) { self->close(); });
}

template <class Stream>
void basic_connection<Stream>::respond(response res) {
  auto msg = std::make_shared<response>(std::move(res));
  asio::post(stream_.get_executor(), [self = self(), msg] {
    self->srv_.answered();
    self->write(msg);
  });
}

template <class Stream>
void basic_connection<Stream>::write(std::shared_ptr<response> res) {
  if (phase_ == phase::closed)
    return;
  phase_ = phase::writing;
  res->version(version_);
  res->keep_alive(keep_alive_ && !srv_.stopping());
  res->set(bhttp::field::date, http_date_now());
  if constexpr (tls)
    res->set(bhttp::field::strict_transport_security, hsts_value);
  res->prepare_payload();
  tcp().expires_after(srv_.opts().write_timeout); // a client that does not read is cut off
  bhttp::async_write(stream_, *res, [self = self(), res](error_code ec, size_t) {
    if (ec == beast::error::timeout)
      self->srv_.count_write_timeout();
    if (ec || !res->keep_alive()) {
      self->close();
      return;
    }
    self->read_next();
  });
}

template <class Stream>
void basic_connection<Stream>::open_stream(response head, std::shared_ptr<stream_impl> stream) {
  asio::post(stream_.get_executor(), [self = self(), head = std::move(head),
                                      stream = std::move(stream)]() mutable {
    self->srv_.answered();
    if (self->phase_ == phase::closed) {
      self->srv_.release_stream_slot(self->remote_);
      stream->mark_closed();
      return;
    }
    self->holds_stream_slot_ = true;
    self->phase_ = phase::streaming;
    self->stream_state_ = stream;
    // The body runs until the connection closes: no length, no chunking.
    std::string raw = "HTTP/1.1 200 OK\r\nDate: " + http_date_now() + "\r\n";
    for (const auto& field : head.base())
      raw += std::string{field.name_string()} + ": " + std::string{field.value()} + "\r\n";
    if constexpr (tls)
      raw += std::string{"Strict-Transport-Security: "} + hsts_value + "\r\n";
    raw += "Connection: close\r\n\r\n";
    // The read that watches for the client's end starts with no timer; each frame write then
    // sets the write timer alone (a tcp_stream sets only the timers of operations not pending).
    self->tcp().expires_never();
    self->watch_stream_end();
    self->queued_bytes_ += raw.size();
    self->frames_.push_front(std::make_shared<const std::string>(std::move(raw)));
    self->write_frames();
  });
}

template <class Stream>
void basic_connection<Stream>::watch_stream_end() {
  // Clients send nothing on an event stream; a read completes when they go away.
  stream_.async_read_some(asio::buffer(sink_), [self = self()](error_code ec, size_t) {
    if (ec) {
      self->close();
      return;
    }
    self->watch_stream_end();
  });
}

template <class Stream>
void basic_connection<Stream>::write_frame(std::shared_ptr<const std::string> frame) {
  asio::post(stream_.get_executor(), [self = self(), frame = std::move(frame)] {
    if (self->phase_ != phase::streaming)
      return;
    // A client that falls this far behind is dropped rather than buffered for without end.
    if (self->queued_bytes_ > 0 &&
        self->queued_bytes_ + frame->size() > self->srv_.opts().stream_buffer_bytes) {
      self->srv_.count_slow_stream();
      self->close();
      return;
    }
    self->queued_bytes_ += frame->size();
    self->frames_.push_back(frame);
    self->write_frames();
  });
}

template <class Stream>
void basic_connection<Stream>::write_frames() {
  if (writing_frame_ || frames_.empty() || phase_ == phase::closed)
    return;
  writing_frame_ = true;
  auto frame = frames_.front();
  frames_.pop_front();
  tcp().expires_after(srv_.opts().write_timeout); // the write timer only: the read is pending
  asio::async_write(stream_, asio::buffer(*frame), [self = self(), frame](error_code ec, size_t) {
    self->writing_frame_ = false;
    self->queued_bytes_ -= frame->size();
    if (ec == beast::error::timeout)
      self->srv_.count_write_timeout();
    if (ec) {
      self->close();
      return;
    }
    self->write_frames();
  });
}

template <class Stream>
void basic_connection<Stream>::shutdown_when_idle() {
  asio::post(stream_.get_executor(), [self = self()] {
    if (self->phase_ == phase::handshake || self->phase_ == phase::reading ||
        self->phase_ == phase::streaming)
      self->close();
    // handling/writing: `write` answers with Connection: close and then closes.
  });
}

template <class Stream>
void basic_connection<Stream>::close() {
  asio::dispatch(stream_.get_executor(), [self = self()] {
    if (self->phase_ == phase::closed)
      return;
    if (self->phase_ == phase::handling)
      return; // the handler still answers; `write` closes afterwards if need be
    self->phase_ = phase::closed;
    if (self->stream_state_)
      self->stream_state_->mark_closed();
    if (self->holds_stream_slot_)
      self->srv_.release_stream_slot(self->remote_);
    self->holds_stream_slot_ = false;
    self->frames_.clear(); // the frames may be large (a snapshot): give them back now
    error_code ignored;
    self->tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
    self->tcp().socket().close(ignored);
    self->srv_.closed(self->remote_);
  });
}

// -- exchange -------------------------------------------------------------------

void exchange_impl::respond(response res) {
  if (answered_.exchange(true))
    return;
  conn_->respond(std::move(res));
}

std::shared_ptr<event_stream> exchange_impl::open_stream(response head) {
  auto stream = std::make_shared<stream_impl>(conn_);
  if (answered_.exchange(true)) {
    stream->mark_closed();
    return stream;
  }
  auto& srv = conn_->srv();
  if (auto refused = srv.take_stream_slot(conn_->remote()); refused != 0) {
    stream->mark_closed();
    conn_->respond(refused == 429
                       ? srv.render_error(429, "too_many_streams",
                                          "too many event streams from this address (at most " +
                                              std::to_string(srv.opts().max_streams_per_address) +
                                              ")")
                       : srv.render_error(503, "overloaded", "too many event streams"));
    return stream;
  }
  conn_->open_stream(std::move(head), stream);
  return stream;
}

} // namespace

std::shared_ptr<connection> make_connection(tcp::socket socket, std::string remote,
                                            connection_owner& owner, asio::ssl::context* tls) {
  if (tls != nullptr)
    return std::make_shared<basic_connection<beast::ssl_stream<beast::tcp_stream>>>(
        std::move(remote), owner, std::move(socket), *tls);
  return std::make_shared<basic_connection<beast::tcp_stream>>(std::move(remote), owner,
                                                               std::move(socket));
}

} // namespace seatgrab::http::detail
