// Ticket codes as a gate scans them: any text is `valid` only when it was signed by the
// event's key for that event; a payload that reads re-signs into a code the gate accepts.

#include "domain/ticket.hpp"
#include "tests/fuzz/fuzz_input.hpp"

#include <array>

namespace sg = seatgrab;
namespace dom = seatgrab::domain;

namespace {

constexpr int64_t now_ms = 1'800'000'000'000;

const sg::security::ed25519_key& key() {
  static auto k = [] {
    std::array<uint8_t, 32> seed{};
    seed.fill(7);
    auto made = sg::security::ed25519_key::from_private_bytes(seed);
    if (!made)
      sg::fuzz::fail("cannot make the fuzz signing key");
    return *made;
  }();
  return k;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto code = sg::fuzz::text(data, size);
  static const dom::gate_verifier gate{"gig", key().public_bytes()};
  dom::ticket_payload seen;
  auto verdict = gate.check(code, now_ms, &seen);
  if (verdict == dom::scan_result::valid && seen.event_id != "gig")
    sg::fuzz::fail("a code of another event is valid at this gate");
  auto peeked = dom::peek_code(code);
  if (!peeked)
    return 0;
  for (const auto* f : {&peeked->ticket_id, &peeked->event_id, &peeked->seat_id, &peeked->owner})
    if (f->size() > dom::ticket_payload::max_field_size)
      sg::fuzz::fail("a peeked field is longer than allowed");
  auto resigned = dom::make_code(key(), *peeked, nullptr, now_ms);
  if (!resigned)
    return 0;
  auto again = dom::peek_code(*resigned);
  if (!again || again->ticket_id != peeked->ticket_id || again->owner != peeked->owner ||
      again->version != peeked->version)
    sg::fuzz::fail("a re-signed code does not read back");
  auto expected = peeked->event_id == "gig" ? dom::scan_result::valid : dom::scan_result::invalid;
  if (gate.check(*resigned, now_ms) != expected)
    sg::fuzz::fail("a code signed with the event's key is judged wrongly");
  return 0;
}
