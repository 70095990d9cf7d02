#pragma once

#include "domain/event_sourced.hpp"
#include "messages/accounts.pb.h"
#include "security/password.hpp"

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace seatgrab::domain {

/// Domain time: milliseconds since the Unix epoch. Domain code never reads a clock; callers
/// pass `now` in.
using time_point = std::chrono::sys_time<std::chrono::milliseconds>;

/// Longest email address accepted, in bytes (the SMTP path limit).
inline constexpr size_t max_email_size = 254;

/// Sessions one account keeps open: a new log-in beyond it closes the account's oldest
/// session, so a script logging in in a loop cannot grow the registry.
inline constexpr size_t max_sessions_per_account = 10;

/// The canonical form of `email`, so that look-alikes map to one account: ASCII whitespace
/// trimmed, then (ICU) Unicode case folding and NFC, so "ALICE@x.org", "alice@x.org" and a
/// decomposed "é" in place of a composed one are the same address. Fails with
/// `ec::invalid_email` for bytes that are not UTF-8 and for any invisible or special character
/// outside ASCII: controls, format characters (zero-width space and joiners, BOM, bidi marks),
/// other default-ignorable code points, separators, private-use, surrogates and unassigned code
/// points. Then checks a simple shape, not RFC 5322, failing with `ec::invalid_argument`: at
/// most 254 bytes, no ASCII spaces or control characters, exactly one '@', a non-empty local
/// part, and a domain with a dot and no empty label. Not a confusables check (UTS #39):
/// letters of different scripts that look alike stay different.
caf::expected<std::string> normalize_email(std::string_view email);

/// The account shard that issued an account id or a bearer token: what precedes the first
/// '.' ("b" of "b.a7"), or "" for the ids and tokens of a registry without a shard name (ids
/// are "a<n>", tokens base64url: neither has a '.').
std::string_view shard_of(std::string_view id_or_token);

/// What a log-in must verify, found without hashing: the account's password hash, or for an
/// e-mail with no account a dummy record of the configured cost (so a miss costs a hit's time).
struct login_check {
  std::optional<std::string> account; ///< none: no account for the e-mail
  std::string password_hash;          ///< to verify the password against
};

/// What the registry knows of an account, without its password hash.
struct account_info {
  std::string id;    ///< "a1", "a2", ... in sign-up order
  std::string email; ///< normalized
  time_point created_at;
  bool is_operator = false;
  friend bool operator==(const account_info&, const account_info&) = default;
};

/// Result of a sign-up.
struct sign_up_outcome {
  std::string account;      ///< the new account id
  pb::accounts_event event; ///< the event to journal, already applied
};

/// Result of a login: the bearer token for the client. The registry keeps only its digest, so
/// the token cannot be shown again.
struct session_grant {
  std::string token;
  std::string account;
  time_point expires_at;    ///< exclusive
  pb::accounts_event event; ///< the event to journal, already applied
};

/// The account registry: sign-ups, password logins, bearer sessions and the operator role,
/// event sourced like `section_state`. Every mutating operation validates first and on failure
/// changes nothing; on success it builds a `pb::accounts_event`, applies it through `apply`
/// (the same path as recovery replay) and returns it for the caller to journal. Passwords are
/// hashed by the caller (`security::hash_password`, slow on purpose) before `sign_up`.
/// `apply` and `version()` come from `event_sourced`; `apply` also rejects an unexpected
/// account id, a duplicate email or session, an unknown account or session and a malformed
/// email or password hash.
class accounts_state : public event_sourced<accounts_state, pb::accounts_event> {
public:
  /// The registry of account shard `shard` (see `shard_of`); "" for a node's only one.
  explicit accounts_state(std::string shard = {}) : shard_(std::move(shard)) {}

  // -- operations -------------------------------------------------------------

  /// Creates an account for `email` (normalized, see `normalize_email`) with the encoded
  /// password hash. Errors: `invalid_argument` (bad email, or `password_hash` is not a record
  /// of `security::hash_password`), `already_exists` (the normalized email has an account).
  caf::expected<sign_up_outcome> sign_up(std::string_view email, std::string password_hash,
                                         time_point now);

  /// Checks the password (scrypt: this takes as long as hashing) and opens a session valid
  /// for `session_ttl`. Unknown emails cost a hash too and fail exactly like wrong passwords,
  /// so neither the error nor the timing tells whether an email has an account. Errors:
  /// `invalid_argument` for a non-positive `session_ttl`, `bad_credentials` (context "wrong
  /// email or password" whatever was wrong), `unavailable` if the RNG fails.
  caf::expected<session_grant> login(std::string_view email, std::string_view password,
                                     time_point now, std::chrono::milliseconds session_ttl,
                                     const security::scrypt_params& dummy_params = {});

  /// The first half of `login`, for callers that hash elsewhere: what to verify the password
  /// of `email` against. An unknown or malformed e-mail gets `security::dummy_password_hash`
  /// of `dummy_params`, the cost new hashes are made with.
  login_check check_for_login(std::string_view email,
                              const security::scrypt_params& dummy_params) const;

  /// The second half of `login`: opens a session of `account`, whose password was verified.
  /// At `max_sessions_per_account` open sessions the oldest of them (opened first, expired or
  /// not) closes with it, as part of the same event. Errors: `invalid_argument` for a non-positive
  /// `session_ttl`, `bad_credentials` for an unknown account, `unavailable` if the RNG fails.
  caf::expected<session_grant> open_session(std::string_view account, time_point now,
                                            std::chrono::milliseconds session_ttl);

  /// The account of a live session: `token` was granted by `login`, is not logged out and
  /// `now < expires_at`. Errors: `unauthenticated` for unknown, closed and expired tokens
  /// alike.
  caf::expected<std::string> session(std::string_view token, time_point now) const;

  /// When the session of `token` ends; none for unknown or closed tokens.
  std::optional<time_point> session_expiry(std::string_view token) const;

  /// Closes the session of `token`, even if it has expired but is not yet closed. Errors:
  /// `unauthenticated` (unknown or already closed).
  caf::expected<pb::accounts_event> logout(std::string_view token, time_point now);

  /// Makes `account` an operator. Idempotent: none when it already is one. Errors: `not_found`.
  caf::expected<std::optional<pb::accounts_event>> grant_operator(std::string_view account,
                                                                  time_point now);

  /// Closes every session with `expires_at <= now`, one event each in digest order; for a
  /// periodic timer, so expired sessions do not pile up in memory and snapshots.
  std::vector<pb::accounts_event> close_expired(time_point now);

  // -- queries ----------------------------------------------------------------

  size_t account_count() const noexcept { return accounts_.size(); }

  /// Sessions opened and not yet closed, expired ones included until `close_expired`.
  size_t session_count() const noexcept { return sessions_.size(); }

  /// The open sessions of `account`, as `session_count` counts them.
  size_t session_count(std::string_view account) const;

  std::optional<account_info> find_account(std::string_view account) const;

  /// The account id registered for `email` (normalized first), e.g. a ticket transfer target.
  std::optional<std::string> account_by_email(std::string_view email) const;

  /// Whether `account` exists and is an operator.
  bool is_operator(std::string_view account) const;

  /// Equal states: same version, accounts, emails, hashes, roles and sessions.
  friend bool operator==(const accounts_state&, const accounts_state&) = default;

private:
  struct account_rec {
    std::string email;
    std::string password_hash;
    time_point created_at;
    bool is_operator = false;
    friend bool operator==(const account_rec&, const account_rec&) = default;
  };

  struct session_rec {
    std::string account;
    time_point opened_at;
    time_point expires_at;
    friend bool operator==(const session_rec&, const session_rec&) = default;
  };

  friend event_sourced;
  static std::span<const kind_handler> handlers();
  std::string corruption_prefix() const {
    return "accounts at version " + std::to_string(version());
  }
  std::string next_account_id() const;

  caf::error apply_signed_up(const pb::account_signed_up& ev, time_point at);
  caf::error apply_session_opened(const pb::account_session_opened& ev, time_point at);
  caf::error apply_session_closed(const pb::account_session_closed& ev);
  caf::error apply_operator_granted(const pb::account_operator_granted& ev);

  std::string shard_; // prefixes account ids and tokens ("<shard>.a7"), when not empty
  std::map<std::string, account_rec, std::less<>> accounts_; // by account id
  std::map<std::string, std::string, std::less<>> emails_;   // normalized email -> account id
  std::map<std::string, session_rec, std::less<>> sessions_; // by token digest
  // Per account, its open sessions oldest first (derived from sessions_, which == compares).
  std::map<std::string, std::set<std::pair<time_point, std::string>>, std::less<>> by_account_;
};

/// Tickets per account and event, for the per-event purchase limit: the checkout reserves
/// before paying and releases on failure or refund. Plain bookkeeping; the caller rebuilds it
/// from orders on recovery.
class ticket_ledger {
public:
  /// Counts `n` more tickets of `account` for `event` if the total stays within `limit`.
  /// Errors, changing nothing: `invalid_argument` (empty account or event, `n == 0`),
  /// `ticket_limit` (context names the current count and the limit).
  [[nodiscard]] caf::error reserve(std::string_view account, std::string_view event, uint32_t n,
                                   uint32_t limit);

  /// Gives back `n` tickets. Errors, changing nothing: `invalid_argument` (`n == 0` or more
  /// than counted: a bookkeeping bug the caller should hear about).
  [[nodiscard]] caf::error release(std::string_view account, std::string_view event, uint32_t n);

  /// Tickets currently counted for `account` and `event`.
  uint32_t count(std::string_view account, std::string_view event) const;

private:
  // account -> event -> count; entries at zero are erased.
  std::map<std::string, std::map<std::string, uint32_t, std::less<>>, std::less<>> counts_;
};

} // namespace seatgrab::domain
