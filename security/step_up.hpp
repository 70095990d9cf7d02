#pragma once

// The step-up challenge (DESIGN §7): a self-hosted image challenge the bot guard asks for when
// a join's risk is high. The image is five digits drawn as distorted strokes with noise (SVG
// paths, no text a parser could read off); the text alternative, for screen-reader users,
// asks a sum in words. Either answer passes.
//
// Nothing is stored per challenge: its token is "<id>.<expires_at_ms>.<mac>", the mac an HMAC
// binding id, expiry and subject (the event and the account) under the server key, and both
// answers derive from the id under the same key. A challenge works once (spent ids are kept
// until they expire, at most `max_spent`; per edge: a cluster's members share the key, not the
// spent ids, so a solved challenge could be used once more at another member), for five
// minutes, for its subject only. A wrong answer spends it too: the sum has few values, so a
// challenge guessed at again and again would fall. The caller passes the time in.
//
// The text alternative is weaker than the image, as accessible alternatives are: a program
// that parses English sums solves it. The guard treats a passed step-up as one signal, never
// as proof of a person.

#include "security/challenge.hpp"

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace seatgrab::security {

struct step_up_challenge {
  std::string token;
  int64_t expires_at_ms = 0;
  std::string question; ///< the text alternative
};

class step_up final : public challenge_verifier {
public:
  static constexpr int64_t ttl_ms = 300'000;
  /// Spent challenges remembered at most; beyond it (all unexpired) checks fail closed.
  static constexpr size_t max_spent = 200'000;

  /// `key`: the server key (the same on every member, so that any edge checks any challenge).
  explicit step_up(std::string key) : key_(std::move(key)) {}

  [[nodiscard]] std::string_view kind() const noexcept override { return "step-up"; }

  /// A fresh challenge for `subject`, valid for `ttl_ms` after `now_ms`.
  [[nodiscard]] step_up_challenge issue(std::string_view subject, int64_t now_ms) const;

  /// The image of `token` as SVG, if the token is well-formed (its mac is not checked: the
  /// image reveals nothing about the subject).
  [[nodiscard]] std::optional<std::string> image(std::string_view token) const;

  /// The text alternative of `token`, if it is well-formed.
  [[nodiscard]] std::optional<std::string> question(std::string_view token) const;

  /// Checks and spends: format, mac (forged or another subject's), expiry, the answer (the
  /// image's digits or the sum, spaces ignored), and that it was not used before.
  [[nodiscard]] challenge_check check(std::string_view token, std::string_view answer,
                                      std::string_view subject, int64_t now_ms);

  void verify(std::string_view token, std::string_view answer, std::string_view subject,
              int64_t now_ms, std::function<void(challenge_check)> done) override {
    done(check(token, answer, subject, now_ms));
  }

  /// The two accepted answers of a well-formed `token` (image digits, sum), for tests and for
  /// the scenario's simulated people, who read the text alternative.
  [[nodiscard]] std::optional<std::pair<std::string, std::string>>
  answers(std::string_view token) const;

  /// The answer of the text alternative `question`, read as a person (or a parser) would.
  [[nodiscard]] static std::optional<std::string> solve_question(std::string_view question);

private:
  [[nodiscard]] std::string mac(std::string_view id, int64_t expires,
                                std::string_view subject) const;

  std::string key_;
  std::mutex mtx_;
  std::map<std::string, int64_t, std::less<>> spent_; ///< id -> expires_at_ms
  std::multimap<int64_t, std::string> by_expiry_;     ///< the same, to forget them in order
};

} // namespace seatgrab::security
