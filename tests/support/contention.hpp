#pragma once

#include <cstdint>
#include <string>

namespace seatgrab::test {

struct contention_summary {
  std::string failure; ///< empty if the run upheld every promise
  uint64_t granted = 0;
  uint64_t refused = 0;
  uint64_t seats_held = 0;
};

/// Fires `requests` concurrent hold requests for overlapping seats of a 200-seat event from
/// many client actors on the real scheduler (half through the event actor, across sections;
/// half straight to a section), then checks that no seat was granted twice and that the
/// granted holds account for exactly the seats the seat map shows as held.
contention_summary run_contention(uint64_t seed, int requests = 10'000);

} // namespace seatgrab::test
