// Tests of Ed25519 ticket signatures: round trip, bit flips, wrong keys, key export/import and
// the RFC 8032 test vector.
#include "security/ticket_signature.hpp"

#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

using namespace seatgrab::security;

namespace {

std::vector<uint8_t> from_hex(std::string_view hex) {
  auto nibble = [](char c) { return static_cast<uint8_t>(c <= '9' ? c - '0' : c - 'a' + 10); };
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<uint8_t>(nibble(hex[i]) << 4 | nibble(hex[i + 1])));
  return out;
}

std::string as_string(const std::vector<uint8_t>& bytes) {
  return {bytes.begin(), bytes.end()};
}

ed25519_key new_key() {
  auto key = ed25519_key::generate();
  REQUIRE(key);
  return *key;
}

std::string signed_by(const ed25519_key& key, std::string_view msg) {
  auto sig = key.sign(msg);
  REQUIRE(sig);
  return *sig;
}

} // namespace

TEST_CASE("ed25519: sign and verify round trip") {
  auto key = new_key();
  std::string msg = "T1.ticket payload";
  auto sig = signed_by(key, msg);
  CHECK(sig.size() == ed25519_signature_size);
  CHECK(ed25519_verify(key.public_bytes(), msg, sig));
  // Deterministic (RFC 8032): the same message gives the same signature.
  CHECK(signed_by(key, msg) == sig);
  // The string_view overload agrees.
  const auto& pub = key.public_bytes();
  CHECK(ed25519_verify(std::string_view{reinterpret_cast<const char*>(pub.data()), pub.size()}, msg,
                       sig));
}

TEST_CASE("ed25519: a flipped bit in message or signature fails") {
  auto key = new_key();
  std::string msg = "seat A-12, event 42";
  auto sig = signed_by(key, msg);
  REQUIRE(ed25519_verify(key.public_bytes(), msg, sig));
  for (size_t i = 0; i < msg.size(); ++i) {
    auto bad = msg;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    CHECK_FALSE(ed25519_verify(key.public_bytes(), bad, sig));
  }
  for (size_t i = 0; i < sig.size(); ++i) {
    auto bad = sig;
    bad[i] = static_cast<char>(bad[i] ^ (1 << (i % 8)));
    CHECK_FALSE(ed25519_verify(key.public_bytes(), msg, bad));
  }
  CHECK_FALSE(ed25519_verify(key.public_bytes(), msg + "x", sig));
  CHECK_FALSE(ed25519_verify(key.public_bytes(), msg, sig.substr(0, 63)));
  CHECK_FALSE(ed25519_verify(key.public_bytes(), msg, sig + '\0'));
  CHECK_FALSE(ed25519_verify(key.public_bytes(), msg, ""));
}

TEST_CASE("ed25519: another key fails") {
  auto key = new_key();
  auto other = new_key();
  REQUIRE(key.public_bytes() != other.public_bytes());
  auto sig = signed_by(key, "hello");
  CHECK_FALSE(ed25519_verify(other.public_bytes(), "hello", sig));
  CHECK_FALSE(ed25519_verify(std::string_view{"short"}, "hello", sig));
  CHECK_FALSE(ed25519_verify(std::string(32, '\0'), "hello", sig));
}

TEST_CASE("ed25519: private bytes round trip to the same key") {
  auto key = new_key();
  auto priv = key.private_bytes();
  auto copy = ed25519_key::from_private_bytes(priv);
  REQUIRE(copy);
  CHECK(copy->public_bytes() == key.public_bytes());
  CHECK(copy->private_bytes() == priv);
  CHECK(signed_by(*copy, "m") == signed_by(key, "m"));
  std::array<uint8_t, 31> short_key{};
  CHECK_FALSE(ed25519_key::from_private_bytes(short_key));
  std::array<uint8_t, 33> long_key{};
  CHECK_FALSE(ed25519_key::from_private_bytes(long_key));
}

TEST_CASE("ed25519: RFC 8032 test 1 (empty message)") {
  auto secret = from_hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
  auto pub = from_hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  auto sig = from_hex("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590"
                      "a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
  REQUIRE(secret.size() == 32);
  REQUIRE(pub.size() == 32);
  REQUIRE(sig.size() == 64);
  auto key = ed25519_key::from_private_bytes(secret);
  REQUIRE(key);
  CHECK(std::vector<uint8_t>(key->public_bytes().begin(), key->public_bytes().end()) == pub);
  CHECK(signed_by(*key, "") == as_string(sig));
  CHECK(ed25519_verify(as_string(pub), "", as_string(sig)));
  CHECK_FALSE(ed25519_verify(as_string(pub), "x", as_string(sig)));
}
