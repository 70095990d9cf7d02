#pragma once

// From an I/O thread to the actors without blocking anyone, and without spawning an actor per
// request: a few long-lived bridge actors take jobs round-robin; a job sends one request from
// its bridge and hands the answer (or error) to a continuation, on a CAF worker. The
// continuation must not block either; it answers the HTTP exchange, which posts the write to
// the connection's own I/O strand.

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/expected.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

namespace seatgrab::http {

/// How long the edge waits for an actor; beyond it the client gets 503 with Retry-After.
inline constexpr std::chrono::seconds call_timeout{10};

/// The edge's bridge actors. Thread-safe. The actor system waits for them: `stop` them, or
/// destroy this, before it shuts down (the edge stops them when its `api` goes).
class bridge {
public:
  /// Spawns `actors` bridges (0: two per core).
  explicit bridge(caf::actor_system& sys, size_t actors = 0);
  /// Stops the bridges unless `stop` did.
  ~bridge();
  bridge(const bridge&) = delete;
  bridge& operator=(const bridge&) = delete;

  /// Makes the bridges quit; the answers they wait for are dropped. Jobs posted later are
  /// dropped too. Once only: later calls do nothing.
  void stop();

  /// Runs `job` on one of the bridges, which it may use for requests.
  void post(std::function<void(caf::event_based_actor*)> job) const;

  /// Jobs posted so far.
  uint64_t jobs() const { return next_.load(std::memory_order_relaxed); }

private:
  std::vector<caf::actor> actors_;
  mutable std::atomic<uint64_t> next_{0};
  std::atomic<bool> stopped_{false};
};

using bridge_ptr = std::shared_ptr<bridge>;

/// Sends `xs...` to `dest` and calls `k` with the reply of type `T` (void for none) or the
/// error.
template <class T, class Handle, class... Ts>
void ask(const bridge& via, const Handle& dest, std::function<void(caf::expected<T>)> k, Ts... xs) {
  via.post([dest, k = std::move(k), xs...](caf::event_based_actor* self) mutable {
    auto req = self->request(dest, call_timeout, std::move(xs)...);
    if constexpr (std::is_void_v<T>)
      req.then([k]() { k(caf::expected<void>{}); },
               [k](caf::error& err) { k(caf::expected<void>{std::move(err)}); });
    else
      req.then([k](T& x) { k(caf::expected<T>{std::move(x)}); },
               [k](caf::error& err) { k(caf::expected<T>{std::move(err)}); });
  });
}

} // namespace seatgrab::http
