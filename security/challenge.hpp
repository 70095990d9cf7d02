#pragma once

// The challenges the bot guard may ask a client to answer, behind one interface: the proof of
// work (security/proof_of_work.hpp), the self-hosted step-up image (security/step_up.hpp), and
// any external verifier (Turnstile, hCaptcha) as one more adapter whose `verify` asks the
// provider's siteverify endpoint and answers when it has replied.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace seatgrab::security {

/// A challenge's check: passed (with what it proves) or the reason it did not.
struct challenge_check {
  bool ok = false;
  std::string reason;       ///< why not, for the problem's `detail`
  uint32_t bits = 0;        ///< a proof of work's difficulty
  int64_t issued_at_ms = 0; ///< when the challenge was handed out
};

class challenge_verifier {
public:
  virtual ~challenge_verifier() = default;

  /// "proof-of-work", "step-up", ...
  [[nodiscard]] virtual std::string_view kind() const noexcept = 0;

  /// Checks `answer` to challenge `token`, issued for `subject`, at `now_ms`, and spends the
  /// challenge if it passes. Calls `done` exactly once, possibly before returning.
  virtual void verify(std::string_view token, std::string_view answer, std::string_view subject,
                      int64_t now_ms, std::function<void(challenge_check)> done) = 0;
};

} // namespace seatgrab::security
