#pragma once

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace seatgrab::security {

/// Shortest password accepted, in bytes.
inline constexpr size_t min_password_size = 8;

/// Longest password accepted, in bytes; also bounds the work an attacker can make us hash.
inline constexpr size_t max_password_size = 128;

/// Largest scrypt N that `hash_password` produces and `verify_password` accepts: a forged or
/// corrupt record must not make a login allocate gigabytes.
inline constexpr uint64_t max_scrypt_n = uint64_t{1} << 20;

/// Upper bound of `N * r * p` (work and, with p = 1, memory / 128 bytes): the cost of
/// N = 2^20, r = 8, p = 1, i.e. 1 GiB and about a second. Records above it are rejected.
inline constexpr uint64_t max_scrypt_cost = max_scrypt_n * 8;

/// Salt length in bytes, drawn from OpenSSL RAND_bytes for every hash.
inline constexpr size_t password_salt_size = 16;

/// Derived hash length in bytes.
inline constexpr size_t password_hash_size = 32;

/// scrypt cost parameters. The defaults (N = 2^15, r = 8, p = 1: 32 MiB, ~0.1 s) follow the
/// OWASP minimum; tests use N = 2^10 for speed.
struct scrypt_params {
  uint64_t n = uint64_t{1} << 15; ///< CPU/memory cost: a power of two in [2, max_scrypt_n]
  uint32_t r = 8;                 ///< block size, >= 1
  uint32_t p = 1;                 ///< parallelization, >= 1
  friend bool operator==(const scrypt_params&, const scrypt_params&) = default;
};

/// Whether `params` are acceptable: N a power of two in [2, max_scrypt_n], r and p at least 1
/// and `N * r * p <= max_scrypt_cost`.
[[nodiscard]] bool valid_params(const scrypt_params& params) noexcept;

/// Checks the password rules: 8..128 bytes (any bytes; we do not restrict the alphabet).
/// Fails with `ec::invalid_argument` naming the rule.
[[nodiscard]] caf::error check_password_rules(std::string_view password);

/// Hashes `password` with scrypt and a fresh random salt, encoded as
/// "scrypt$<N>$<r>$<p>$<base64(salt)>$<base64(hash)>" (standard base64 with padding, N in
/// decimal). Fails with `ec::invalid_argument` when the password breaks the rules or `params`
/// are invalid, and with `ec::unavailable` when OpenSSL's RNG or KDF fails.
[[nodiscard]] caf::expected<std::string> hash_password(std::string_view password,
                                                       const scrypt_params& params = {});

/// Whether `encoded` is a record `hash_password` could have produced (parses, parameters within
/// the caps, 16-byte salt, 32-byte hash, canonical base64). Does not hash anything.
[[nodiscard]] bool is_password_hash(std::string_view encoded);

/// Whether `password` matches `encoded`, comparing in constant time. False for any malformed
/// record (see `is_password_hash`) and for passwords outside 8..128 bytes, without hashing.
[[nodiscard]] bool verify_password(std::string_view password, std::string_view encoded);

/// A record in `hash_password`'s format with `params` and an all-zero salt and hash, made
/// without hashing: verified when a log-in names no account, so that a miss costs what a hit
/// costs with the configured parameters. No password matches it with any meaningful
/// probability. Empty if `params` are invalid.
[[nodiscard]] std::string dummy_password_hash(const scrypt_params& params);

/// The scrypt parameters of an encoded record; none if it is malformed.
[[nodiscard]] std::optional<scrypt_params> params_of(std::string_view encoded);

/// How many scrypt derivations this process has run (hashes and verifications): a metric, and
/// lets tests see where and when hashing happens.
[[nodiscard]] uint64_t scrypt_runs() noexcept;

/// Length of a session token from `new_session_token`, in characters.
inline constexpr size_t session_token_size = 43;

/// A new bearer token: 32 random bytes (OpenSSL RAND_bytes), base64url without padding, 43
/// characters. Empty if the RNG fails; callers must treat that as an error.
[[nodiscard]] std::string new_session_token();

/// Lower-case hex SHA-256 of `token`. The server stores only this, so a leaked store does not
/// leak live tokens; the token carries 256 random bits, so no salt or slow hash is needed.
/// Empty if OpenSSL fails.
[[nodiscard]] std::string token_digest(std::string_view token);

} // namespace seatgrab::security
