// Tests of digital tickets: payload encoding, signed codes, the offline gate verifier
// (tampering, wrong key or event, revocation, transfer, rotating codes, garbage) and the online
// gate ledger (second scan).
#include "domain/ticket.hpp"
#include "messages/ec.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

using seatgrab::ec;
using namespace seatgrab::domain;
using seatgrab::security::ed25519_key;

namespace {

// The start of a 15 s step, so tests can move exactly one step at a time.
constexpr int64_t t0 = 1'700'000'010'000;
static_assert(t0 % rotation_key::step_ms == 0);

constexpr int64_t step = rotation_key::step_ms;

ec code_of(const caf::error& err) {
  REQUIRE(err.category() == caf::atom("seatgrab"));
  return static_cast<ec>(err.code());
}

ticket_payload sample_ticket() {
  return ticket_payload{"tk-1001", "ev-42", "A-12-7", "acct-7", 1, t0 - 3'600'000};
}

ed25519_key new_key() {
  auto key = ed25519_key::generate();
  REQUIRE(key);
  return *key;
}

rotation_key new_rotation() {
  auto key = rotation_key::generate();
  REQUIRE(key);
  return *key;
}

std::string code_for(const ed25519_key& key, const ticket_payload& ticket,
                     const rotation_key* rotation = nullptr, int64_t now = t0) {
  auto code = make_code(key, ticket, rotation, now);
  REQUIRE(code);
  return *code;
}

std::vector<std::string_view> split(std::string_view x) {
  std::vector<std::string_view> result;
  for (auto dot = x.find('.'); dot != std::string_view::npos; dot = x.find('.')) {
    result.push_back(x.substr(0, dot));
    x.remove_prefix(dot + 1);
  }
  result.push_back(x);
  return result;
}

} // namespace

TEST_CASE("ticket payload: encode/decode round trip") {
  auto ticket = sample_ticket();
  auto decoded = ticket_payload::decode(ticket.encode());
  REQUIRE(decoded);
  CHECK(*decoded == ticket);
  // Binary-safe fields and extreme numbers survive too.
  ticket_payload odd{std::string("t\0k", 3), "e.v", "", "o", UINT32_MAX, -1};
  auto odd_decoded = ticket_payload::decode(odd.encode());
  REQUIRE(odd_decoded);
  CHECK(*odd_decoded == odd);
  // Length prefixes keep field boundaries unambiguous.
  ticket_payload a{"ab", "c", "", "o", 1, 0};
  ticket_payload b{"a", "bc", "", "o", 1, 0};
  CHECK(a.encode() != b.encode());
}

TEST_CASE("ticket payload: decode rejects malformed bytes") {
  auto bytes = sample_ticket().encode();
  for (size_t n = 0; n < bytes.size(); ++n) {
    auto res = ticket_payload::decode(std::string_view{bytes}.substr(0, n));
    REQUIRE_FALSE(res);
    CHECK(code_of(res.error()) == ec::invalid_input);
  }
  CHECK_FALSE(ticket_payload::decode(bytes + '\0'));
  auto v0 = sample_ticket();
  v0.version = 0;
  CHECK_FALSE(ticket_payload::decode(v0.encode()));
  auto no_owner = sample_ticket();
  no_owner.owner.clear();
  CHECK_FALSE(ticket_payload::decode(no_owner.encode()));
  auto huge = sample_ticket();
  huge.seat_id.assign(ticket_payload::max_field_size + 1, 's');
  CHECK_FALSE(ticket_payload::decode(huge.encode()));
}

TEST_CASE("make_code: format and argument checks") {
  auto key = new_key();
  auto code = code_for(key, sample_ticket());
  auto parts = split(code);
  REQUIRE(parts.size() == 3);
  CHECK(parts[0] == "T1");
  CHECK(parts[2].size() == 86); // 64 bytes in base64url without padding
  CHECK(code.find('=') == std::string::npos);
  // Deterministic: Ed25519 signatures are.
  CHECK(code_for(key, sample_ticket()) == code);
  auto bad = [&](ticket_payload t) {
    auto res = make_code(key, t, nullptr, t0);
    REQUIRE_FALSE(res);
    CHECK(code_of(res.error()) == ec::invalid_argument);
  };
  auto t = sample_ticket();
  t.ticket_id.clear();
  bad(t);
  t = sample_ticket();
  t.event_id.clear();
  bad(t);
  t = sample_ticket();
  t.owner.clear();
  bad(t);
  t = sample_ticket();
  t.version = 0;
  bad(t);
  t = sample_ticket();
  t.owner.assign(ticket_payload::max_field_size + 1, 'o');
  bad(t);
  // The longest allowed ticket still fits the code limit.
  std::string longest(ticket_payload::max_field_size, 'x');
  auto rotation = new_rotation();
  auto big =
      make_code(key, ticket_payload{longest, longest, longest, longest, 1, 0}, &rotation, t0);
  REQUIRE(big);
  CHECK(big->size() <= max_code_size);
}

