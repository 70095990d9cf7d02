#include "security/encoding.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
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

std::optional<sha256_digest> hmac_sha256(std::string_view key, std::string_view data) {
  sha256_digest out{};
  unsigned int size = 0;
  if (HMAC(sha256_md(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(),
           &size) == nullptr ||
      size != out.size())
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
