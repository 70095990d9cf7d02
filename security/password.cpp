#include "security/password.hpp"

#include "messages/ec.hpp"
#include "security/encoding.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <optional>

namespace seatgrab::security {

namespace {

constexpr std::string_view scheme = "scrypt";

// Standard base64 with padding: 4 characters per started 3 bytes.
constexpr size_t encoded_size(size_t bytes) {
  return 4 * ((bytes + 2) / 3);
}

caf::error fail(ec code, std::string context) {
  return caf::make_error(code, std::move(context));
}

bool is_power_of_two(uint64_t x) {
  return x != 0 && (x & (x - 1)) == 0;
}

std::string base64_encode(const uint8_t* data, size_t size) {
  std::string out(encoded_size(size) + 1, '\0'); // +1: EVP_EncodeBlock writes a NUL
  auto n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
  out.resize(static_cast<size_t>(n));
  return out;
}

// Decodes exactly `size` bytes from canonical padded base64; anything else is nullopt, so a
// record has no look-alike twins and garbage never reaches the KDF.
template <size_t N>
std::optional<std::array<uint8_t, N>> base64_decode(std::string_view in) {
  if (in.size() != encoded_size(N))
    return std::nullopt;
  std::array<uint8_t, encoded_size(N) / 4 * 3> buf{};
  auto n = EVP_DecodeBlock(buf.data(), reinterpret_cast<const unsigned char*>(in.data()),
                           static_cast<int>(in.size()));
  // EVP_DecodeBlock counts padding as zero bytes.
  if (n < 0 || static_cast<size_t>(n) != buf.size())
    return std::nullopt;
  std::array<uint8_t, N> out;
  std::copy_n(buf.begin(), N, out.begin());
  // Also rejects whitespace EVP_DecodeBlock skips and non-zero bits in the last character.
  if (base64_encode(out.data(), out.size()) != in)
    return std::nullopt;
  return out;
}

// Plain decimal: digits only, no sign, no leading zero.
std::optional<uint64_t> parse_decimal(std::string_view in) {
  if (in.empty() || in.size() > 20 || (in.size() > 1 && in.front() == '0'))
    return std::nullopt;
  uint64_t x = 0;
  auto [ptr, err] = std::from_chars(in.data(), in.data() + in.size(), x);
  if (err != std::errc{} || ptr != in.data() + in.size())
    return std::nullopt;
  return x;
}

struct parsed_record {
  scrypt_params params;
  std::array<uint8_t, password_salt_size> salt;
  std::array<uint8_t, password_hash_size> hash;
};

std::optional<parsed_record> parse_record(std::string_view encoded) {
  std::array<std::string_view, 6> parts;
  for (size_t i = 0; i < parts.size(); ++i) {
    auto sep = encoded.find('$');
    if ((sep == std::string_view::npos) != (i == parts.size() - 1))
      return std::nullopt;
    parts[i] = encoded.substr(0, sep);
    encoded.remove_prefix(sep == std::string_view::npos ? encoded.size() : sep + 1);
  }
  if (parts[0] != scheme)
    return std::nullopt;
  auto n = parse_decimal(parts[1]);
  auto r = parse_decimal(parts[2]);
  auto p = parse_decimal(parts[3]);
  if (!n || !r || !p || *r > UINT32_MAX || *p > UINT32_MAX)
    return std::nullopt;
  parsed_record result;
  result.params = scrypt_params{*n, static_cast<uint32_t>(*r), static_cast<uint32_t>(*p)};
  if (!valid_params(result.params))
    return std::nullopt;
  auto salt = base64_decode<password_salt_size>(parts[4]);
  auto hash = base64_decode<password_hash_size>(parts[5]);
  if (!salt || !hash)
    return std::nullopt;
  result.salt = *salt;
  result.hash = *hash;
  return result;
}

// "scrypt$<N>$<r>$<p>$<base64(salt)>$<base64(hash)>"
std::string encode_record(const scrypt_params& params,
                          const std::array<uint8_t, password_salt_size>& salt,
                          const std::array<uint8_t, password_hash_size>& hash) {
  std::string result{scheme};
  for (auto x : {params.n, uint64_t{params.r}, uint64_t{params.p}}) {
    result += '$';
    result += std::to_string(x);
  }
  result += '$';
  result += base64_encode(salt.data(), salt.size());
  result += '$';
  result += base64_encode(hash.data(), hash.size());
  return result;
}

std::atomic<uint64_t> runs{0};

bool derive(std::string_view password, const scrypt_params& params, const uint8_t* salt,
            size_t salt_size, std::array<uint8_t, password_hash_size>& out) {
  // OpenSSL's default memory cap (32 MiB) is just below N = 2^15, r = 8, so pass the exact
  // need; valid_params has bounded it already.
  runs.fetch_add(1, std::memory_order_relaxed);
  uint64_t r = params.r;
  uint64_t maxmem = 128 * r * (params.n + 2) + 128 * r * params.p;
  return EVP_PBE_scrypt(password.data(), password.size(), salt, salt_size, params.n, r, params.p,
                        maxmem, out.data(), out.size()) == 1;
}

} // namespace

bool valid_params(const scrypt_params& params) noexcept {
  if (params.n < 2 || params.n > max_scrypt_n || !is_power_of_two(params.n) || params.r == 0 ||
      params.p == 0)
    return false;
  // Divisions instead of a product: r and p may be anything up to UINT32_MAX.
  return params.r <= max_scrypt_cost / params.n &&
         params.p <= max_scrypt_cost / params.n / params.r;
}

caf::error check_password_rules(std::string_view password) {
  if (password.size() < min_password_size)
    return fail(ec::invalid_argument, "password must have at least 8 bytes");
  if (password.size() > max_password_size)
    return fail(ec::invalid_argument, "password must have at most 128 bytes");
  return {};
}

caf::expected<std::string> hash_password(std::string_view password, const scrypt_params& params) {
  if (auto err = check_password_rules(password))
    return err;
  if (!valid_params(params))
    return fail(ec::invalid_argument, "invalid scrypt parameters");
  std::array<uint8_t, password_salt_size> salt;
  if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1)
    return fail(ec::unavailable, "random number generator failed");
  std::array<uint8_t, password_hash_size> hash;
  if (!derive(password, params, salt.data(), salt.size(), hash))
    return fail(ec::unavailable, "scrypt failed");
  auto result = encode_record(params, salt, hash);
  OPENSSL_cleanse(hash.data(), hash.size());
  return result;
}

