#pragma once

// Proof of work against bots in a queue rush: the edge hands out a signed, short-lived
// challenge for one event at the difficulty the event's bot guard asks for (it follows load and
// risk); joining that event's queue needs a nonce whose SHA-256 with the challenge starts with
// that many zero bits, and each challenge works once. The token carries its difficulty and
// issue time under the signature, so the guard learns how hard the work was and how fast it
// came back. The caller passes the time in; nothing here reads a clock.

#include "security/challenge.hpp"

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace seatgrab::security {

/// A challenge as handed to a client.
struct pow_challenge {
  /// "<event>.<random>.<expires_at_ms>.<bits>.<signature>".
  std::string token;
  /// Milliseconds since the Unix epoch after which the challenge no longer counts.
  int64_t expires_at_ms = 0;
};

/// Why a proof of work was refused (or `ok`).
enum class pow_result : uint8_t {
  ok,
  malformed,   ///< not a challenge token at all
  forged,      ///< the signature does not match: not issued by us
  other_event, ///< issued for another event
  expired,     ///< past its expiry time
  wrong_nonce, ///< the nonce does not solve the challenge
  used_before, ///< the challenge was spent by an earlier join
};

/// The human reason for `x`, as the edge shows it in its problem `detail`.
std::string_view to_string(pow_result x) noexcept;

/// Issues and checks challenges with a random HMAC key made at construction. Thread-safe.
class proof_of_work final : public challenge_verifier {
public:
  /// How long a challenge stays valid.
  static constexpr int64_t ttl_ms = 120'000;

  /// Most bits a challenge may ask for.
  static constexpr uint32_t max_bits = 32;

  /// Challenges needing `difficulty` leading zero bits by default (0: none needed).
  explicit proof_of_work(uint32_t difficulty);

  /// Wipes the key.
  ~proof_of_work() override;

  proof_of_work(const proof_of_work&) = delete;
  proof_of_work& operator=(const proof_of_work&) = delete;

  /// Leading zero bits a solution needs.
  uint32_t difficulty() const noexcept { return difficulty_; }

  /// False if the random key could not be made: then no challenge verifies.
  bool ready() const noexcept { return ready_; }

  /// A fresh challenge for `event_id` of the default difficulty, valid for `ttl_ms` after
  /// `now_ms`.
  pow_challenge issue(std::string_view event_id, int64_t now_ms) const {
    return issue(event_id, now_ms, difficulty_);
  }

  /// A fresh challenge of `bits` (at most `max_bits`).
  pow_challenge issue(std::string_view event_id, int64_t now_ms, uint32_t bits) const;

  /// Checks `nonce` against `token` for a join of `event_id` at `now_ms`: format, signature,
  /// event, expiry, the work, and that the challenge was not used before (it is spent by
  /// this call when everything else holds). On success, `bits` and `issued_at_ms` (if given)
  /// tell the challenge's difficulty and issue time.
  pow_result verify(std::string_view token, std::string_view nonce, std::string_view event_id,
                    int64_t now_ms, uint32_t* bits = nullptr, int64_t* issued_at_ms = nullptr);

  [[nodiscard]] std::string_view kind() const noexcept override { return "proof-of-work"; }

  void verify(std::string_view token, std::string_view answer, std::string_view subject,
              int64_t now_ms, std::function<void(challenge_check)> done) override;

  /// Whether SHA-256(challenge ":" nonce) starts with `bits` zero bits.
  static bool solves(std::string_view challenge, std::string_view nonce, uint32_t bits);

private:
  std::string sign(std::string_view payload) const;

  uint32_t difficulty_;
  bool ready_ = false;
  unsigned char key_[32] = {};
  std::mutex mtx_;
  /// Spent challenges until they expire: token -> expires_at_ms.
  std::map<std::string, int64_t, std::less<>> used_;
};

} // namespace seatgrab::security
