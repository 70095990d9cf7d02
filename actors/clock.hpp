#pragma once

// The actor kit's clock: domain time of an actor (its node's wall clock mapping applied to the
// actor system's clock, virtual under the test coordinator) and milliseconds for messages.

#include "actors/context.hpp"

#include <chrono>
#include <cstdint>

namespace seatgrab::actors {

/// Domain time now, for an actor whose state keeps the node context in `ctx`.
template <class Self>
domain::time_point now(Self* self) {
  return self->state.ctx->clock.now(self->clock());
}

/// `t` as milliseconds since the Unix epoch, as messages carry it.
inline int64_t to_ms(domain::time_point t) {
  return t.time_since_epoch().count();
}

/// Milliseconds since the Unix epoch as domain time.
inline domain::time_point from_ms(int64_t ms) {
  return domain::time_point{std::chrono::milliseconds{ms}};
}

} // namespace seatgrab::actors
