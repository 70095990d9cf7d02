#pragma once

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>

// OpenSSL's key type, forward-declared so users of this header need no OpenSSL include.
struct evp_pkey_st;

namespace seatgrab::security {

/// Size of an Ed25519 private key (the RFC 8032 seed) and of a public key, in bytes.
inline constexpr size_t ed25519_key_size = 32;

/// Size of an Ed25519 signature in bytes.
inline constexpr size_t ed25519_signature_size = 64;

/// Raw Ed25519 key bytes (RFC 8032 encoding).
using ed25519_bytes = std::array<uint8_t, ed25519_key_size>;

/// An Ed25519 private key that signs tickets; gates verify with `public_bytes()` only, so a
/// stolen gate device cannot mint tickets. Copies share one immutable OpenSSL key object.
class ed25519_key {
public:
  /// A new random key from OpenSSL's RNG. Fails with `ec::invalid_argument` if OpenSSL fails.
  [[nodiscard]] static caf::expected<ed25519_key> generate();

  /// Loads a key from its 32 private bytes (the RFC 8032 seed), e.g. from a key file. Fails with
  /// `ec::invalid_argument` unless `bytes` holds exactly 32 bytes.
  [[nodiscard]] static caf::expected<ed25519_key>
  from_private_bytes(std::span<const uint8_t> bytes);

  /// The 32 private bytes, for storing the key; wipe them after use (OPENSSL_cleanse).
  [[nodiscard]] ed25519_bytes private_bytes() const;

  /// The 32 public bytes that gate devices receive.
  [[nodiscard]] const ed25519_bytes& public_bytes() const noexcept { return public_; }

  /// The 64-byte signature of `msg`. Ed25519 is deterministic: same key and message, same
  /// signature. Fails with `ec::invalid_argument` if OpenSSL fails.
  [[nodiscard]] caf::expected<std::string> sign(std::string_view msg) const;

private:
  struct pkey_deleter {
    void operator()(evp_pkey_st* key) const noexcept;
  };

  ed25519_key(std::shared_ptr<evp_pkey_st> key, const ed25519_bytes& pub) noexcept
      : key_(std::move(key)), public_(pub) {}

  /// Never null in a constructed key.
  std::shared_ptr<evp_pkey_st> key_;
  ed25519_bytes public_;
};

/// Whether `sig` is a valid Ed25519 signature of `msg` under the public key `pub`. False for a
/// signature of the wrong size, a malformed key, or any OpenSSL failure.
[[nodiscard]] bool ed25519_verify(std::span<const uint8_t, ed25519_key_size> pub,
                                  std::string_view msg, std::string_view sig);

/// Same as above with the public key as raw bytes in a string; false unless it has 32 bytes.
[[nodiscard]] bool ed25519_verify(std::string_view pub, std::string_view msg, std::string_view sig);

} // namespace seatgrab::security