TEST_CASE("gate verifier: a fresh code is valid and yields its payload") {
  auto key = new_key();
  gate_verifier gate{"ev-42", key.public_bytes()};
  ticket_payload seen;
  CHECK(gate.check(code_for(key, sample_ticket()), t0, &seen) == scan_result::valid);
  CHECK(seen == sample_ticket());
}

TEST_CASE("gate verifier: any change to the payload or signature part is invalid") {
  auto key = new_key();
  gate_verifier gate{"ev-42", key.public_bytes()};
  auto code = code_for(key, sample_ticket());
  REQUIRE(gate.check(code, t0) == scan_result::valid);
  auto payload_end = code.rfind('.');
  for (size_t i = 3; i < code.size(); ++i) {
    if (i == payload_end)
      continue;
    auto bad = code;
    bad[i] = bad[i] == 'A' ? 'B' : 'A';
    CAPTURE(i);
    CHECK(gate.check(bad, t0) == scan_result::invalid);
  }
  // A payload re-signed by someone else's key does not pass either.
  auto forged = sample_ticket();
  forged.seat_id = "VIP-1";
  CHECK(gate.check(code_for(new_key(), forged), t0) == scan_result::invalid);
}

TEST_CASE("gate verifier: wrong public key or event is invalid") {
  auto key = new_key();
  auto code = code_for(key, sample_ticket());
  CHECK(gate_verifier{"ev-42", new_key().public_bytes()}.check(code, t0) == scan_result::invalid);
  CHECK(gate_verifier{"ev-43", key.public_bytes()}.check(code, t0) == scan_result::invalid);
}

TEST_CASE("gate verifier: revoked versions") {
  auto key = new_key();
  gate_verifier gate{"ev-42", key.public_bytes()};
  auto ticket = sample_ticket();
  ticket.version = 3;
  auto code = code_for(key, ticket);
  gate.revoke("tk-1001", 2);
  CHECK(gate.check(code, t0) == scan_result::valid);
  gate.revoke("tk-other", 9);
  CHECK(gate.check(code, t0) == scan_result::valid);
  gate.revoke("tk-1001", 3);
  ticket_payload seen;
  CHECK(gate.check(code, t0, &seen) == scan_result::revoked);
  CHECK(seen == ticket);
  // An older revocation list arriving late does not un-revoke.
  gate.revoke("tk-1001", 1);
  CHECK(gate.revoked_up_to("tk-1001") == 3);
  CHECK(gate.check(code, t0) == scan_result::revoked);
  CHECK(gate.revocations().size() == 2);
}

TEST_CASE("transfer: old code revoked, new code valid") {
  auto key = new_key();
  gate_verifier gate{"ev-42", key.public_bytes()};
  auto old_ticket = sample_ticket();
  auto old_code = code_for(key, old_ticket);
  auto new_ticket = transferred(old_ticket, "acct-9", t0 + 1000);
  CHECK(new_ticket.version == old_ticket.version + 1);
  CHECK(new_ticket.owner == "acct-9");
  CHECK(new_ticket.issued_at_ms == t0 + 1000);
  CHECK(new_ticket.ticket_id == old_ticket.ticket_id);
  CHECK(new_ticket.seat_id == old_ticket.seat_id);
  auto new_code = code_for(key, new_ticket, nullptr, t0 + 1000);
  CHECK(gate.check(old_code, t0 + 2000) == scan_result::valid); // not yet revoked
  gate.revoke(old_ticket.ticket_id, old_ticket.version);
  CHECK(gate.check(old_code, t0 + 2000) == scan_result::revoked);
  CHECK(gate.check(new_code, t0 + 2000) == scan_result::valid);
}

