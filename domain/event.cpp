#include "domain/event.hpp"

#include "messages/ec.hpp"

#include <chrono>
#include <limits>

namespace seatgrab::domain {

namespace {

caf::error bad(std::string field, std::string reason) {
  return caf::make_error(ec::invalid_input, "event." + field + ": " + reason);
}

} // namespace

caf::error validate(const event_info& ev, const venue& v) {
  if (!valid_id(ev.id))
    return bad("id", "must be 1 to 64 characters of [A-Za-z0-9._:-]");
  if (ev.venue_id != v.id)
    return bad("venue_id", "unknown venue \"" + ev.venue_id + "\"");
  if (ev.name.empty() || ev.name.size() > 200)
    return bad("name", "must be 1 to 200 bytes");
  if (ev.hold_ttl_s < 1 || ev.hold_ttl_s > 3600)
    return bad("hold_ttl_s", "must be between 1 and 3600 seconds");
  if (ev.max_hold_total_s < ev.hold_ttl_s || ev.max_hold_total_s > 7200)
    return bad("max_hold_total_s", "must be at least hold_ttl_s and at most 7200 seconds");
  if (ev.max_seats_per_hold < 1 || ev.max_seats_per_hold > 100)
    return bad("max_seats_per_hold", "must be between 1 and 100");
  if (ev.max_tickets_per_account < 1 || ev.max_tickets_per_account > 100)
    return bad("max_tickets_per_account", "must be between 1 and 100");
  if (ev.admission_per_min < 1 || ev.admission_per_min > 1'000'000)
    return bad("admission_per_min", "must be between 1 and 1000000");
  if (ev.max_active_shoppers < 1 || ev.max_active_shoppers > 10'000'000)
    return bad("max_active_shoppers", "must be between 1 and 10000000");
  if (ev.queue_mode != "shuffle" && ev.queue_mode != "fifo")
    return bad("queue_mode", "must be \"shuffle\" or \"fifo\"");
  if (ev.refunds_until_ms < 0)
    return bad("refunds_until_ms", "must not be negative");
  return {};
}

std::vector<section_config> section_configs(const event_info& ev, const venue& v) {
  std::vector<section_config> result;
  result.reserve(v.sections.size());
  for (const auto& sec : v.sections) {
    section_config cfg;
    cfg.event_id = ev.id;
    cfg.section_id = sec.id;
    cfg.hold_ttl = std::chrono::seconds{ev.hold_ttl_s};
    cfg.max_hold_total = std::chrono::seconds{ev.max_hold_total_s};
    cfg.max_seats_per_hold = ev.max_seats_per_hold;
    const auto* tier = v.find_tier(sec.tier);
    auto price = tier != nullptr ? tier->price : 0;
    cfg.seats.reserve(sec.seat_count());
    for (const auto& r : sec.rows)
      for (const auto& s : r.seats)
        cfg.seats.push_back(
            seat_info{s.id, r.id, s.number,
                      s.rank == 0 ? std::numeric_limits<uint32_t>::max() / 128 : s.rank, price});
    result.push_back(std::move(cfg));
  }
  return result;
}

std::string section_entity(std::string_view event_id, std::string_view section_id) {
  std::string result{event_id};
  result += '/'; // not an id character, so no two (event, section) pairs share an entity
  result += section_id;
  return result;
}

} // namespace seatgrab::domain
