#pragma once

// From an I/O thread to the actors without blocking anyone: each call is a job on one of the
// node's long-lived bridge actors (actors/lanes.hpp), which sends one request and hands the
// answer (or error) to a continuation, on a CAF worker. The continuation must not block
// either; it answers the HTTP exchange, which posts the write to the connection's own I/O
// strand.

#include "actors/lanes.hpp"
#include "messages/ec.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/expected.hpp>

#include <chrono>
#include <functional>
#include <type_traits>
#include <utility>

namespace seatgrab::http {

/// How long the edge waits for an actor; beyond it the client gets 503 with Retry-After.
inline constexpr std::chrono::seconds call_timeout{10};

/// The same for an actor on another member. A message sent in the moment between a member's
/// death and its connection's teardown is lost without an error, so only the timeout answers:
/// it must come within the 5 s promised for a dead member's entities, yet after the 4 s the
/// actors themselves wait for another member (`actor_context::call_timeout`).
inline constexpr std::chrono::milliseconds remote_call_timeout{4'500};

/// Sends `xs...` to `dest` from a lane and calls `k` with the reply of type `T` (void for none) or
/// the error.
template <class T, class Handle, class... Ts>
void ask(actors::lanes& lanes, const Handle& dest, std::function<void(caf::expected<T>)> k,
         Ts... xs) {
  if (!dest) { // e.g. the account registry while its member is away
    k(caf::make_error(ec::unavailable, "the actor is not reachable now"));
    return;
  }
  auto* stats = &lanes.calls();
  lanes.post([stats, dest, k = std::move(k), xs...](caf::event_based_actor* self) mutable {
    // Timed and counted by where the actor lives: this node, or one hop away.
    auto remote = dest && dest->node() != self->node();
    auto sent = std::chrono::steady_clock::now();
    auto done = [stats, remote, sent](bool failure) {
      stats->observe(remote, std::chrono::steady_clock::now() - sent, failure);
    };
    auto req = self->request(
        dest, remote ? caf::timespan{remote_call_timeout} : caf::timespan{call_timeout},
        std::move(xs)...);
    if constexpr (std::is_void_v<T>)
      req.then(
          [k, done]() {
            done(false);
            k(caf::expected<void>{});
          },
          [k, done](caf::error& err) {
            done(true);
            k(caf::expected<void>{std::move(err)});
          });
    else
      req.then(
          [k, done](T& x) {
            done(false);
            k(caf::expected<T>{std::move(x)});
          },
          [k, done](caf::error& err) {
            done(true);
            k(caf::expected<T>{std::move(err)});
          });
  });
}

} // namespace seatgrab::http
