#pragma once

// Test hooks that write the journal of a buggy node, for the tests of the independent
// verifier (scenarios/verify.hpp). They live here, not in the product: no build of `seatgrab`
// can double-sell a seat on purpose.

#include "messages/bot_guard.pb.h"
#include "messages/ec.hpp"
#include "messages/pricing.pb.h"
#include "messages/section.pb.h"
#include "persistence/store.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace seatgrab::test {

/// Writes a second sale of `seat` (held by "mallory", sold to "forged-order") into the journal
/// of section `section` of event `event_id`, as a node with a double-booking bug would;
/// `verify` must then report the seat held while not free and sold twice.
inline caf::error forge_double_sale(persistence::store& db, const std::string& event_id,
                                    const std::string& section, const std::string& seat,
                                    int64_t at_ms) {
  auto entity = event_id + "/" + section;
  auto log = db.history("section", entity);
  if (!log)
    return log.error();
  auto seq = log->last_seq();
  persistence::write_set ws;
  pb::section_event held;
  held.set_version(++seq);
  held.set_at_ms(at_ms);
  held.mutable_held()->set_hold_id("forged");
  held.mutable_held()->set_holder("mallory");
  held.mutable_held()->add_seat_ids(seat);
  held.mutable_held()->add_prices(0);
  held.mutable_held()->set_expires_at_ms(at_ms + 300'000);
  ws.append("section", entity, seq, held.SerializeAsString());
  pb::section_event sold;
  sold.set_version(++seq);
  sold.set_at_ms(at_ms);
  sold.mutable_sold()->set_hold_id("forged");
  sold.mutable_sold()->set_order_id("forged-order");
  ws.append("section", entity, seq, sold.SerializeAsString());
  if (auto res = db.write(ws, true); !res)
    return res.error();
  return {};
}

/// `forge_double_sale` of the first seat sold in any section of `event_id` (a run's journal);
/// `not_found` if none was sold.
inline caf::error double_sell_first_sale(persistence::store& db, const std::string& event_id,
                                         int64_t at_ms) {
  auto sections = db.entities("section");
  if (!sections)
    return sections.error();
  for (const auto& entity : *sections) {
    if (!entity.starts_with(event_id + "/"))
      continue;
    auto log = db.history("section", entity);
    if (!log)
      return log.error();
    std::map<std::string, std::string> seat_of; // hold -> its first seat
    for (const auto& [seq, bytes] : log->tail) {
      pb::section_event ev;
      if (!ev.ParseFromString(bytes))
        return caf::make_error(ec::storage_corruption, "section/" + entity);
      if (ev.has_held() && ev.held().seat_ids_size() > 0)
        seat_of[ev.held().hold_id()] = ev.held().seat_ids(0);
      if (ev.has_sold() && seat_of.contains(ev.sold().hold_id()))
        return forge_double_sale(db, event_id, entity.substr(event_id.size() + 1),
                                 seat_of[ev.sold().hold_id()], at_ms);
    }
  }
  return caf::make_error(ec::not_found, "no seat of " + event_id + " was sold");
}

/// Writes a tick into the pricing journal of `event_id` that repeats the last tick's readings
/// (nothing taken since: a pace of 0) but moves its first section up a level, as an engine
/// ignoring its rule would; `verify` must report the step against the rule. `not_found` when
/// the event has no tick or its first section is at the top.
inline caf::error forge_price_step(persistence::store& db, const std::string& event_id) {
  auto log = db.history("pricing", event_id);
  if (!log)
    return log.error();
  std::optional<pb::pricing_event> last;
  for (const auto& [seq, bytes] : log->tail) {
    pb::pricing_event ev;
    if (!ev.ParseFromString(bytes))
      return caf::make_error(ec::storage_corruption, "pricing/" + event_id);
    if (ev.has_ticked())
      last = std::move(ev);
  }
  if (!last || last->ticked().sections_size() == 0)
    return caf::make_error(ec::not_found, "no tick of " + event_id);
  auto seq = log->last_seq();
  pb::pricing_event ev = *last;
  ev.set_version(seq + 1);
  ev.set_at_ms(last->at_ms() + 30'000);
  auto& t = *ev.mutable_ticked();
  t.set_tick(t.tick() + 1);
  // The readings of 30 s later with nothing taken, as the engine records them (its default
  // average weight of 500/1000), so that only the step breaks the rule.
  for (auto& in : *t.mutable_sections()) {
    if (in.closed())
      continue;
    in.set_taken(0);
    in.set_elapsed_ms(30'000);
    in.set_ewma_milli(in.ewma_milli() / 2);
    in.set_seconds_left(std::max<int64_t>(in.seconds_left() - 30, 30));
    in.set_pace_permille(in.free() == 0 || in.ewma_milli() <= 0
                             ? 0
                             : in.ewma_milli() * in.seconds_left() / int64_t{in.free()});
  }
  auto& first = *t.mutable_sections(0);
  first.set_level(first.level() + 1);
  t.set_price_version(t.price_version() + 1);
  persistence::write_set ws;
  ws.append("pricing", event_id, seq + 1, ev.SerializeAsString());
  if (auto res = db.write(ws, true); !res)
    return res.error();
  return {};
}

/// Writes, into the bot guard's journal of `event_id`, joins of three new accounts from one
/// device let in (`device`), three checkouts of one card allowed in the same second (`card`),
/// or a checkout allowed to a script flagged for polling through its 429s (`flag`), as a
/// guard that forgot its limits would; `verify` must report them.
inline caf::error forge_bot_limit(persistence::store& db, const std::string& event_id,
                                  const std::string& what, int64_t at_ms) {
  auto log = db.history("bot_guard", event_id);
  if (!log)
    return log.error();
  auto seq = log->last_seq();
  persistence::write_set ws;
  if (what == "flag") {
    // A script let in (45), flagged for polling through its 429s, then allowed to check out.
    pb::bot_event join, flag, checkout;
    for (auto* ev : {&join, &flag, &checkout}) {
      ev->set_version(++seq);
      ev->set_at_ms(at_ms);
    }
    join.mutable_decided()->mutable_facts()->set_account("forged-script");
    join.mutable_decided()->mutable_facts()->set_device("forged-script-device");
    join.mutable_decided()->set_score(45);
    flag.mutable_flagged()->set_account("forged-script");
    flag.mutable_flagged()->set_signal("ignores_retry_after");
    auto* f = checkout.mutable_decided()->mutable_facts();
    f->set_action(1);
    f->set_account("forged-script");
    f->set_card(0xbeef);
    f->set_seats(1);
    f->set_ticket_limit(100);
    for (const auto* ev : {&join, &flag, &checkout})
      ws.append("bot_guard", event_id, ev->version(), ev->SerializeAsString());
    if (auto res = db.write(ws, true); !res)
      return res.error();
    return {};
  }
  for (int i = 0; i < (what == "card" ? 5 : 3); ++i) {
    pb::bot_event ev;
    ev.set_version(++seq);
    ev.set_at_ms(at_ms);
    auto* d = ev.mutable_decided();
    auto* f = d->mutable_facts();
    f->set_account("forged-" + std::to_string(i));
    if (what == "card") {
      f->set_action(1);
      f->set_card(0xf00d);
      f->set_seats(1);
      f->set_ticket_limit(100);
    } else {
      f->set_action(0);
      f->set_device("forged-device");
      f->set_prefix("192.0.2." + std::to_string(i) + "/24");
    }
    d->set_verdict(0); // allow
    ws.append("bot_guard", event_id, seq, ev.SerializeAsString());
  }
  if (auto res = db.write(ws, true); !res)
    return res.error();
  return {};
}

} // namespace seatgrab::test
