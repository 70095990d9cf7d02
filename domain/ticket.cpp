#include "domain/ticket.hpp"

#include "domain/detail.hpp"
#include "messages/ec.hpp"
#include "security/encoding.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>

namespace seatgrab::domain {

using security::base64url_decode;
using security::base64url_encode;

namespace {

using namespace detail;

constexpr std::string_view code_prefix = "T1.";

// Separates the per-ticket secret derivation from any other use of the event rotation key.
constexpr std::string_view secret_label = "seatgrab ticket rotation v1";

// -- big-endian integers ------------------------------------------------------------------------

template <class T>
void put_int(std::string& out, T x) {
  auto u = static_cast<uint64_t>(x);
  for (int shift = static_cast<int>(sizeof(T) * 8) - 8; shift >= 0; shift -= 8)
    out += static_cast<char>((u >> shift) & 0xff);
}

// Consumes sizeof(T) bytes from the front of `in`.
template <class T>
std::optional<T> take_int(std::string_view& in) {
  if (in.size() < sizeof(T))
    return std::nullopt;
  uint64_t x = 0;
  for (size_t i = 0; i < sizeof(T); ++i)
    x = x << 8 | static_cast<uint8_t>(in[i]);
  in.remove_prefix(sizeof(T));
  return static_cast<T>(x);
}

void put_field(std::string& out, std::string_view field) {
  field = field.substr(0, UINT16_MAX);
  put_int(out, static_cast<uint16_t>(field.size()));
  out += field;
}

// -- HMAC-SHA256 --------------------------------------------------------------------------------

bool hmac_sha256(const uint8_t* key, size_t key_size, std::string_view data,
                 std::array<uint8_t, 32>& out) {
  auto mac = security::hmac_sha256({reinterpret_cast<const char*>(key), key_size}, data);
  if (mac)
    out = *mac;
  return mac.has_value();
}

bool valid_ticket_id(std::string_view id) {
  return !id.empty() && id.size() <= ticket_payload::max_field_size;
}

// floor(now / step), also for times before the epoch.
int64_t step_of(int64_t now_ms) {
  auto q = now_ms / rotation_key::step_ms;
  return (now_ms % rotation_key::step_ms < 0) ? q - 1 : q;
}

std::string totp_at_step(const ticket_secret& secret, std::string_view ticket_id, uint32_t version,
                         int64_t step, bool& ok) {
  std::string msg;
  put_field(msg, ticket_id);
  put_int(msg, version);
  put_int(msg, static_cast<uint64_t>(step));
  std::array<uint8_t, 32> mac;
  ok = hmac_sha256(secret.data(), secret.size(), msg, mac);
  // RFC 4226 dynamic truncation: 31 bits at an offset chosen by the last nibble.
  auto offset = mac.back() & 0x0f;
  uint32_t bin = (static_cast<uint32_t>(mac[offset] & 0x7f) << 24) |
                 (static_cast<uint32_t>(mac[offset + 1]) << 16) |
                 (static_cast<uint32_t>(mac[offset + 2]) << 8) | mac[offset + 3];
  auto value = bin % 1'000'000;
  std::string out(rotation_key::digits, '0');
  for (size_t i = out.size(); i-- > 0; value /= 10)
    out[i] = static_cast<char>('0' + value % 10);
  return out;
}

// Splits at '.'; nullopt when there are more than `max_parts` parts.
std::optional<std::vector<std::string_view>> split(std::string_view text, size_t max_parts) {
  std::vector<std::string_view> parts;
  for (;;) {
    if (parts.size() == max_parts)
      return std::nullopt;
    auto dot = text.find('.');
    parts.push_back(text.substr(0, dot));
    if (dot == std::string_view::npos)
      return parts;
    text.remove_prefix(dot + 1);
  }
}

} // namespace

// -- scan_result --------------------------------------------------------------------------------

std::string_view to_string(scan_result x) noexcept {
  switch (x) {
  case scan_result::valid:
    return "valid";
  case scan_result::already_used:
    return "already_used";
  case scan_result::revoked:
    return "revoked";
  case scan_result::invalid:
    return "invalid";
  }
  return "invalid";
}

// -- ticket_payload -----------------------------------------------------------------------------

std::string ticket_payload::encode() const {
  std::string out;
  out.reserve(4 * 2 + ticket_id.size() + event_id.size() + seat_id.size() + owner.size() + 12);
  for (const auto* field : {&ticket_id, &event_id, &seat_id, &owner})
    put_field(out, *field);
  put_int(out, version);
  put_int(out, issued_at_ms);
  return out;
}

caf::expected<ticket_payload> ticket_payload::decode(std::string_view bytes) {
  auto bad = [](std::string context) { return fail(ec::invalid_input, std::move(context)); };
  ticket_payload result;
  for (auto* field : {&result.ticket_id, &result.event_id, &result.seat_id, &result.owner}) {
    auto len = take_int<uint16_t>(bytes);
    if (!len || bytes.size() < *len)
      return bad("truncated ticket payload");
    if (*len > max_field_size)
      return bad("oversized field in ticket payload");
    field->assign(bytes.substr(0, *len));
    bytes.remove_prefix(*len);
  }
  auto version = take_int<uint32_t>(bytes);
  auto issued_at = take_int<int64_t>(bytes);
  if (!version || !issued_at)
    return bad("truncated ticket payload");
  if (!bytes.empty())
    return bad("trailing bytes after ticket payload");
  if (result.ticket_id.empty() || result.event_id.empty() || result.owner.empty())
    return bad("ticket payload lacks ticket, event or owner id");
  if (*version == 0)
    return bad("ticket payload has version 0");
  result.version = *version;
  result.issued_at_ms = *issued_at;
  return result;
}

ticket_payload transferred(const ticket_payload& old, std::string new_owner, int64_t now_ms) {
  auto result = old;
  result.owner = std::move(new_owner);
  result.version = old.version + 1;
  result.issued_at_ms = now_ms;
  return result;
}

// -- rotating codes -----------------------------------------------------------------------------

rotation_key::~rotation_key() {
  OPENSSL_cleanse(key_.data(), key_.size());
}

caf::expected<rotation_key> rotation_key::from_bytes(std::vector<uint8_t> bytes) {
  if (bytes.size() < min_size) {
    OPENSSL_cleanse(bytes.data(), bytes.size());
    return fail(ec::invalid_argument, "rotation key shorter than 32 bytes");
  }
  return rotation_key{std::move(bytes)};
}

caf::expected<rotation_key> rotation_key::generate() {
  std::vector<uint8_t> bytes(min_size);
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
    return fail(ec::invalid_argument, "RAND_bytes failed");
  return rotation_key{std::move(bytes)};
}

caf::expected<ticket_secret> rotation_key::derive(std::string_view ticket_id,
                                                  uint32_t version) const {
  if (!valid_ticket_id(ticket_id))
    return fail(ec::invalid_argument, "rotation needs a ticket id of 1..128 bytes");
  std::string msg{secret_label};
  put_field(msg, ticket_id);
  put_int(msg, version);
  ticket_secret out;
  if (!hmac_sha256(key_.data(), key_.size(), msg, out))
    return fail(ec::invalid_argument, "HMAC-SHA256 failed");
  return out;
}

caf::expected<std::string> rotating_code(const ticket_secret& secret, std::string_view ticket_id,
                                         uint32_t version, int64_t now_ms) {
  if (!valid_ticket_id(ticket_id))
    return fail(ec::invalid_argument, "rotation needs a ticket id of 1..128 bytes");
  bool ok = false;
  auto code = totp_at_step(secret, ticket_id, version, step_of(now_ms), ok);
  if (!ok)
    return fail(ec::invalid_argument, "HMAC-SHA256 failed");
  return code;
}

// -- codes --------------------------------------------------------------------------------------

caf::expected<std::string> make_code(const security::ed25519_key& key, const ticket_payload& ticket,
                                     const rotation_key* rotation, int64_t now_ms) {
  if (ticket.ticket_id.empty() || ticket.event_id.empty() || ticket.owner.empty())
    return fail(ec::invalid_argument, "a ticket needs ticket, event and owner ids");
  for (const auto* field : {&ticket.ticket_id, &ticket.event_id, &ticket.seat_id, &ticket.owner})
    if (field->size() > ticket_payload::max_field_size)
      return fail(ec::invalid_argument, "ticket field longer than 128 bytes");
  if (ticket.version == 0)
    return fail(ec::invalid_argument, "ticket versions start at 1");
  std::string code{code_prefix};
  code += base64url_encode(ticket.encode());
  auto sig = key.sign(code);
  if (!sig)
    return std::move(sig.error());
  code += '.';
  code += base64url_encode(*sig);
  if (rotation != nullptr) {
    auto secret = rotation->derive(ticket.ticket_id, ticket.version);
    if (!secret)
      return std::move(secret.error());
    auto totp = rotating_code(*secret, ticket.ticket_id, ticket.version, now_ms);
    OPENSSL_cleanse(secret->data(), secret->size());
    if (!totp)
      return std::move(totp.error());
    code += '.';
    code += *totp;
  }
  // 4 fields of 128 bytes keep the code near 900 chars, so this is a safety net.
  if (code.size() > max_code_size)
    return fail(ec::invalid_argument, "ticket code would exceed 1024 chars");
  return code;
}

// -- gate_verifier ------------------------------------------------------------------------------

gate_verifier::gate_verifier(std::string event_id, const security::ed25519_bytes& public_key,
                             std::optional<rotation_key> rotation)
    : event_id_(std::move(event_id)), public_key_(public_key), rotation_(std::move(rotation)) {
  // nop
}

void gate_verifier::revoke(std::string ticket_id, uint32_t up_to_version) {
  auto [i, added] = revoked_.try_emplace(std::move(ticket_id), up_to_version);
  if (!added)
    i->second = std::max(i->second, up_to_version);
}

uint32_t gate_verifier::revoked_up_to(std::string_view ticket_id) const noexcept {
  auto i = revoked_.find(ticket_id);
  return i == revoked_.end() ? 0 : i->second;
}

scan_result gate_verifier::check(std::string_view code, int64_t now_ms,
                                 ticket_payload* ticket) const {
  if (code.size() > max_code_size || !code.starts_with(code_prefix))
    return scan_result::invalid;
  // payload, signature and, when the event rotates codes, the rotating code.
  auto parts = split(code.substr(code_prefix.size()), 3);
  if (!parts || parts->size() != (rotation_ ? 3u : 2u))
    return scan_result::invalid;
  auto payload_b64 = (*parts)[0];
  auto sig = base64url_decode((*parts)[1]);
  if (!sig || sig->size() != security::ed25519_signature_size)
    return scan_result::invalid;
  auto signed_part = code.substr(0, code_prefix.size() + payload_b64.size());
  if (!security::ed25519_verify(public_key_, signed_part, *sig))
    return scan_result::invalid;
  // Signed by the event's key, so a payload that does not parse means a bug or a leaked key.
  auto payload_bytes = base64url_decode(payload_b64);
  if (!payload_bytes)
    return scan_result::invalid;
  auto payload = ticket_payload::decode(*payload_bytes);
  if (!payload || payload->event_id != event_id_)
    return scan_result::invalid;
  if (rotation_) {
    auto given = (*parts)[2];
    auto secret = rotation_->derive(payload->ticket_id, payload->version);
    if (!secret || given.size() != rotation_key::digits)
      return scan_result::invalid;
    // Current step or the one before: the phone's clock may lag the gate's a little.
    auto step = step_of(now_ms);
    bool matched = false;
    for (auto s : {step, step - 1}) {
      bool ok = false;
      auto expected = totp_at_step(*secret, payload->ticket_id, payload->version, s, ok);
      matched |= ok && CRYPTO_memcmp(expected.data(), given.data(), expected.size()) == 0;
    }
    OPENSSL_cleanse(secret->data(), secret->size());
    if (!matched)
      return scan_result::invalid;
  }
  auto result = payload->version <= revoked_up_to(payload->ticket_id) ? scan_result::revoked
                                                                      : scan_result::valid;
  if (ticket != nullptr)
    *ticket = std::move(*payload);
  return result;
}

caf::expected<ticket_payload> peek_code(std::string_view code) {
  if (code.size() > max_code_size || !code.starts_with(code_prefix))
    return fail(ec::invalid_input, "not a ticket code");
  auto rest = code.substr(code_prefix.size());
  auto dot = rest.find('.');
  if (dot == std::string_view::npos)
    return fail(ec::invalid_input, "not a ticket code");
  auto bytes = base64url_decode(rest.substr(0, dot));
  if (!bytes)
    return fail(ec::invalid_input, "ticket code payload is not base64url");
  return ticket_payload::decode(*bytes);
}

// -- gate_ledger --------------------------------------------------------------------------------

scan_result gate_ledger::scan(std::string_view code, int64_t now_ms, ticket_payload* ticket) {
  ticket_payload payload;
  auto result = verifier_.check(code, now_ms, &payload);
  if (result == scan_result::valid && !used_.insert(payload.ticket_id).second)
    result = scan_result::already_used;
  if (ticket != nullptr && result != scan_result::invalid)
    *ticket = std::move(payload);
  return result;
}

} // namespace seatgrab::domain
