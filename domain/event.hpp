#pragma once

// An event: a venue, a schedule and sale settings. Turns a venue into the configs of the
// event's section actors.

#include "domain/section_state.hpp"
#include "domain/venue.hpp"
#include "messages/inventory.hpp"

#include <caf/error.hpp>

#include <vector>

namespace seatgrab::domain {

/// Checks an event against its venue: ids well formed, venue matching, hold TTL 1 s..1 h,
/// hard cap >= TTL, 1..100 seats per hold, 1..100 tickets per account, admission rate
/// 1..1,000,000/min, 1..10,000,000 active shoppers, queue mode shuffle|fifo. Fails with
/// `ec::invalid_input` naming the field.
[[nodiscard]] caf::error validate(const event_info& ev, const venue& v);

/// One config per section of the venue, in venue order. Prices come from the section's tier;
/// unranked seats (rank 0) rank after every ranked seat.
std::vector<section_config> section_configs(const event_info& ev, const venue& v);

/// Journal entity id of a section actor: "<event>/<section>" (ids never contain '/').
std::string section_entity(std::string_view event_id, std::string_view section_id);

} // namespace seatgrab::domain