TEST_CASE("gate ledger: a second scan is already_used") {
  auto key = new_key();
  gate_ledger ledger{gate_verifier{"ev-42", key.public_bytes()}};
  auto code = code_for(key, sample_ticket());
  CHECK_FALSE(ledger.used("tk-1001"));
  CHECK(ledger.scan(code, t0) == scan_result::valid);
  CHECK(ledger.used("tk-1001"));
  CHECK(ledger.scan(code, t0 + 1000) == scan_result::already_used);
  CHECK(ledger.used_count() == 1);
  // Invalid codes do not mark anything.
  CHECK(ledger.scan("T1.x.y", t0) == scan_result::invalid);
  CHECK(ledger.used_count() == 1);
  // Another ticket is unaffected.
  auto other = sample_ticket();
  other.ticket_id = "tk-1002";
  CHECK(ledger.scan(code_for(key, other), t0) == scan_result::valid);
}

TEST_CASE("gate ledger: transfer revokes at once; entry admits one holder only") {
  auto key = new_key();
  gate_ledger ledger{gate_verifier{"ev-42", key.public_bytes()}};
  auto v1 = sample_ticket();
  auto v2 = transferred(v1, "acct-9", t0);
  ledger.revoke(v1.ticket_id, v1.version);
  CHECK(ledger.scan(code_for(key, v1), t0) == scan_result::revoked);
  CHECK(ledger.scan(code_for(key, v2), t0) == scan_result::valid);
  // Transferring after entry lets nobody else in.
  auto v3 = transferred(v2, "acct-11", t0);
  ledger.revoke(v2.ticket_id, v2.version);
  CHECK(ledger.scan(code_for(key, v3), t0) == scan_result::already_used);
  // Replay of a scan journal.
  gate_ledger restored{gate_verifier{"ev-42", key.public_bytes()}};
  restored.mark_used(v1.ticket_id);
  CHECK(restored.scan(code_for(key, v2), t0) == scan_result::already_used);
}

TEST_CASE("rotating code: valid for the current and previous step only") {
  auto key = new_key();
  auto rotation = new_rotation();
  gate_verifier gate{"ev-42", key.public_bytes(), rotation};
  auto code = code_for(key, sample_ticket(), &rotation, t0);
  auto parts = split(code);
  REQUIRE(parts.size() == 4);
  CHECK(parts[3].size() == rotation_key::digits);
  CHECK(gate.check(code, t0) == scan_result::valid);
  CHECK(gate.check(code, t0 + step - 1) == scan_result::valid);
  CHECK(gate.check(code, t0 + step) == scan_result::valid);         // previous step: skew
  CHECK(gate.check(code, t0 + 2 * step - 1) == scan_result::valid); // still the previous one
  CHECK(gate.check(code, t0 + 2 * step) == scan_result::invalid);   // a screenshot expires
  CHECK(gate.check(code, t0 + 10 * step) == scan_result::invalid);
  CHECK(gate.check(code, t0 - 1) == scan_result::invalid); // not from the future either
  // A fresh code works again later.
  CHECK(gate.check(code_for(key, sample_ticket(), &rotation, t0 + 10 * step), t0 + 10 * step) ==
        scan_result::valid);
}

TEST_CASE("rotating code: missing, wrong or unexpected rotating part is invalid") {
  auto key = new_key();
  auto rotation = new_rotation();
  gate_verifier gate{"ev-42", key.public_bytes(), rotation};
  auto with = code_for(key, sample_ticket(), &rotation, t0);
  auto without = code_for(key, sample_ticket());
  CHECK(gate.check(without, t0) == scan_result::invalid);
  CHECK(gate.check(with.substr(0, with.rfind('.') + 1), t0) == scan_result::invalid);
  auto totp_at = with.size() - rotation_key::digits;
  auto wrong = with;
  wrong[totp_at] = wrong[totp_at] == '0' ? '1' : '0';
  CHECK(gate.check(wrong, t0) == scan_result::invalid);
  CHECK(gate.check(with + "0", t0) == scan_result::invalid);
  CHECK(gate.check(with.substr(0, with.size() - 1), t0) == scan_result::invalid);
  // Another event's rotation key does not produce acceptable codes.
  auto other_rotation = new_rotation();
  CHECK(gate.check(code_for(key, sample_ticket(), &other_rotation, t0), t0) ==
        scan_result::invalid);
  // A gate without rotation refuses codes that carry one.
  CHECK(gate_verifier{"ev-42", key.public_bytes()}.check(with, t0) == scan_result::invalid);
  // Revocation still applies to rotating codes.
  gate.revoke("tk-1001", 1);
  CHECK(gate.check(with, t0) == scan_result::revoked);
}

