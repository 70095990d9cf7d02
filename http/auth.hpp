#pragma once

// Who is calling: a session's bearer token (checked by the account registry, answers cached a
// few seconds) or the operator's admin token.

#include "actors/lanes.hpp"
#include "http/server.hpp"
#include "messages/interfaces.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace seatgrab::http {

/// Authenticates requests. Thread-safe; cheap to share.
class lookup;

class authenticator {
public:
  /// How long an answer of the account registry is reused (never past the session's end).
  static constexpr auto cache_ttl = std::chrono::seconds{10};

  /// Sessions are checked with `accounts`; `admin_token` (empty: none) is the operator's.
  authenticator(actors::lanes& lanes, const lookup& find, std::string admin_token);

  /// Runs `k` with the caller's identity, or answers 401 (or the registry's error).
  void authenticate(const std::shared_ptr<exchange>& ex, std::function<void(auth_info)> k) const;

  /// Like `authenticate`, but only operators pass; others get 403.
  void operator_only(const std::shared_ptr<exchange>& ex, std::function<void(auth_info)> k) const;

  /// Drops a token from the cache (at logout through this edge).
  void forget(const std::string& token);

private:
  struct token_cache;

  actors::lanes& lanes_;
  const lookup& find_; // the account registry, wherever it is now
  std::string admin_token_;
  /// Shared with the registry's pending answers.
  std::shared_ptr<token_cache> cache_;
};

} // namespace seatgrab::http
