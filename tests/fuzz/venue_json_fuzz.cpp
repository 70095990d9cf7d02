// Venue JSON as an operator uploads it: any text either parses into a venue that writes back
// and reads back equal, or is refused with an error; never a crash or an exception.

#include "domain/venue_json.hpp"
#include "tests/fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace sg = seatgrab;
  auto v = sg::domain::parse_venue(sg::fuzz::text(data, size), "fuzz.json");
  if (!v)
    return 0;
  auto again = sg::domain::parse_venue(sg::domain::to_json(*v), "again.json");
  if (!again)
    sg::fuzz::fail("a parsed venue does not read back");
  if (!(*again == *v))
    sg::fuzz::fail("a parsed venue reads back different");
  return 0;
}
