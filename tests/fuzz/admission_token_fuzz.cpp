// Admission tokens at the shop door: any text verifies only for the event, account and device
// it was issued to; whatever claims `issue` accepts verify back for exactly that binding.
//
// Input lines: token, event, account, device.

#include "security/admission_token.hpp"
#include "tests/fuzz/fuzz_input.hpp"

namespace sg = seatgrab;
namespace sec = seatgrab::security;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr int64_t now_ms = 1'800'000'000'000;
  static const sec::key_ring ring = [] {
    sec::key_ring r;
    if (r.add("k1", std::vector<uint8_t>(32, 0x42)))
      sg::fuzz::fail("cannot make the fuzz key ring");
    return r;
  }();
  auto f = sg::fuzz::split(data, size, 4);
  if (auto claims = sec::verify(ring, f[0], f[1], f[2], f[3], now_ms)) {
    if (claims->event != f[1] || claims->account != f[2] || claims->device != f[3] ||
        claims->expires_at_ms <= now_ms)
      sg::fuzz::fail("a token verified for another binding or past its expiry");
  }
  sec::admission_claims mine{std::string{f[1]}, std::string{f[2]}, std::string{f[3]},
                             now_ms + 60'000};
  auto token = sec::issue(ring, mine);
  if (!token)
    return 0;
  auto back = sec::verify(ring, *token, f[1], f[2], f[3], now_ms);
  if (!back || !(*back == mine))
    sg::fuzz::fail("an issued token does not verify for its own binding");
  // Another account never gets in with it.
  auto other = std::string{f[2]} + "x";
  if (sec::verify(ring, *token, f[1], other, f[3], now_ms))
    sg::fuzz::fail("an issued token verifies for another account");
  return 0;
}
