#include "security/retry_watch.hpp"

#include <algorithm>

namespace seatgrab::security {

retry_watch::retry_watch(uint32_t limit, size_t max_keys)
    : limit_(std::max<uint32_t>(1, limit)), max_keys_(max_keys) {
  // nop
}

bool retry_watch::refused(std::string_view key, clock::time_point now, unsigned wait_s) {
  std::lock_guard lock{mtx_};
  std::string k{key};
  auto i = keys_.find(k);
  if (i == keys_.end()) {
    if (keys_.size() >= max_keys_) // forget keys whose wait is over: they start afresh
      std::erase_if(keys_, [now](const auto& kv) { return kv.second.until <= now; });
    if (keys_.size() >= max_keys_)
      return false; // all busy: fail open, as the limiter before it does
    i = keys_.emplace(std::move(k), entry{}).first;
  }
  auto& e = i->second;
  if (now < e.until) {
    if (e.early > 0 && now - e.last_early > forgive_after)
      e.early = 0;
    ++e.early;
    e.last_early = now;
  }
  e.until = std::max(e.until, now + std::chrono::seconds{wait_s});
  if (e.reported || e.early < limit_)
    return false;
  e.reported = true;
  return true;
}

size_t retry_watch::size() const {
  std::lock_guard lock{mtx_};
  return keys_.size();
}

} // namespace seatgrab::security
