#include "security/encoding.hpp"

#include <doctest/doctest.h>

#include <string>
#include <thread>
#include <vector>

namespace sec = seatgrab::security;

namespace {

std::string hex(const sec::sha256_digest& d) {
  return sec::hex_encode({reinterpret_cast<const char*>(d.data()), d.size()});
}

} // namespace

TEST_CASE("SHA-256 gives the published answers, however often and on any thread") {
  // FIPS 180-2, appendix B.1 and the empty message.
  const std::string abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  CHECK(hex(sec::sha256("abc")) == abc);
  CHECK(sec::sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  // The context is reused: a digest does not carry over into the next.
  CHECK(hex(sec::sha256("abc")) == abc);
  std::vector<std::string> seen(4);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < seen.size(); ++i)
    threads.emplace_back([&seen, i] { seen[i] = hex(sec::sha256("abc")); });
  for (auto& t : threads)
    t.join();
  for (const auto& s : seen)
    CHECK(s == abc);
}

TEST_CASE("HMAC-SHA256 gives the answers of RFC 4231") {
  // Test case 2: a key shorter than the block.
  auto mac = sec::hmac_sha256("Jefe", "what do ya want for nothing?");
  REQUIRE(mac);
  CHECK(hex(*mac) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Test case 6: a key longer than the block is hashed first.
  auto long_mac = sec::hmac_sha256(std::string(131, '\xaa'),
                                   "Test Using Larger Than Block-Size Key - Hash Key First");
  REQUIRE(long_mac);
  CHECK(hex(*long_mac) == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST_CASE("HMAC-SHA256 is keyed afresh on every call, on any thread") {
  // The per-thread context is re-keyed each time: an empty key is the empty key, not the one
  // before it (a null key would mean "keep the last" to OpenSSL).
  const std::string jefe = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
  const std::string empty = "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad";
  REQUIRE(sec::hmac_sha256("Jefe", "what do ya want for nothing?"));
  auto none = sec::hmac_sha256("", "");
  REQUIRE(none);
  CHECK(hex(*none) == empty);
  auto again = sec::hmac_sha256("Jefe", "what do ya want for nothing?");
  REQUIRE(again);
  CHECK(hex(*again) == jefe);
  std::vector<std::string> seen(4);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < seen.size(); ++i)
    threads.emplace_back([&seen, i] {
      auto mac = sec::hmac_sha256(i % 2 == 0 ? "Jefe" : "",
                                  i % 2 == 0 ? "what do ya want for nothing?" : "");
      seen[i] = mac ? hex(*mac) : "";
    });
  for (auto& t : threads)
    t.join();
  for (size_t i = 0; i < seen.size(); ++i)
    CHECK(seen[i] == (i % 2 == 0 ? jefe : empty));
}
