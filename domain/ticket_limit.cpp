#include "domain/ticket_limit.hpp"

#include "messages/ec.hpp"

#include <string>

namespace seatgrab::domain {

uint32_t seats_asked(size_t seat_count, uint32_t quantity) {
  return seat_count == 0 ? quantity : static_cast<uint32_t>(seat_count);
}

caf::error check_ticket_limit(uint32_t held, uint32_t bought, uint32_t wanted, uint32_t limit) {
  // 64 bits: three 32-bit figures cannot overflow the sum.
  if (uint64_t{held} + bought + wanted <= limit)
    return {};
  return caf::make_error(ec::ticket_limit, std::to_string(uint64_t{held} + bought) +
                                               " seats held or bought of at most " +
                                               std::to_string(limit));
}

} // namespace seatgrab::domain
