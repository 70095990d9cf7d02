#pragma once

#include "actors/context.hpp"
#include "messages/interfaces.hpp"

#include <caf/expected.hpp>
#include <caf/fwd.hpp>

#include <optional>
#include <string>

namespace seatgrab::actors {

/// Spawns the waiting room of `event`; only the registry does. On first start it draws the
/// shuffle seed and journals it (its SHA-256 is the published commitment); on every start it
/// replays its journal, and then paces admissions with a delayed self-message every second.
waiting_room_actor spawn_waiting_room(caf::actor_system& sys, event_info event, context_ptr ctx);

/// A fan's poll (`get ticket account`) answered on the caller's thread from the board the
/// room of `event` publishes on this node: a waiting fan's status (the fan counts as seen),
/// `ec::unknown_ticket` if the ticket is another account's, or nothing when only the room can
/// answer (admissions come with a token; the room is elsewhere; the ticket is not published
/// yet). Shows only what is durable, as the room's own answer does.
std::optional<caf::expected<queue_status>> poll_board(const actor_context& ctx,
                                                      caf::actor_system& sys,
                                                      const std::string& event, uint64_t ticket,
                                                      const std::string& account);

/// Account and device ids become 64-bit keys in the room (it stores no strings per fan):
/// the first 8 bytes of their SHA-256, never 0.
uint64_t fan_key(std::string_view id);

/// What an admission token names as the device: the hex of its key, so that the room, which
/// keeps only the key, issues tokens and the session checks them against the device it joined
/// with.
std::string device_claim(uint64_t device_key);

} // namespace seatgrab::actors
