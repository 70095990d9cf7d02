// Journal records as recovery reads them back from RocksDB: whatever bytes a record holds,
// replay either applies it or refuses it with an error that changes nothing; never a crash.
//
// Input: byte 0 picks the journal (section, session, accounts, checkout, payment, tickets,
// waiting room, or a section snapshot); byte 1 bit 0 keeps each record's own version (else it
// is set to the next one, so the fuzzer reaches past the version check); then records, each a
// big-endian u16 length and that many bytes.

#include "domain/accounts.hpp"
#include "domain/checkout.hpp"
#include "domain/payment.hpp"
#include "domain/section_state.hpp"
#include "domain/session.hpp"
#include "domain/ticket_registry.hpp"
#include "domain/waiting_room.hpp"
#include "tests/fuzz/fuzz_input.hpp"

#include <google/protobuf/util/message_differencer.h>

#include <string_view>
#include <vector>

namespace sg = seatgrab;
namespace dom = seatgrab::domain;

namespace {

std::vector<std::string_view> records(const uint8_t* data, size_t size) {
  std::vector<std::string_view> out;
  size_t at = 0;
  while (at + 2 <= size) {
    size_t len = (size_t{data[at]} << 8) | data[at + 1];
    at += 2;
    len = std::min(len, size - at);
    out.emplace_back(reinterpret_cast<const char*>(data + at), len);
    at += len;
  }
  return out;
}

// Applies records until the first one that does not parse or does not fit, as recovery does.
template <class Event, class State>
void replay(State& st, const std::vector<std::string_view>& recs, bool keep_version) {
  for (auto rec : recs) {
    Event ev;
    if (!ev.ParseFromArray(rec.data(), static_cast<int>(rec.size())))
      return;
    if (!keep_version)
      ev.set_version(st.version() + 1);
    auto before = st.version();
    if (auto err = st.apply(ev)) {
      if (st.version() != before)
        sg::fuzz::fail("a refused record changed the version");
      return;
    }
    if (st.version() != before + 1)
      sg::fuzz::fail("an applied record did not advance the version by one");
  }
}

dom::section_config section_cfg() {
  dom::section_config cfg;
  cfg.event_id = "gig";
  cfg.section_id = "a";
  for (uint32_t i = 0; i < 6; ++i)
    cfg.seats.push_back({"a-" + std::to_string(i), i < 3 ? "1" : "2", i % 3 + 1, i, 5000});
  return cfg;
}

void check_section(const dom::section_state& st) {
  const auto& c = st.counters();
  if (c.free_now + c.held_now + c.sold_now != 6)
    sg::fuzz::fail("section seat counts do not add up");
  auto snap = st.snapshot();
  auto back = dom::section_state::from_snapshot(section_cfg(), snap);
  if (!back)
    sg::fuzz::fail("a section's own snapshot does not restore");
  if (!google::protobuf::util::MessageDifferencer::Equals(back->snapshot(), snap))
    sg::fuzz::fail("a restored section snapshots differently");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2)
    return 0;
  auto which = data[0] % 8;
  bool keep_version = data[1] & 1;
  auto recs = records(data + 2, size - 2);
  switch (which) {
  case 0: {
    auto st = dom::section_state::make(section_cfg());
    if (!st)
      sg::fuzz::fail("the fuzz section config is invalid");
    replay<sg::pb::section_event>(*st, recs, keep_version);
    check_section(*st);
    break;
  }
  case 1: {
    dom::session_state st{"acct-1"};
    replay<sg::pb::session_event>(st, recs, keep_version);
    break;
  }
  case 2: {
    dom::accounts_state st;
    replay<sg::pb::accounts_event>(st, recs, keep_version);
    break;
  }
  case 3: {
    dom::checkout_state st{"gig"};
    replay<sg::pb::checkout_event>(st, recs, keep_version);
    break;
  }
  case 4: {
    auto st = dom::simulated_gateway::make(dom::payment_settings{});
    if (!st)
      sg::fuzz::fail("the fuzz payment settings are invalid");
    replay<sg::pb::payment_event>(*st, recs, keep_version);
    break;
  }
  case 5: {
    dom::ticket_registry st{"gig", dom::gate_verifier{"gig", sg::security::ed25519_bytes{}}};
    replay<sg::pb::ticket_event>(st, recs, keep_version);
    break;
  }
  case 6: {
    dom::waiting_room_config cfg;
    cfg.event_id = "gig";
    auto st = dom::waiting_room_state::make(cfg, dom::waiting_room_seed{});
    if (!st)
      sg::fuzz::fail("the fuzz waiting room config is invalid");
    replay<sg::pb::waiting_room_event>(*st, recs, keep_version);
    break;
  }
  default: {
    if (recs.empty())
      return 0;
    sg::pb::section_snapshot snap;
    if (!snap.ParseFromArray(recs[0].data(), static_cast<int>(recs[0].size())))
      return 0;
    if (auto st = dom::section_state::from_snapshot(section_cfg(), snap))
      check_section(*st);
  }
  }
  return 0;
}
