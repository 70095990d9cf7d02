#pragma once

#include "security/ticket_signature.hpp"

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace seatgrab::domain {

/// What a gate answers for a scanned code (the `result` of `POST /v1/scan`).
enum class scan_result : uint8_t {
  valid,        ///< genuine, current and (online) not used before: let the holder in
  already_used, ///< genuine, but this ticket has been admitted already
  revoked,      ///< genuine, but this version was transferred away or refunded
  invalid,      ///< malformed, forged, for another event, or a stale/missing rotating code
};

/// Stable snake_case name of `x`, e.g. "already_used".
[[nodiscard]] std::string_view to_string(scan_result x) noexcept;

/// The signed content of a ticket. `version` starts at 1 and grows with every transfer, so the
/// gate can refuse old versions through a short revocation list instead of a list of codes.
struct ticket_payload {
  /// Longest ticket, event, seat or owner id in bytes; keeps codes small enough for a QR code.
  static constexpr size_t max_field_size = 128;

  std::string ticket_id;
  std::string event_id;
  std::string seat_id; ///< may be empty (general admission)
  std::string owner;   ///< account id of the current holder
  uint32_t version = 1;
  int64_t issued_at_ms = 0; ///< milliseconds since the Unix epoch

  /// Binary encoding: ticket_id, event_id, seat_id, owner each as u16 length + bytes, then u32
  /// version and i64 issued_at_ms, all big endian. Fields longer than 65535 bytes are cut;
  /// `make_code` rejects them long before.
  [[nodiscard]] std::string encode() const;

  /// Inverse of `encode`. Fails with `ec::invalid_input` for truncated input, trailing bytes, an
  /// empty ticket, event or owner id, an oversized field, or version 0.
  [[nodiscard]] static caf::expected<ticket_payload> decode(std::string_view bytes);

  friend bool operator==(const ticket_payload&, const ticket_payload&) = default;
};

/// The new payload after a transfer: next version, new owner, issued now. The caller must revoke
/// the old version (`gate_ledger::revoke`, and the revocation list sent to gate devices) at
/// once; refunds revoke the current version the same way. Precondition: version < UINT32_MAX.
[[nodiscard]] ticket_payload transferred(const ticket_payload& old, std::string new_owner,
                                         int64_t now_ms);

/// A per-ticket secret for rotating codes, derived from the event's rotation key.
using ticket_secret = std::array<uint8_t, 32>;

/// An event's secret for rotating codes (TOTP-like, RFC 6238 with HMAC-SHA256 and 15 s steps).
/// The buyer's app receives only its ticket's `ticket_secret` to show the code offline; gate
/// devices receive the event key itself (next to the Ed25519 public key) to check any ticket's
/// code offline, so treat gate devices as holders of this key. A screenshot of a code stops
/// working after at most two steps.
class rotation_key {
public:
  /// Length of one step in milliseconds.
  static constexpr int64_t step_ms = 15'000;

  /// Number of decimal digits of a rotating code.
  static constexpr size_t digits = 6;

  /// Minimum key length in bytes.
  static constexpr size_t min_size = 32;

  rotation_key(const rotation_key&) = default;
  rotation_key(rotation_key&&) noexcept = default;
  rotation_key& operator=(const rotation_key&) = default;
  rotation_key& operator=(rotation_key&&) noexcept = default;

  /// Wipes the key from memory.
  ~rotation_key();

  /// A key from stored bytes. Fails with `ec::invalid_argument` when shorter than 32 bytes.
  [[nodiscard]] static caf::expected<rotation_key> from_bytes(std::vector<uint8_t> bytes);

  /// A new random 32-byte key (OpenSSL RAND_bytes). Fails with `ec::invalid_argument` if the
  /// RNG fails.
  [[nodiscard]] static caf::expected<rotation_key> generate();

  /// The key bytes, for storage and for distribution to gate devices.
  [[nodiscard]] const std::vector<uint8_t>& bytes() const noexcept { return key_; }

  /// HMAC-SHA256(key, label || u16 length || ticket_id || u32 version): what the buyer's app
  /// gets. Bound to the version, so a transfer retires the old holder's secret too. Fails with
  /// `ec::invalid_argument` for an empty or oversized ticket id or if OpenSSL fails.
  [[nodiscard]] caf::expected<ticket_secret> derive(std::string_view ticket_id,
                                                    uint32_t version) const;

private:
  explicit rotation_key(std::vector<uint8_t> key) noexcept : key_(std::move(key)) {}

  std::vector<uint8_t> key_;
};

/// The 6-digit rotating code of a ticket at `now_ms`: HMAC-SHA256(secret, u16 length ||
/// ticket_id || u32 version || u64 step) with step = floor(now_ms / 15000), truncated as in
/// RFC 4226. Fails with `ec::invalid_argument` for an empty or oversized ticket id or if OpenSSL
/// fails.
[[nodiscard]] caf::expected<std::string> rotating_code(const ticket_secret& secret,
                                                       std::string_view ticket_id, uint32_t version,
                                                       int64_t now_ms);

/// Longest code `make_code` produces and `gate_verifier::check` accepts, in characters.
inline constexpr size_t max_code_size = 1024;

/// The text inside a ticket's QR code: "T1.<base64url(payload)>.<base64url(signature)>", the
/// Ed25519 signature covering "T1.<base64url(payload)>"; with `rotation` (events that enable
/// rotating codes) followed by ".<6-digit rotating code at now_ms>". base64url has no padding.
/// Fails with `ec::invalid_argument` for an empty ticket, event or owner id, a field longer than
/// `ticket_payload::max_field_size`, version 0, or if signing fails.
[[nodiscard]] caf::expected<std::string> make_code(const security::ed25519_key& key,
                                                   const ticket_payload& ticket,
                                                   const rotation_key* rotation, int64_t now_ms);

/// The payload inside a ticket code, NOT verified (neither signature, event nor rotating code):
/// lets an online scanner find the event whose box office then checks the code in full. Fails
/// with `ec::invalid_input` for anything that is not "T1.<base64url(payload)>.<...>" with a
/// well-formed payload, or a code longer than `max_code_size`.
[[nodiscard]] caf::expected<ticket_payload> peek_code(std::string_view code);

/// Offline check at a gate device: needs only the event id, the event's Ed25519 public key, the
/// rotation key (if the event rotates codes) and a revocation list synced while online. Cannot
/// tell a second scan (see `gate_ledger`).
class gate_verifier {
public:
  /// A verifier for `event_id`; codes of other events are invalid even when signed with the same
  /// key. With `rotation`, every code must carry a current rotating code; without, codes that
  /// carry one are invalid (the gate was set up for another event configuration).
  gate_verifier(std::string event_id, const security::ed25519_bytes& public_key,
                std::optional<rotation_key> rotation = std::nullopt);

  /// Refuses versions <= `up_to_version` of `ticket_id` from now on. Never lowers an entry, so
  /// revocation lists may arrive out of order.
  void revoke(std::string ticket_id, uint32_t up_to_version);

  /// Highest revoked version of `ticket_id`; 0 when none is revoked.
  [[nodiscard]] uint32_t revoked_up_to(std::string_view ticket_id) const noexcept;

  /// The revocation list, ticket id -> highest revoked version, to sync to gate devices.
  [[nodiscard]] const std::map<std::string, uint32_t, std::less<>>& revocations() const noexcept {
    return revoked_;
  }

  /// Checks format, signature, event, rotating code (current or previous step, for clock skew)
  /// and revocation, in that order. Returns `valid`, `revoked` or `invalid` (never
  /// `already_used`). When the signature holds and `ticket` is not null, stores the payload in
  /// it (for the gate's display), also for a revoked ticket.
  [[nodiscard]] scan_result check(std::string_view code, int64_t now_ms,
                                  ticket_payload* ticket = nullptr) const;

private:
  std::string event_id_;
  security::ed25519_bytes public_key_;
  std::optional<rotation_key> rotation_;
  /// ticket id -> highest revoked version.
  std::map<std::string, uint32_t, std::less<>> revoked_;
};

/// Online scanning state (one per event, behind `POST /v1/scan`): a verifier plus the set of
/// admitted tickets. A ticket admits once whatever its version, so transferring it after entry
/// lets nobody else in.
class gate_ledger {
public:
  explicit gate_ledger(gate_verifier verifier) : verifier_(std::move(verifier)) {}

  /// The verifier's answer, except that a valid ticket admitted before is `already_used`. A
  /// `valid` answer marks the ticket as admitted.
  [[nodiscard]] scan_result scan(std::string_view code, int64_t now_ms,
                                 ticket_payload* ticket = nullptr);

  /// Revokes at once (transfer, refund); see `gate_verifier::revoke`.
  void revoke(std::string ticket_id, uint32_t up_to_version) {
    verifier_.revoke(std::move(ticket_id), up_to_version);
  }

  /// Marks a ticket admitted without a scan, e.g. when replaying a journal of scans.
  void mark_used(std::string ticket_id) { used_.insert(std::move(ticket_id)); }

  /// Whether `ticket_id` has been admitted.
  [[nodiscard]] bool used(std::string_view ticket_id) const noexcept {
    return used_.find(ticket_id) != used_.end();
  }

  /// Number of admitted tickets.
  [[nodiscard]] size_t used_count() const noexcept { return used_.size(); }

  /// The wrapped verifier (e.g. to export its revocation list to gate devices).
  [[nodiscard]] const gate_verifier& verifier() const noexcept { return verifier_; }

private:
  gate_verifier verifier_;
  std::set<std::string, std::less<>> used_;
};

} // namespace seatgrab::domain
