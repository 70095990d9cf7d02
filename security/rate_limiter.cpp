#include "security/rate_limiter.hpp"

#include <algorithm>

namespace seatgrab::security {

rate_limiter::rate_limiter(double per_s, double burst, size_t max_keys)
    : per_s_(per_s), burst_(burst), max_keys_(max_keys) {
  // nop
}

unsigned rate_limiter::admit(std::string_view key, clock::time_point now) {
  if (per_s_ <= 0)
    return 0;
  auto interval = std::chrono::duration<double>(1.0 / per_s_);
  auto tolerance = interval * burst_;
  std::lock_guard lock{mtx_};
  auto& tat = tat_[std::string{key}];
  auto t = std::max(tat, now);
  if (t - now > tolerance) {
    auto wait = std::chrono::duration<double>(t - now - tolerance).count();
    return static_cast<unsigned>(wait) + 1;
  }
  tat = t + std::chrono::duration_cast<clock::duration>(interval);
  if (tat_.size() > max_keys_) // forget clients that are all caught up
    std::erase_if(tat_, [now](const auto& kv) { return kv.second < now; });
  return 0;
}

size_t rate_limiter::size() const {
  std::lock_guard lock{mtx_};
  return tat_.size();
}

} // namespace seatgrab::security
