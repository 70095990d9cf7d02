// Issue 13 finding 9: e-mails are normalized so that look-alike accounts cannot register:
// Unicode case folding and NFC, and invisible or control characters refused (`invalid_email`).
#include "domain/accounts.hpp"
#include "messages/ec.hpp"
#include "security/password.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace std::chrono_literals;
using seatgrab::ec;
using namespace seatgrab::domain;
namespace pb = seatgrab::pb;
namespace security = seatgrab::security;

namespace {

const time_point t0 = time_point{1'700'000'000'000ms};

ec code_of(const caf::error& err) {
  REQUIRE(err.category() == caf::atom("seatgrab"));
  return static_cast<ec>(err.code());
}

std::string hash_of(std::string_view pw) {
  auto result = security::hash_password(pw, security::scrypt_params{1024, 8, 1});
  REQUIRE(result);
  return *result;
}

} // namespace

TEST_CASE("emails: case folding and NFC make look-alikes one address") {
  // "é" composed (U+00E9) and decomposed (e + U+0301); upper-case non-ASCII letters.
  auto composed = normalize_email("jos\xc3\xa9@example.com");
  auto decomposed = normalize_email("jose\xcc\x81@example.com");
  auto upper = normalize_email("JOS\xc3\x89@EXAMPLE.COM");
  REQUIRE(composed);
  REQUIRE(decomposed);
  REQUIRE(upper);
  CHECK(*composed == "jos\xc3\xa9@example.com");
  CHECK(*decomposed == *composed);
  CHECK(*upper == *composed);
  // The Kelvin sign folds to "k"; "ß" folds to "ss" (full case folding).
  CHECK(normalize_email("\xe2\x84\xaaim@example.com") == "kim@example.com");
  CHECK(normalize_email("stra\xc3\x9f"
                        "e@example.de") == "strasse@example.de");
  // Normalizing twice changes nothing.
  CHECK(normalize_email(*composed) == *composed);

  accounts_state st;
  REQUIRE(st.sign_up("jos\xc3\xa9@example.com", hash_of("password123"), t0));
  for (auto twin : {"jose\xcc\x81@example.com", "JOS\xc3\x89@example.com"}) {
    CAPTURE(twin);
    auto again = st.sign_up(twin, hash_of("password123"), t0);
    REQUIRE_FALSE(again);
    CHECK(code_of(again.error()) == ec::already_exists);
    CHECK(st.account_by_email(twin) == "a1");
  }
}

TEST_CASE("emails: invisible and control characters and bad UTF-8 are refused") {
  for (const auto& bad :
       std::vector<std::string>{"ali\xe2\x80\x8b"
                                "ce@example.com", // U+200B zero-width space
                                "ali\xe2\x80\x8d"
                                "ce@example.com", // U+200D zero-width joiner
                                "\xef\xbb\xbf"
                                "alice@example.com",             // U+FEFF byte-order mark
                                "alice\xe2\x80\xae@example.com", // U+202E right-to-left override
                                "ali\xc2\xad"
                                "ce@example.com", // U+00AD soft hyphen
                                "ali\xc2\x85"
                                "ce@example.com", // U+0085 next line (C1 control)
                                "ali\xc2\xa0"
                                "ce@example.com",                // U+00A0 no-break space
                                "alice@exa\xe3\x85\xa4mple.com", // U+3164 Hangul filler
                                "ali\xef\xb8\x8f"
                                "ce@example.com", // U+FE0F variation selector
                                "ali\xee\x80\x80"
                                "ce@example.com", // U+E000 private use
                                "ali\xff"
                                "ce@example.com", // not UTF-8
                                "ali\xc3"
                                "ce@example.com", // truncated sequence
                                "ali\xc0\xa0"
                                "ce@example.com", // overlong encoding
                                "ali\xed\xa0\x80"
                                "ce@example.com"}) { // encoded surrogate
    CAPTURE(bad);
    auto res = normalize_email(bad);
    REQUIRE_FALSE(res);
    CHECK(code_of(res.error()) == ec::invalid_email);
    accounts_state st;
    auto signed_up = st.sign_up(bad, hash_of("password123"), t0);
    REQUIRE_FALSE(signed_up);
    CHECK(st.account_count() == 0);
  }
}

TEST_CASE("emails: journals of the earlier normalization still replay") {
  // Before Unicode folding, non-ASCII bytes were stored as sent (here a decomposed, upper-case
  // "É"): such a record still replays, and the account stays reachable by that exact form.
  pb::accounts_event ev;
  ev.set_version(1);
  ev.set_at_ms(t0.time_since_epoch().count());
  auto* x = ev.mutable_signed_up();
  x->set_account("a1");
  x->set_email("jose\xcc\x81\xc3\x89@example.com");
  x->set_password_hash(hash_of("password123"));
  accounts_state st;
  CHECK_FALSE(st.apply(ev));
  CHECK(st.account_count() == 1);
  // Upper-case ASCII was never stored: still refused as corrupt.
  x->set_email("Jose@example.com");
  accounts_state other;
  CHECK(other.apply(ev));
}
