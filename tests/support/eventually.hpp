#pragma once

// Waiting on a real server process or socket, where virtual time does not reach: polls a
// condition until it holds or a deadline passes.

#include <chrono>
#include <functional>
#include <thread>

namespace seatgrab::test {

/// Polls `done` every 10 ms until it holds (true) or `timeout` passes (false).
inline bool eventually(const std::function<bool()>& done,
                       std::chrono::milliseconds timeout = std::chrono::seconds{10}) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds{10}); // polling a live process
  }
  return true;
}

} // namespace seatgrab::test
