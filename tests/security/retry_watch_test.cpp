// Tests of the Retry-After watch: a client that waits as told is never reported, however
// often it is refused; one that comes straight back is reported once, at the limit; keys are
// independent; the map stays bounded.
#include "security/rate_limiter.hpp"
#include "security/retry_watch.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <string>

using namespace seatgrab::security;
using namespace std::chrono_literals;

namespace {

const retry_watch::clock::time_point t0 = retry_watch::clock::time_point{} + 1000s;

} // namespace

TEST_CASE("retry watch: a client that waits as told is never reported") {
  retry_watch watch{5};
  auto t = t0;
  for (int i = 0; i < 50; ++i) {
    CHECK_FALSE(watch.refused("fan", t, 1));
    t += 1s; // back exactly when told
  }
}

TEST_CASE("retry watch: a client that comes straight back is reported once, at the limit") {
  retry_watch watch{5};
  auto t = t0;
  CHECK_FALSE(watch.refused("bot", t, 1)); // the first refusal: nothing ignored yet
  for (int i = 1; i < 5; ++i) {
    t += 100ms;
    CHECK_FALSE(watch.refused("bot", t, 1));
  }
  t += 100ms;
  CHECK(watch.refused("bot", t, 1)); // the fifth request inside a wait
  for (int i = 0; i < 20; ++i) {
    t += 100ms;
    CHECK_FALSE(watch.refused("bot", t, 1)); // told once
  }
  CHECK_FALSE(watch.refused("fan", t, 1)); // keys are independent
}

TEST_CASE("retry watch: early requests a minute apart start afresh; a script's do not") {
  retry_watch watch{5};
  auto t = t0;
  // A person who reloads too soon now and then: each time told to wait 1 s, back 0.5 s later,
  // then gone for two minutes.
  for (int i = 0; i < 20; ++i) {
    CHECK_FALSE(watch.refused("person", t, 1));
    CHECK_FALSE(watch.refused("person", t + 500ms, 1));
    t += 2min;
  }
  // Four early requests, a pause past the minute, then four more: never five in a row.
  for (int round = 0; round < 2; ++round) {
    CHECK_FALSE(watch.refused("slow", t, 60));
    for (int i = 0; i < 4; ++i)
      CHECK_FALSE(watch.refused("slow", t + (i + 1) * 1s, 60));
    t += 3min;
  }
}

TEST_CASE("retry watch: behind the poll limiter, ten polls a second are told, one in 5 s not") {
  rate_limiter polls{1.0, 10.0};
  retry_watch watch{5};
  auto run = [&](const std::string& who, std::chrono::milliseconds every) {
    auto t = t0;
    for (int i = 0; i < 200; ++i, t += every)
      if (auto wait = polls.admit(who, t); wait && watch.refused(who, t, wait))
        return true;
    return false;
  };
  CHECK(run("bot", 100ms));
  CHECK_FALSE(run("fan", 5000ms));
  CHECK_FALSE(run("eager", 1000ms)); // once a second: at the rate, never refused
}

TEST_CASE("retry watch: bounded; keys whose wait is over are forgotten first") {
  retry_watch watch{2, 3};
  CHECK_FALSE(watch.refused("a", t0, 1));
  CHECK_FALSE(watch.refused("b", t0, 1));
  CHECK_FALSE(watch.refused("c", t0, 60));
  CHECK(watch.size() == 3);
  // "a" and "b" are past their wait: they make room.
  CHECK_FALSE(watch.refused("d", t0 + 2s, 1));
  CHECK(watch.size() == 2);
  // "c" is still counted: two early requests report it.
  CHECK_FALSE(watch.refused("c", t0 + 3s, 60));
  CHECK(watch.refused("c", t0 + 4s, 60));
  // Full of keys still told to wait: a new key is not tracked (fails open).
  retry_watch full{2, 1};
  CHECK_FALSE(full.refused("x", t0, 60));
  CHECK_FALSE(full.refused("y", t0, 60));
  CHECK_FALSE(full.refused("y", t0, 60));
  CHECK(full.size() == 1);
}
