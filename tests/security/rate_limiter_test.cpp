// Tests of the GCRA rate limiter: a burst passes, then requests wait; keys are independent;
// time passing frees capacity again; the key map stays bounded.
#include "security/rate_limiter.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <string>

using namespace seatgrab::security;
using namespace std::chrono_literals;

namespace {

// A fixed origin: the limiter never reads a clock, the tests move time by hand.
const rate_limiter::clock::time_point t0 = rate_limiter::clock::time_point{} + 1000s;

} // namespace

TEST_CASE("rate limiter: a burst passes, then the next request must wait") {
  rate_limiter limiter{1.0, 3.0}; // one a second, bursts of three (plus the first)
  for (int i = 0; i < 4; ++i)
    CHECK(limiter.admit("a", t0) == 0);
  auto wait = limiter.admit("a", t0);
  CHECK(wait >= 1);
  CHECK(wait <= 2);
  CHECK(limiter.admit("a", t0) == wait); // refused requests do not count
}

TEST_CASE("rate limiter: keys are independent") {
  rate_limiter limiter{1.0, 1.0};
  CHECK(limiter.admit("a", t0) == 0);
  CHECK(limiter.admit("a", t0) == 0);
  CHECK(limiter.admit("a", t0) > 0);
  CHECK(limiter.admit("b", t0) == 0);
  CHECK(limiter.admit("b", t0) == 0);
  CHECK(limiter.admit("b", t0) > 0);
}

TEST_CASE("rate limiter: capacity comes back as time passes") {
  rate_limiter limiter{10.0, 5.0}; // one request each 100 ms
  int passed = 0;
  while (limiter.admit("a", t0) == 0)
    ++passed;
  CHECK(passed == 6);
  CHECK(limiter.admit("a", t0 + 50ms) > 0);
  CHECK(limiter.admit("a", t0 + 100ms) == 0);
  CHECK(limiter.admit("a", t0 + 100ms) > 0);
  // After a quiet second the whole burst is back.
  for (int i = 0; i < 6; ++i)
    CHECK(limiter.admit("a", t0 + 2s) == 0);
  CHECK(limiter.admit("a", t0 + 2s) > 0);
}

TEST_CASE("rate limiter: a rate of zero admits everything") {
  rate_limiter limiter{0.0, 0.0};
  for (int i = 0; i < 1000; ++i)
    CHECK(limiter.admit("a", t0) == 0);
  CHECK(limiter.size() == 0);
}

TEST_CASE("rate limiter: clients that caught up are forgotten beyond the bound") {
  rate_limiter limiter{100.0, 10.0, 10};
  for (int i = 0; i < 10; ++i)
    CHECK(limiter.admit("k" + std::to_string(i), t0) == 0);
  CHECK(limiter.size() == 10);
  // A second later all ten are caught up; the eleventh key sweeps them out.
  CHECK(limiter.admit("new", t0 + 1s) == 0);
  CHECK(limiter.size() == 1);
}
