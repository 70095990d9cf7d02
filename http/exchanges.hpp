#pragma once

// Wrappers around an exchange: one that counts, times and (for idempotency keys) captures the
// answer, and one that keeps the count of requests in flight.

#include "http/server.hpp"

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

namespace seatgrab::http {

/// Reports the status of the first answer to `done`; with `on_answer` set, that hook sees the
/// answer first and must pass it (or another) on.
class tracked : public exchange {
public:
  /// Passes on to `inner`; `done(status)` runs once, at the answer (200 for a stream).
  tracked(std::shared_ptr<exchange> inner, std::function<void(unsigned)> done);

  const request& req() const override { return inner_->req(); }
  const std::string& remote() const override { return inner_->remote(); }
  void respond(response res) override;
  std::shared_ptr<event_stream> open_stream(response head) override;

  /// Sees the answer first; must call its second argument with the answer to send.
  std::function<void(const response&, std::function<void(response)>)> on_answer;

private:
  std::shared_ptr<exchange> inner_;
  std::function<void(unsigned)> done_;
  std::atomic<bool> answered_{false};
};

/// Counts an exchange in `in_flight` until it is answered (or dropped unanswered).
class counted : public exchange {
public:
  /// Increments `in_flight` now, decrements it at the answer.
  counted(std::shared_ptr<exchange> inner, std::shared_ptr<std::atomic<size_t>> in_flight);
  ~counted() override;

  const request& req() const override { return inner_->req(); }
  const std::string& remote() const override { return inner_->remote(); }
  void respond(response res) override;
  std::shared_ptr<event_stream> open_stream(response head) override;

private:
  void finish();

  std::shared_ptr<exchange> inner_;
  std::shared_ptr<std::atomic<size_t>> in_flight_;
  std::atomic<bool> done_{false};
};

} // namespace seatgrab::http
