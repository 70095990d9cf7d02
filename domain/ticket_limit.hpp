#pragma once

// The per-account ticket limit at hold time, without actors or clocks: the seats a fan holds
// for an event, plus the tickets they bought, plus the seats they ask for, must stay within
// the event's limit.

#include <caf/error.hpp>

#include <cstddef>
#include <cstdint>

namespace seatgrab::domain {

/// How many seats a hold request asks for: its seats, or (best available) its quantity.
uint32_t seats_asked(size_t seat_count, uint32_t quantity);

/// Whether `held` seats in live holds, `bought` tickets and `wanted` more seats fit within
/// `limit`. Errors: `ticket_limit`, naming how many are held or bought already.
[[nodiscard]] caf::error check_ticket_limit(uint32_t held, uint32_t bought, uint32_t wanted,
                                            uint32_t limit);

} // namespace seatgrab::domain
