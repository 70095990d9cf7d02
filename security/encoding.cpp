#include "security/encoding.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <algorithm>
#include <memory>

namespace seatgrab::security {

namespace {

bool is_b64url_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

/// SHA-256, fetched from the default provider once; never freed (it lives as long as the
/// process, like OpenSSL's own tables).
const EVP_MD* sha256_md() {
  static const EVP_MD* md = [] {
    auto* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    return fetched != nullptr ? fetched : EVP_sha256();
  }();
  return md;
}

} // namespace

std::string base64url_encode(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0'); // +1: EVP_EncodeBlock writes a NUL
  auto n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                           reinterpret_cast<const unsigned char*>(data.data()),
                           static_cast<int>(data.size()));
  out.resize(static_cast<size_t>(n));
  while (!out.empty() && out.back() == '=')
    out.pop_back();
  for (auto& c : out)
    c = c == '+' ? '-' : c == '/' ? '_' : c;
  return out;
}

std::optional<std::string> base64url_decode(std::string_view in) {
  if (in.size() % 4 == 1 || !std::all_of(in.begin(), in.end(), is_b64url_char))
    return std::nullopt;
  std::string padded{in};
  for (auto& c : padded)
    c = c == '-' ? '+' : c == '_' ? '/' : c;
  auto pad = (4 - padded.size() % 4) % 4;
  padded.append(pad, '=');
  std::string out(padded.size() / 4 * 3, '\0');
  auto n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                           reinterpret_cast<const unsigned char*>(padded.data()),
                           static_cast<int>(padded.size()));
  // EVP_DecodeBlock counts padding as zero bytes.
  if (n < 0 || static_cast<size_t>(n) != out.size())
    return std::nullopt;
  out.resize(out.size() - pad);
  if (base64url_encode(out) != in)
    return std::nullopt;
  return out;
}

std::string hex_encode(std::string_view data) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * data.size());
  for (unsigned char b : data) {
    out += digits[b >> 4];
    out += digits[b & 0xf];
  }
  return out;
}

sha256_digest sha256(std::string_view data) {
  // One context per thread, reused: creating one per digest allocates.
  thread_local std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx{EVP_MD_CTX_new(),
                                                                           &EVP_MD_CTX_free};
  sha256_digest out{};
  unsigned int size = 0;
  // These fail only when out of memory; a zero digest would then show in tests.
  if (ctx == nullptr || EVP_DigestInit_ex2(ctx.get(), sha256_md(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), out.data(), &size) != 1)
    out.fill(0);
  return out;
}

namespace {

using mac_ctx_ptr = std::unique_ptr<EVP_MAC_CTX, decltype(&EVP_MAC_CTX_free)>;

/// An HMAC context with SHA-256 set (fetching both once); null if OpenSSL fails.
mac_ctx_ptr make_hmac_ctx() {
  static EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr); // lives as long as the process
  mac_ctx_ptr ctx{mac != nullptr ? EVP_MAC_CTX_new(mac) : nullptr, &EVP_MAC_CTX_free};
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                         OSSL_PARAM_construct_end()};
  if (ctx && EVP_MAC_CTX_set_params(ctx.get(), params) != 1)
    ctx.reset();
  return ctx;
}

} // namespace

std::optional<sha256_digest> hmac_sha256(std::string_view key, std::string_view data) {
  // One context per thread, its digest set once and re-keyed per call: `HMAC()` goes through
  // `EVP_Q_mac`, which fetches the MAC and the digest on every call (~20,000 instructions).
  thread_local mac_ctx_ptr ctx = make_hmac_ctx();
  // A null key would mean "the previous key" to EVP_MAC_init: an empty key must be non-null.
  static const unsigned char no_key = 0;
  const auto* k = key.empty() ? &no_key : reinterpret_cast<const unsigned char*>(key.data());
  sha256_digest out{};
  size_t size = 0;
  if (!ctx || EVP_MAC_init(ctx.get(), k, key.size(), nullptr) != 1 ||
      EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(data.data()), data.size()) !=
          1 ||
      EVP_MAC_final(ctx.get(), out.data(), &size, out.size()) != 1 || size != out.size())
    return std::nullopt;
  return out;
}

std::string sha256_hex(std::string_view data) {
  auto digest = sha256(data);
  return hex_encode({reinterpret_cast<const char*>(digest.data()), digest.size()});
}

std::string random_hex(size_t n) {
  std::string bytes(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(n)) != 1)
    return {};
  return hex_encode(bytes);
}

} // namespace seatgrab::security
