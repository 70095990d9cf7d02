// Challenges at the queue: a proof-of-work challenge counts only for the event it was issued
// for, only once, and never when it was not issued by us; a step-up challenge only for its
// subject, once, and a token the client made up never passes (nor breaks the image's drawing).
//
// Input lines: the event a challenge is issued for, the event joined, a nonce (a step-up's
// answer), a token (a challenge the client made up).

#include "security/proof_of_work.hpp"
#include "security/step_up.hpp"
#include "tests/fuzz/fuzz_input.hpp"

namespace sg = seatgrab;
namespace sec = seatgrab::security;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr int64_t now_ms = 1'800'000'000'000;
  // Difficulty 0: every nonce solves, so the fuzzer reaches the event and reuse checks.
  static sec::proof_of_work pow{0};
  auto f = sg::fuzz::split(data, size, 4);
  if (pow.verify(f[3], f[2], f[1], now_ms) == sec::pow_result::ok)
    sg::fuzz::fail("a challenge the client made up was accepted");
  auto issued = pow.issue(f[0], now_ms);
  auto first = pow.verify(issued.token, f[2], f[1], now_ms);
  if (first == sec::pow_result::ok && f[0] != f[1])
    sg::fuzz::fail("a challenge counted for another event");
  if (f[0] == f[1] && first != sec::pow_result::ok)
    sg::fuzz::fail("a fresh challenge for this event was refused");
  if (first == sec::pow_result::ok &&
      pow.verify(issued.token, f[2], f[1], now_ms) != sec::pow_result::used_before)
    sg::fuzz::fail("a challenge counted twice");
  sec::step_up step{"fuzz key"}; // fresh: its spent challenges would fill up across runs
  if (step.check(f[3], f[2], f[1], now_ms).ok)
    sg::fuzz::fail("a step-up token the client made up passed");
  (void)step.image(f[3]);
  (void)step.question(f[3]);
  auto up = step.issue(f[0], now_ms);
  auto right = step.answers(up.token);
  if (!right)
    sg::fuzz::fail("an issued step-up token does not parse");
  auto answered = step.check(up.token, right->first, f[1], now_ms);
  if (answered.ok != (f[0] == f[1]))
    sg::fuzz::fail("a step-up passed for another subject, or failed for its own");
  if (answered.ok && step.check(up.token, right->first, f[1], now_ms).ok)
    sg::fuzz::fail("a step-up counted twice");
  return 0;
}