bool is_password_hash(std::string_view encoded) {
  return parse_record(encoded).has_value();
}

bool verify_password(std::string_view password, std::string_view encoded) {
  if (check_password_rules(password))
    return false; // could never have been hashed; also bounds the work
  auto record = parse_record(encoded);
  if (!record)
    return false;
  std::array<uint8_t, password_hash_size> hash;
  if (!derive(password, record->params, record->salt.data(), record->salt.size(), hash))
    return false;
  auto equal = CRYPTO_memcmp(hash.data(), record->hash.data(), hash.size()) == 0;
  OPENSSL_cleanse(hash.data(), hash.size());
  return equal;
}

std::string dummy_password_hash(const scrypt_params& params) {
  if (!valid_params(params))
    return {};
  std::array<uint8_t, password_salt_size> salt{};
  std::array<uint8_t, password_hash_size> hash{};
  return encode_record(params, salt, hash);
}

std::optional<scrypt_params> params_of(std::string_view encoded) {
  auto record = parse_record(encoded);
  if (!record)
    return std::nullopt;
  return record->params;
}

uint64_t scrypt_runs() noexcept {
  return runs.load(std::memory_order_relaxed);
}

std::string new_session_token() {
  std::array<uint8_t, 32> bytes;
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
    return {};
  auto result =
      base64url_encode(std::string_view{reinterpret_cast<const char*>(bytes.data()), bytes.size()});
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return result;
}

std::string token_digest(std::string_view token) {
  std::array<uint8_t, EVP_MAX_MD_SIZE> md;
  unsigned int size = 0;
  if (EVP_Digest(token.data(), token.size(), md.data(), &size, EVP_sha256(), nullptr) != 1)
    return {};
  return hex_encode({reinterpret_cast<const char*>(md.data()), size});
}

} // namespace seatgrab::security
