// Tests of password hashing (scrypt records), the password rules, malformed records and
// session tokens.
#include "messages/ec.hpp"
#include "security/password.hpp"

#include <doctest/doctest.h>

#include <set>
#include <string>
#include <string_view>
#include <vector>

using seatgrab::ec;
using namespace seatgrab::security;

namespace {

// N = 2^10 keeps each hash around a millisecond.
const scrypt_params fast{uint64_t{1} << 10, 8, 1};

ec code_of(const caf::error& err) {
  REQUIRE(err.category() == caf::atom("seatgrab"));
  return static_cast<ec>(err.code());
}

std::string hashed(std::string_view pw) {
  auto result = hash_password(pw, fast);
  REQUIRE(result);
  return *result;
}

// The six '$'-separated fields of a record.
std::vector<std::string> fields_of(const std::string& encoded) {
  std::vector<std::string> result{""};
  for (auto c : encoded)
    if (c == '$')
      result.emplace_back();
    else
      result.back() += c;
  return result;
}

std::string join(const std::vector<std::string>& fields) {
  std::string result;
  for (size_t i = 0; i < fields.size(); ++i)
    result += (i == 0 ? "" : "$") + fields[i];
  return result;
}

} // namespace

TEST_CASE("a hashed password verifies, a wrong one does not") {
  auto rec = hashed("correct horse battery");
  CHECK(verify_password("correct horse battery", rec));
  CHECK(is_password_hash(rec));
  CHECK_FALSE(verify_password("correct horse batterz", rec));
  CHECK_FALSE(verify_password("Correct horse battery", rec));
  CHECK_FALSE(verify_password("correct horse battery ", rec));
}

TEST_CASE("the record is scrypt$N$r$p$salt$hash with 16-byte salt and 32-byte hash") {
  auto f = fields_of(hashed("password123"));
  REQUIRE(f.size() == 6);
  CHECK(f[0] == "scrypt");
  CHECK(f[1] == "1024");
  CHECK(f[2] == "8");
  CHECK(f[3] == "1");
  CHECK(f[4].size() == 24); // base64 of 16 bytes
  CHECK(f[5].size() == 44); // base64 of 32 bytes
}

TEST_CASE("default parameters are N=2^15, r=8, p=1 and work with OpenSSL's memory cap") {
  CHECK(scrypt_params{} == scrypt_params{32768, 8, 1});
  auto rec = hash_password("password123");
  REQUIRE(rec);
  CHECK(rec->rfind("scrypt$32768$8$1$", 0) == 0);
  CHECK(verify_password("password123", *rec));
}

TEST_CASE("two hashes of the same password differ by their salt") {
  auto x = hashed("same password");
  auto y = hashed("same password");
  CHECK(x != y);
  CHECK(fields_of(x)[4] != fields_of(y)[4]);
  CHECK(verify_password("same password", x));
  CHECK(verify_password("same password", y));
}

TEST_CASE("password rules: 8..128 bytes") {
  CHECK(code_of(hash_password("1234567", fast).error()) == ec::invalid_argument);
  CHECK(code_of(hash_password("", fast).error()) == ec::invalid_argument);
  CHECK(code_of(hash_password(std::string(129, 'x'), fast).error()) == ec::invalid_argument);
  CHECK(hash_password("12345678", fast));
  CHECK(hash_password(std::string(128, 'x'), fast));
  CHECK(code_of(check_password_rules("short")) == ec::invalid_argument);
  CHECK_FALSE(check_password_rules("long enough"));
}

TEST_CASE("verify rejects passwords outside the rules without hashing") {
  // A record cannot hold a 129-byte password, whatever the prefix.
  auto rec = hashed(std::string(128, 'x'));
  CHECK(verify_password(std::string(128, 'x'), rec));
  CHECK_FALSE(verify_password(std::string(129, 'x'), rec));
  CHECK_FALSE(verify_password("", rec));
}

