#pragma once

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace seatgrab::security {

/// What an admission token grants: one device of one account may shop one event until
/// `expires_at_ms` (milliseconds since the Unix epoch, exclusive).
struct admission_claims {
  std::string event;
  std::string account;
  std::string device;
  int64_t expires_at_ms = 0;
  /// The price version in force at the admission: the fan pays no more than its prices.
  uint64_t price_version = 0;
  friend bool operator==(const admission_claims&, const admission_claims&) = default;
};

/// Signing keys by id; the newest signs, all verify, so keys rotate without logging anyone out.
/// Use one ring per purpose: a ring that also signs other HMAC tokens would let those pass as
/// admission tokens if their formats ever coincide.
class key_ring {
public:
  /// Minimum secret length in bytes (the HMAC-SHA256 output size).
  static constexpr size_t min_secret_size = 32;

  /// Longest key id in characters.
  static constexpr size_t max_id_size = 16;

  key_ring() = default;
  key_ring(const key_ring&) = default;
  key_ring(key_ring&&) noexcept = default;
  key_ring& operator=(const key_ring&) = default;
  key_ring& operator=(key_ring&&) noexcept = default;

  /// Wipes all secrets from memory.
  ~key_ring();

  /// Adds a 32-byte (or longer) secret under `id` (1..16 chars [A-Za-z0-9_-]) and makes it the
  /// signing key. Fails with `ec::invalid_argument` for a bad id or short secret and with
  /// `ec::already_exists` when `id` is present (reusing an id would silently invalidate the
  /// tokens signed under it).
  [[nodiscard]] caf::error add(std::string id, std::vector<uint8_t> secret);

  /// Drops a retired key: tokens signed with it stop verifying. When it was the signing key,
  /// the newest remaining key signs from now on. Unknown ids are ignored.
  void retire(std::string_view id);

  /// A new random 32-byte secret from OpenSSL RAND_bytes; empty if the RNG fails, which `add`
  /// then rejects rather than signing with a weak key.
  [[nodiscard]] static std::vector<uint8_t> random_secret();

  /// Id of the key that signs new tokens; empty when the ring is empty.
  [[nodiscard]] std::string_view signing_id() const noexcept;

  /// Whether a key with this id is present (i.e. tokens signed with it verify).
  [[nodiscard]] bool contains(std::string_view id) const noexcept;

  /// Number of keys.
  [[nodiscard]] size_t size() const noexcept { return keys_.size(); }

  /// Whether the ring holds no key; then `issue` fails and every token is rejected.
  [[nodiscard]] bool empty() const noexcept { return keys_.empty(); }

private:
  struct entry {
    std::string id;
    std::vector<uint8_t> secret;
  };

  [[nodiscard]] const entry* find(std::string_view id) const noexcept;

  friend caf::expected<std::string> issue(const key_ring& keys, const admission_claims& claims);
  friend caf::expected<admission_claims> verify(const key_ring& keys, std::string_view token,
                                                std::string_view event, std::string_view account,
                                                std::string_view device, int64_t now_ms);

  /// In insertion order: the last one signs. Rings hold a handful of keys, so a linear search
  /// beats a map.
  std::vector<entry> keys_;
};

/// Longest token `verify` accepts (and `issue` produces), in characters.
inline constexpr size_t max_token_size = 1024;

/// Signs `claims` with the ring's signing key:
/// "v1.<key id>.<base64url(payload)>.<base64url(HMAC-SHA256(key, "v1.<key id>.<payload b64>"))>",
/// base64url without padding; the payload holds the fields length-prefixed. Fails with
/// `ec::invalid_argument` when the ring is empty, a field is empty, `expires_at_ms <= 0`, or
/// the token would exceed `max_token_size`.
[[nodiscard]] caf::expected<std::string> issue(const key_ring& keys,
                                               const admission_claims& claims);

/// Checks the signature (constant time), expiry and binding, in that order, and returns the
/// claims. Fails with `ec::admission_invalid` for anything malformed, forged or signed with an
/// unknown key, `ec::admission_expired` when `now_ms >= expires_at_ms`, and
/// `ec::admission_mismatch` when event, account or device differ from the expected ones.
[[nodiscard]] caf::expected<admission_claims> verify(const key_ring& keys, std::string_view token,
                                                     std::string_view event,
                                                     std::string_view account,
                                                     std::string_view device, int64_t now_ms);

} // namespace seatgrab::security
