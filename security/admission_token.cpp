#include "security/admission_token.hpp"

#include "messages/ec.hpp"
#include "security/encoding.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <optional>

namespace seatgrab::security {

namespace {

constexpr std::string_view version_prefix = "v1";

constexpr size_t mac_size = 32; // SHA-256

using mac_bytes = std::array<uint8_t, mac_size>;

caf::error fail(ec code, std::string context) {
  return caf::make_error(code, std::move(context));
}

caf::error invalid(std::string context) {
  return fail(ec::admission_invalid, std::move(context));
}

bool is_id_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

// Key ids sit between dots in the token, so the alphabet must exclude '.'.
bool well_formed_id(std::string_view id) {
  return !id.empty() && id.size() <= key_ring::max_id_size &&
         std::all_of(id.begin(), id.end(), is_id_char);
}

// -- payload: u16 length + bytes for event, account, device; then i64 expiry; then the u64
// price version when it is not 0 (so tokens of events without dynamic prices keep their
// format); big endian ---------------------------------------------------------------------------

void put_u16(std::string& out, size_t x) {
  out += static_cast<char>((x >> 8) & 0xff);
  out += static_cast<char>(x & 0xff);
}

std::string encode_payload(const admission_claims& claims) {
  std::string out;
  for (const auto* field : {&claims.event, &claims.account, &claims.device}) {
    put_u16(out, field->size());
    out += *field;
  }
  auto put_u64 = [&](uint64_t x) {
    for (int shift = 56; shift >= 0; shift -= 8)
      out += static_cast<char>((x >> shift) & 0xff);
  };
  put_u64(static_cast<uint64_t>(claims.expires_at_ms));
  if (claims.price_version != 0)
    put_u64(claims.price_version);
  return out;
}

std::optional<admission_claims> decode_payload(std::string_view in) {
  auto byte = [&](size_t i) { return static_cast<uint64_t>(static_cast<uint8_t>(in[i])); };
  admission_claims result;
  for (auto* field : {&result.event, &result.account, &result.device}) {
    if (in.size() < 2)
      return std::nullopt;
    auto len = static_cast<size_t>(byte(0) << 8 | byte(1));
    in.remove_prefix(2);
    if (len == 0 || in.size() < len)
      return std::nullopt;
    field->assign(in.substr(0, len));
    in.remove_prefix(len);
  }
  if (in.size() != 8 && in.size() != 16) // exactly: no trailing bytes
    return std::nullopt;
  auto u64 = [&](size_t at) {
    uint64_t x = 0;
    for (size_t i = at; i < at + 8; ++i)
      x = x << 8 | byte(i);
    return x;
  };
  result.expires_at_ms = static_cast<int64_t>(u64(0));
  if (in.size() == 16) {
    result.price_version = u64(8);
    if (result.price_version == 0) // one encoding per claims: 0 is written as nothing
      return std::nullopt;
  }
  return result;
}

// -- HMAC-SHA256 --------------------------------------------------------------------------------

bool hmac_sha256(const std::vector<uint8_t>& key, std::string_view data, mac_bytes& out) {
  auto mac = security::hmac_sha256({reinterpret_cast<const char*>(key.data()), key.size()}, data);
  if (!mac)
    return false;
  static_assert(std::tuple_size_v<mac_bytes> == std::tuple_size_v<sha256_digest>);
  std::copy(mac->begin(), mac->end(), out.begin());
  return true;
}

// Splits at '.'; fails unless there are exactly four parts.
std::optional<std::array<std::string_view, 4>> split_token(std::string_view token) {
  std::array<std::string_view, 4> parts;
  for (size_t i = 0; i < parts.size(); ++i) {
    auto dot = token.find('.');
    if ((dot == std::string_view::npos) != (i == parts.size() - 1))
      return std::nullopt;
    parts[i] = token.substr(0, dot);
    token.remove_prefix(dot == std::string_view::npos ? token.size() : dot + 1);
  }
  return parts;
}

} // namespace

// -- key_ring -----------------------------------------------------------------------------------

key_ring::~key_ring() {
  for (auto& key : keys_)
    OPENSSL_cleanse(key.secret.data(), key.secret.size());
}

caf::error key_ring::add(std::string id, std::vector<uint8_t> secret) {
  if (!well_formed_id(id))
    return fail(ec::invalid_argument, "key id must be 1..16 chars [A-Za-z0-9_-]");
  if (secret.size() < min_secret_size)
    return fail(ec::invalid_argument, "key '" + id + "': secret shorter than 32 bytes");
  if (find(id) != nullptr)
    return fail(ec::already_exists, "key '" + id + "' is already in the ring");
  keys_.push_back(entry{std::move(id), std::move(secret)});
  return {};
}

void key_ring::retire(std::string_view id) {
  auto i = std::find_if(keys_.begin(), keys_.end(), [&](const entry& x) { return x.id == id; });
  if (i == keys_.end())
    return;
  OPENSSL_cleanse(i->secret.data(), i->secret.size());
  keys_.erase(i); // keeps the order, so the newest remaining key signs
}

std::vector<uint8_t> key_ring::random_secret() {
  std::vector<uint8_t> result(min_secret_size);
  if (RAND_bytes(result.data(), static_cast<int>(result.size())) != 1)
    result.clear();
  return result;
}

std::string_view key_ring::signing_id() const noexcept {
  return keys_.empty() ? std::string_view{} : std::string_view{keys_.back().id};
}

bool key_ring::contains(std::string_view id) const noexcept {
  return find(id) != nullptr;
}

const key_ring::entry* key_ring::find(std::string_view id) const noexcept {
  for (const auto& key : keys_)
    if (key.id == id)
      return &key;
  return nullptr;
}

// -- tokens -------------------------------------------------------------------------------------

caf::expected<std::string> issue(const key_ring& keys, const admission_claims& claims) {
  if (keys.empty())
    return fail(ec::invalid_argument, "no signing key in the ring");
  if (claims.event.empty() || claims.account.empty() || claims.device.empty())
    return fail(ec::invalid_argument, "admission claims need event, account and device");
  if (claims.expires_at_ms <= 0)
    return fail(ec::invalid_argument, "admission claims need a positive expiry");
  // Bounding the fields first keeps the u16 length prefixes from overflowing.
  if (claims.event.size() + claims.account.size() + claims.device.size() > max_token_size)
    return fail(ec::invalid_argument, "admission token would exceed 1024 chars");
  const auto& key = keys.keys_.back();
  std::string token{version_prefix};
  token += '.';
  token += key.id;
  token += '.';
  token += base64url_encode(encode_payload(claims));
  mac_bytes mac;
  if (!hmac_sha256(key.secret, token, mac))
    return fail(ec::invalid_argument, "HMAC-SHA256 failed");
  token += '.';
  token +=
      base64url_encode(std::string_view{reinterpret_cast<const char*>(mac.data()), mac.size()});
  if (token.size() > max_token_size)
    return fail(ec::invalid_argument, "admission token would exceed 1024 chars");
  return token;
}

caf::expected<admission_claims> verify(const key_ring& keys, std::string_view token,
                                       std::string_view event, std::string_view account,
                                       std::string_view device, int64_t now_ms) {
  // Contexts stay generic: they end up in responses, and must not help forging.
  if (token.size() > max_token_size)
    return invalid("token too long");
  auto parts = split_token(token);
  if (!parts)
    return invalid("token must have four dot-separated parts");
  const auto& [version, key_id, payload_b64, mac_b64] = *parts;
  if (version != version_prefix)
    return invalid("unsupported token version");
  const auto* key = keys.find(key_id);
  if (key == nullptr)
    return invalid("unknown signing key");
  auto given_mac = base64url_decode(mac_b64);
  if (!given_mac || given_mac->size() != mac_size)
    return invalid("malformed signature");
  mac_bytes mac;
  // The MAC covers everything before the last dot.
  if (!hmac_sha256(key->secret, token.substr(0, token.size() - mac_b64.size() - 1), mac))
    return invalid("HMAC-SHA256 failed");
  if (CRYPTO_memcmp(mac.data(), given_mac->data(), mac_size) != 0)
    return invalid("bad signature");
  // Signed by us, so a payload that does not parse means a bug or a leaked key; reject anyway.
  auto payload = base64url_decode(payload_b64);
  auto claims = payload ? decode_payload(*payload) : std::nullopt;
  if (!claims)
    return invalid("malformed payload");
  if (now_ms >= claims->expires_at_ms)
    return fail(ec::admission_expired, "admission token expired");
  if (claims->event != event)
    return fail(ec::admission_mismatch, "admission token is for another event");
  if (claims->account != account)
    return fail(ec::admission_mismatch, "admission token is for another account");
  if (claims->device != device)
    return fail(ec::admission_mismatch, "admission token is for another device");
  return std::move(*claims);
}

} // namespace seatgrab::security