TEST_CASE("invalid scrypt parameters are rejected when hashing") {
  for (auto params :
       {scrypt_params{1000, 8, 1}, scrypt_params{1, 8, 1}, scrypt_params{0, 8, 1},
        scrypt_params{1024, 0, 1}, scrypt_params{1024, 8, 0}, scrypt_params{max_scrypt_n * 2, 8, 1},
        scrypt_params{max_scrypt_n, 16, 1}, scrypt_params{max_scrypt_n, 8, 2}}) {
    CAPTURE(params.n);
    CAPTURE(params.r);
    CAPTURE(params.p);
    CHECK_FALSE(valid_params(params));
    auto rec = hash_password("password123", params);
    REQUIRE_FALSE(rec);
    CHECK(code_of(rec.error()) == ec::invalid_argument);
  }
  CHECK(valid_params(scrypt_params{max_scrypt_n, 8, 1}));
}

TEST_CASE("malformed records never verify") {
  const std::string pw = "password123";
  auto rec = hashed(pw);
  auto f = fields_of(rec);
  auto with = [&](size_t i, std::string value) {
    auto g = f;
    g[i] = std::move(value);
    return join(g);
  };
  REQUIRE(verify_password(pw, join(f)));
  std::vector<std::string> bad{
      "",
      "scrypt",
      rec + "$",                            // seven fields
      join({f[0], f[1], f[2], f[3], f[4]}), // five fields
      "$" + rec,                            // empty first field
      with(0, "bcrypt"),                    // other scheme
      with(0, "SCRYPT"),                    // case matters
      with(1, "1000"),                      // N not a power of two
      with(1, "01024"),                     // leading zero
      with(1, "+1024"),                     // sign
      with(1, "2097152"),                   // N = 2^21 > cap
      with(1, "18446744073709551616"),      // overflows 64 bits
      with(1, ""),                          // empty N
      with(2, "0"),                         // r = 0
      with(2, "x"),                         // r not a number
      with(3, "0"),                         // p = 0
      with(4, f[4].substr(0, 23)),          // salt one character short
      with(4, f[4] + "AAAA"),               // salt too long
      with(4, "!" + f[4].substr(1)),        // not base64
      with(4, " " + f[4].substr(1)),        // whitespace EVP_DecodeBlock would skip
      with(5, f[5].substr(0, 43) + "A"),    // padding missing
      with(5, f[5].substr(0, 42) + "B="),   // non-canonical last character (hash bits)
      with(5, std::string(44, '=')),        // only padding
  };
  for (const auto& x : bad) {
    CAPTURE(x);
    CHECK_FALSE(is_password_hash(x));
    CHECK_FALSE(verify_password(pw, x));
  }
  // N = 2^20 with r = 8 is at the cap and parses (it fails only the comparison); more work
  // through r or p does not.
  CHECK(is_password_hash(with(1, "1048576")));
  auto g = f;
  g[1] = "1048576";
  g[2] = "16";
  CHECK_FALSE(is_password_hash(join(g)));
  g[2] = "8";
  g[3] = "2";
  CHECK_FALSE(is_password_hash(join(g)));
}

TEST_CASE("a modified hash or salt does not verify") {
  const std::string pw = "password123";
  auto f = fields_of(hashed(pw));
  for (size_t i : {4, 5}) {
    auto g = f;
    g[i][0] = g[i][0] == 'A' ? 'B' : 'A';
    CAPTURE(i);
    REQUIRE(is_password_hash(join(g)));
    CHECK_FALSE(verify_password(pw, join(g)));
  }
}

TEST_CASE("session tokens are random 43-character base64url strings") {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    auto token = new_session_token();
    REQUIRE(token.size() == session_token_size);
    for (auto c : token)
      CHECK(((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
             c == '-' || c == '_'));
    seen.insert(token);
  }
  CHECK(seen.size() == 100);
}

TEST_CASE("token digests are lower-case hex SHA-256") {
  // SHA-256("abc"), FIPS 180-2 test vector.
  CHECK(token_digest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  auto token = new_session_token();
  CHECK(token_digest(token) == token_digest(token));
  CHECK(token_digest(token) != token_digest(new_session_token()));
  CHECK(token_digest(token).find(token) == std::string::npos);
}
