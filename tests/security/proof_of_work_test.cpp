// Tests of the proof-of-work challenges: a solved challenge passes once; forged, expired,
// other-event, wrongly solved and replayed challenges are refused with their reason.
#include "security/proof_of_work.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <string>

using namespace seatgrab::security;

namespace {

constexpr int64_t now = 1'800'000'000'000; // any fixed time; nothing reads a clock

// The first nonce that solves (or, with `solving` false, fails) `token`.
std::string nonce_for(const std::string& token, uint32_t bits, bool solving = true) {
  for (uint64_t i = 0;; ++i) {
    auto nonce = std::to_string(i);
    if (proof_of_work::solves(token, nonce, bits) == solving)
      return nonce;
  }
}

} // namespace

TEST_CASE("proof of work: a solved challenge of the event passes once") {
  proof_of_work pow{8};
  REQUIRE(pow.ready());
  CHECK(pow.difficulty() == 8);
  auto c = pow.issue("gig", now);
  CHECK(c.expires_at_ms == now + proof_of_work::ttl_ms);
  CHECK(c.token.starts_with("gig."));
  auto nonce = nonce_for(c.token, 8);
  CHECK(pow.verify(c.token, nonce, "gig", now + 1000) == pow_result::ok);
  CHECK(pow.verify(c.token, nonce, "gig", now + 2000) == pow_result::used_before);
  CHECK(to_string(pow_result::used_before) == "challenge used before");
}

TEST_CASE("proof of work: each challenge is different") {
  proof_of_work pow{4};
  CHECK(pow.issue("gig", now).token != pow.issue("gig", now).token);
}

TEST_CASE("proof of work: a wrong nonce is refused and the challenge stays usable") {
  proof_of_work pow{8};
  auto c = pow.issue("gig", now);
  CHECK(pow.verify(c.token, nonce_for(c.token, 8, false), "gig", now) == pow_result::wrong_nonce);
  CHECK(to_string(pow_result::wrong_nonce) == "wrong proof of work");
  CHECK(pow.verify(c.token, nonce_for(c.token, 8), "gig", now) == pow_result::ok);
}

TEST_CASE("proof of work: forged and malformed challenges are refused") {
  proof_of_work pow{4};
  auto c = pow.issue("gig", now);
  auto forged = c.token;
  forged.back() = forged.back() == '0' ? '1' : '0';
  CHECK(pow.verify(forged, nonce_for(forged, 4), "gig", now) == pow_result::forged);
  CHECK(to_string(pow_result::forged) == "forged challenge");
  // Another instance has another key.
  proof_of_work other{4};
  auto theirs = other.issue("gig", now);
  CHECK(pow.verify(theirs.token, nonce_for(theirs.token, 4), "gig", now) == pow_result::forged);
  // A longer expiry needs a new signature.
  auto payload = c.token.substr(0, c.token.rfind('.'));
  auto stretched = payload + "9" + c.token.substr(c.token.rfind('.'));
  CHECK(pow.verify(stretched, "0", "gig", now) == pow_result::forged);
  CHECK(pow.verify("no-dots-here", "0", "gig", now) == pow_result::malformed);
  CHECK(to_string(pow_result::malformed) == "malformed challenge");
}

TEST_CASE("proof of work: a challenge of another event is refused") {
  proof_of_work pow{4};
  auto c = pow.issue("gig", now);
  auto nonce = nonce_for(c.token, 4);
  CHECK(pow.verify(c.token, nonce, "gig2", now) == pow_result::other_event);
  CHECK(pow.verify(c.token, nonce, "gi", now) == pow_result::other_event);
  CHECK(to_string(pow_result::other_event) == "challenge of another event");
  CHECK(pow.verify(c.token, nonce, "gig", now) == pow_result::ok);
}

TEST_CASE("proof of work: the event is compared whole, not by prefix") {
  // Issue 13 finding 9: a challenge of "gig.vip" starts with "gig." and passed for "gig".
  proof_of_work pow{4};
  auto c = pow.issue("gig.vip", now);
  auto nonce = nonce_for(c.token, 4);
  CHECK(pow.verify(c.token, nonce, "gig", now) == pow_result::other_event);
  CHECK(pow.verify(c.token, nonce, "gig.vip.x", now) == pow_result::other_event);
  CHECK(pow.verify(c.token, nonce, "", now) == pow_result::other_event);
  CHECK(pow.verify(c.token, nonce, "gig.vip", now) == pow_result::ok);
  auto plain = pow.issue("gig", now);
  auto plain_nonce = nonce_for(plain.token, 4);
  CHECK(pow.verify(plain.token, plain_nonce, "gig.vip", now) == pow_result::other_event);
  CHECK(pow.verify(plain.token, plain_nonce, "gig", now) == pow_result::ok);
}

TEST_CASE("proof of work: an expired challenge is refused") {
  proof_of_work pow{4};
  auto c = pow.issue("gig", now);
  auto nonce = nonce_for(c.token, 4);
  CHECK(pow.verify(c.token, nonce, "gig", c.expires_at_ms) == pow_result::expired);
  CHECK(to_string(pow_result::expired) == "challenge expired");
  CHECK(pow.verify(c.token, nonce, "gig", c.expires_at_ms - 1) == pow_result::ok);
}

TEST_CASE("proof of work: spent challenges are forgotten once expired") {
  proof_of_work pow{0};
  auto c = pow.issue("gig", now);
  CHECK(pow.verify(c.token, "x", "gig", now) == pow_result::ok);
  CHECK(pow.verify(c.token, "y", "gig", now + 1) == pow_result::used_before);
  // After expiry it is refused as expired, not as replayed.
  CHECK(pow.verify(c.token, "x", "gig", c.expires_at_ms) == pow_result::expired);
}

TEST_CASE("proof of work: each challenge carries its own difficulty and issue time, signed") {
  proof_of_work pow{4};
  auto c = pow.issue("gig", now, 10);
  CHECK(c.token.find(".10.") != std::string::npos);
  // A nonce good for 4 bits only is not enough for this one.
  std::string weak;
  for (int i = 0;; ++i)
    if (proof_of_work::solves(c.token, std::to_string(i), 4) &&
        !proof_of_work::solves(c.token, std::to_string(i), 10)) {
      weak = std::to_string(i);
      break;
    }
  CHECK(pow.verify(c.token, weak, "gig", now) == pow_result::wrong_nonce);
  uint32_t bits = 0;
  int64_t issued = 0;
  CHECK(pow.verify(c.token, nonce_for(c.token, 10), "gig", now + 700, &bits, &issued) ==
        pow_result::ok);
  CHECK(bits == 10);
  CHECK(issued == now);
  // Lowering the difficulty in the token breaks its signature.
  auto d = pow.issue("gig", now, 10);
  auto lowered = d.token;
  lowered.replace(lowered.find(".10."), 4, ".1.");
  CHECK(pow.verify(lowered, nonce_for(lowered, 1), "gig", now) == pow_result::forged);
  // Through the challenge interface, as the guard's verifiers are called.
  auto e = pow.issue("gig", now, 6);
  seatgrab::security::challenge_check got;
  pow.verify(e.token, nonce_for(e.token, 6), "gig", now + 5,
             [&](seatgrab::security::challenge_check x) { got = x; });
  CHECK(got.ok);
  CHECK(got.bits == 6);
  pow.verify(e.token, nonce_for(e.token, 6), "gig", now + 5,
             [&](seatgrab::security::challenge_check x) { got = x; });
  CHECK_FALSE(got.ok);
  CHECK(got.reason == "challenge used before");
}
