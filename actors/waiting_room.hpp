#pragma once

#include "actors/context.hpp"
#include "messages/interfaces.hpp"

#include <caf/fwd.hpp>

namespace seatgrab::actors {

/// Spawns the waiting room of `event`; only the registry does. On first start it draws the
/// shuffle seed and journals it (its SHA-256 is the published commitment); on every start it
/// replays its journal, and then paces admissions with a delayed self-message every second.
waiting_room_actor spawn_waiting_room(caf::actor_system& sys, event_info event, context_ptr ctx);

/// Account and device ids become 64-bit keys in the room (it stores no strings per fan):
/// the first 8 bytes of their SHA-256, never 0.
uint64_t fan_key(std::string_view id);

/// What an admission token names as the device: the hex of its key, so that the room, which
/// keeps only the key, issues tokens and the session checks them against the device it joined
/// with.
std::string device_claim(uint64_t device_key);

} // namespace seatgrab::actors
