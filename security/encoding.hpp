#pragma once

// Text encodings shared by the signed tokens, ticket codes, digests and ids.

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace seatgrab::security {

/// base64url without padding (RFC 4648 §5), on top of OpenSSL's base64.
std::string base64url_encode(std::string_view data);

/// Decodes base64url without padding. Accepts only the canonical encoding (the unused low bits
/// of the last character must be zero): otherwise several strings decode to the same bytes
/// and a signed token would have look-alike twins.
std::optional<std::string> base64url_decode(std::string_view in);

/// Lower-case hex of `data`, two digits a byte.
std::string hex_encode(std::string_view data);

using sha256_digest = std::array<unsigned char, 32>;

/// The SHA-256 digest of `data`. OpenSSL 3's one-shot `SHA256()` and `EVP_Q_mac` look the
/// algorithm up, under a lock, on every call (most of their cost for short inputs, and 6 % of
/// the stadium run); these fetch it once per process.
sha256_digest sha256(std::string_view data);

/// HMAC-SHA256 of `data` under `key`; nullopt only if OpenSSL fails. Without a fetch per call,
/// unlike OpenSSL's one-shot `HMAC()`.
std::optional<sha256_digest> hmac_sha256(std::string_view key, std::string_view data);

/// Lower-case hex of the SHA-256 digest of `data` (64 digits).
std::string sha256_hex(std::string_view data);

/// `n` random bytes from OpenSSL's generator as lower-case hex; empty if it fails.
std::string random_hex(size_t n);

} // namespace seatgrab::security