TEST_CASE("rotating code: the buyer's app computes it from the ticket secret alone") {
  auto key = new_key();
  auto rotation = new_rotation();
  auto ticket = sample_ticket();
  auto secret = rotation.derive(ticket.ticket_id, ticket.version);
  REQUIRE(secret);
  for (int64_t now : {t0, t0 + 7'000, t0 + 3 * step + 1}) {
    auto totp = rotating_code(*secret, ticket.ticket_id, ticket.version, now);
    REQUIRE(totp);
    auto code = code_for(key, ticket, &rotation, now);
    CHECK(split(code).back() == *totp);
  }
  // Secrets differ per ticket and per version, so an old holder cannot compute the new code.
  auto next = rotation.derive(ticket.ticket_id, ticket.version + 1);
  auto other = rotation.derive("tk-1002", ticket.version);
  REQUIRE(next);
  REQUIRE(other);
  CHECK(*next != *secret);
  CHECK(*other != *secret);
  // Key checks.
  CHECK_FALSE(rotation_key::from_bytes(std::vector<uint8_t>(31, 1)));
  auto restored = rotation_key::from_bytes(rotation.bytes());
  REQUIRE(restored);
  CHECK(restored->derive(ticket.ticket_id, ticket.version) == secret);
  CHECK_FALSE(rotation.derive("", 1));
}

TEST_CASE("gate verifier: garbage is invalid") {
  auto key = new_key();
  auto rotation = new_rotation();
  gate_verifier plain{"ev-42", key.public_bytes()};
  gate_verifier rotating{"ev-42", key.public_bytes(), rotation};
  auto code = code_for(key, sample_ticket());
  auto parts = split(code);
  std::vector<std::string> garbage{
      "",
      "T1",
      "T1.",
      "T1..",
      "T1...",
      "T1....",
      std::string(10 * 1024, 'A'),
      "T1." + std::string(10 * 1024, 'A') + "." + std::string(parts[2]),
      "T2" + code.substr(2),
      "t1" + code.substr(2),
      " " + code,
      code + " ",
      code + ".",
      code + ".123456.7",
      std::string(parts[0]) + "." + std::string(parts[1]) + "==." + std::string(parts[2]),
      std::string(parts[0]) + "." + std::string(parts[1]) + "." + std::string(parts[2]) + "==",
      std::string(parts[0]) + "." + std::string(parts[1]) + "." + std::string(parts[2].substr(1)),
      std::string(parts[0]) + ".." + std::string(parts[2]),
      std::string(parts[0]) + "." + std::string(parts[1]) + ".",
      std::string(code).insert(10, std::string(1, '\0')),
  };
  for (const auto& g : garbage) {
    CAPTURE(g.substr(0, 80));
    CHECK(plain.check(g, t0) == scan_result::invalid);
    CHECK(rotating.check(g, t0) == scan_result::invalid);
  }
  CHECK(plain.check(code, t0) == scan_result::valid);
}

TEST_CASE("scan_result names") {
  CHECK(to_string(scan_result::valid) == "valid");
  CHECK(to_string(scan_result::already_used) == "already_used");
  CHECK(to_string(scan_result::revoked) == "revoked");
  CHECK(to_string(scan_result::invalid) == "invalid");
}

TEST_CASE("peek_code: reads the payload without verifying it") {
  auto key = new_key();
  auto rotation = new_rotation();
  for (const auto* rot : std::vector<const rotation_key*>{nullptr, &rotation}) {
    auto peeked = peek_code(code_for(key, sample_ticket(), rot));
    REQUIRE(peeked);
    CHECK(*peeked == sample_ticket());
  }
  // Unverified: a code signed by anyone still names its event.
  auto code = code_for(key, sample_ticket());
  auto parts = split(code);
  auto forged = "T1." + std::string{parts[1]} + ".AAAA";
  REQUIRE(peek_code(forged));
  CHECK(peek_code(forged)->event_id == "ev-42");
  for (const auto& bad :
       std::vector<std::string>{"", "T1.", "T2." + std::string{parts[1]} + ".x",
                                "T1." + std::string{parts[1]}, "T1.!!!.x", "T1.AAAA.x"}) {
    CAPTURE(bad);
    auto res = peek_code(bad);
    REQUIRE_FALSE(res);
    CHECK(code_of(res.error()) == ec::invalid_input);
  }
  CHECK_FALSE(peek_code(std::string(max_code_size + 1, 'T')));
}
