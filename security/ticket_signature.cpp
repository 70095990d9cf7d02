#include "security/ticket_signature.hpp"

#include "messages/ec.hpp"

#include <openssl/evp.h>

#include <utility>

namespace seatgrab::security {

namespace {

struct md_ctx_deleter {
  void operator()(EVP_MD_CTX* ctx) const noexcept { EVP_MD_CTX_free(ctx); }
};

using md_ctx_ptr = std::unique_ptr<EVP_MD_CTX, md_ctx_deleter>;

struct pkey_free {
  void operator()(EVP_PKEY* key) const noexcept { EVP_PKEY_free(key); }
};

using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_free>;

caf::error fail(std::string context) {
  return caf::make_error(ec::invalid_argument, std::move(context));
}

bool raw_public_key(const EVP_PKEY* key, ed25519_bytes& out) {
  size_t size = out.size();
  return EVP_PKEY_get_raw_public_key(key, out.data(), &size) == 1 && size == out.size();
}

} // namespace

void ed25519_key::pkey_deleter::operator()(evp_pkey_st* key) const noexcept {
  EVP_PKEY_free(key);
}

caf::expected<ed25519_key> ed25519_key::generate() {
  std::shared_ptr<EVP_PKEY> key{EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"), pkey_deleter{}};
  ed25519_bytes pub;
  if (key == nullptr || !raw_public_key(key.get(), pub))
    return fail("Ed25519 key generation failed");
  return ed25519_key{std::move(key), pub};
}

caf::expected<ed25519_key> ed25519_key::from_private_bytes(std::span<const uint8_t> bytes) {
  if (bytes.size() != ed25519_key_size)
    return fail("an Ed25519 private key has 32 bytes");
  std::shared_ptr<EVP_PKEY> key{
      EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, bytes.data(), bytes.size()),
      pkey_deleter{}};
  ed25519_bytes pub;
  if (key == nullptr || !raw_public_key(key.get(), pub))
    return fail("cannot load the Ed25519 private key");
  return ed25519_key{std::move(key), pub};
}

ed25519_bytes ed25519_key::private_bytes() const {
  ed25519_bytes out{};
  size_t size = out.size();
  // Cannot fail for a key we loaded or generated as Ed25519; zeros would not match public_.
  if (EVP_PKEY_get_raw_private_key(key_.get(), out.data(), &size) != 1 || size != out.size())
    out.fill(0);
  return out;
}

caf::expected<std::string> ed25519_key::sign(std::string_view msg) const {
  md_ctx_ptr ctx{EVP_MD_CTX_new()};
  std::string sig(ed25519_signature_size, '\0');
  size_t size = sig.size();
  // Ed25519 hashes internally: no digest, and only the one-shot EVP_DigestSign works.
  if (ctx == nullptr || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &size,
                     reinterpret_cast<const unsigned char*>(msg.data()), msg.size()) != 1 ||
      size != sig.size())
    return fail("Ed25519 signing failed");
  return sig;
}

bool ed25519_verify(std::span<const uint8_t, ed25519_key_size> pub, std::string_view msg,
                    std::string_view sig) {
  if (sig.size() != ed25519_signature_size)
    return false;
  pkey_ptr key{EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, pub.data(), pub.size())};
  md_ctx_ptr ctx{EVP_MD_CTX_new()};
  return key != nullptr && ctx != nullptr &&
         EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) == 1 &&
         EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                          reinterpret_cast<const unsigned char*>(msg.data()), msg.size()) == 1;
}

bool ed25519_verify(std::string_view pub, std::string_view msg, std::string_view sig) {
  if (pub.size() != ed25519_key_size)
    return false;
  return ed25519_verify(
      std::span<const uint8_t, ed25519_key_size>{reinterpret_cast<const uint8_t*>(pub.data()),
                                                 ed25519_key_size},
      msg, sig);
}

} // namespace seatgrab::security
