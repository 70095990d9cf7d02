// Scenario TOML: any text either gives a scenario whose cross-field checks hold, or an error
// naming the file; never a crash or an exception.

#include "scenarios/scenario.hpp"
#include "tests/fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace sg = seatgrab;
  auto s = sg::scenarios::parse_scenario(sg::fuzz::text(data, size), "fuzz.toml", "fuzz");
  if (!s)
    return 0;
  if (s->seats_min > s->seats_max || s->pre_queue > s->fans ||
      s->refund_after_min_s > s->refund_after_max_s || s->think_min_s > s->think_max_s ||
      s->seats_max > s->max_tickets_per_account)
    sg::fuzz::fail("an accepted scenario breaks a cross-field check");
  if (s->queue_mode != "shuffle" && s->queue_mode != "fifo")
    sg::fuzz::fail("an accepted scenario has an unknown queue mode");
  return 0;
}
