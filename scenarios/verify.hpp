#pragma once

// The independent verifier of an on-sale: it reads the journals of a node's store (or of every
// member's, for a cluster) and replays them with its own small models (no domain state class),
// checking the promises:
// - no seat is held while not free, or sold twice, or sold without a live hold;
// - no hold is sold or extended at or after its expiry, and none outlives it at the end;
//   each expiry is recomputed from the event's hold_ttl_s (and max_hold_total_s);
// - every sold seat has exactly one valid ticket, and every valid ticket a seat sold to its
//   order; no ticket is admitted at the gate twice, at a revoked version or after its refund;
// - every captured payment is matched by a sale of its amount or refunded, no sale is without
//   a captured payment, and a payment's refunds are its tickets' refunds (with the tickets);
// - the seed a room reveals on opening is the one it committed to (its SHA-256 is the commitment
//   the fans were shown, and the seed kept since the commitment was first published);
// - admissions follow the queue order: join order, or the shuffle published by the seed; never
//   more than max_active_shoppers at once, one per account at a time, and within the rate;
// - once the operator closed the sale, no section takes a hold, nobody joins and nobody is let in;
// - dynamic pricing (verify_pricing.cpp): every price change obeys the published rule, and
//   every sale charges no more than the hold's locked price, the price at the sale and the
//   price at the holder's admission;
// - the bot guards (verify_bots.cpp): no prefix, device or card went beyond its enforced
//   limit, and every card purchase had the guard's leave.

#include "persistence/store.hpp"

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace seatgrab::scenarios {

struct verify_options {
  /// The run's end (ms since the epoch): holds that expired before it must have ended. 0
  /// skips that check (e.g. for a store taken mid-run).
  int64_t end_ms = 0;
  /// Check tickets against sales and payments (off for runs that sell without the box office,
  /// and for a store taken mid-run, where an order may be paid and not yet ticketed).
  bool tickets = true;
  /// Check admissions against the queue order.
  bool admissions = true;
  /// Per event, the seed commitment (hex SHA-256) the fans were shown before the room opened,
  /// as a runner read it from the API: the seed the room revealed must hash to it. Events not
  /// named are checked against the seed the room stored when it first published one.
  std::map<std::string, std::string> published_commitments = {};
};

struct verdict {
  /// Every broken promise, each naming the journal record ("kind/entity/seq") at fault.
  std::vector<std::string> violations;
  uint64_t events = 0;     ///< journal records read
  uint64_t seats_sold = 0; ///< sold now, over all events
  uint64_t seats_held = 0; ///< held now
  uint64_t tickets_valid = 0;
  uint64_t admissions = 0;
  uint64_t holds = 0; ///< holds ever placed
  uint64_t expiries = 0;
  uint64_t price_changes = 0;     ///< prices set by pricing engines (a policy sets each section's)
  uint64_t priced_sales = 0;      ///< seats sold in events with a pricing journal, each checked
  uint64_t bot_decisions = 0;     ///< bot guards' journal records read
  uint64_t guarded_purchases = 0; ///< card purchases checked against the bot guards
  /// Accounts by what a bot guard decided about them at least once ("allow", "challenge",
  /// "step_up", "shadow", "throttle", "refuse").
  std::map<std::string, std::set<std::string>> bot_outcomes;
  std::map<std::string, std::string> sold; ///< "<event>|<seat>" -> order, now
  std::map<std::string, std::string> held; ///< "<event>|<seat>" -> hold, now

  [[nodiscard]] bool ok() const noexcept { return violations.empty(); }
};

/// Checks every event's journals in `db`.
verdict verify(const persistence::store& db, const verify_options& opts = {});

/// Checks the journals of a cluster's members, one store each, as one record: each entity's
/// journal is read from the member that owns it, and an entity journaled by two members (two
/// owners) is a violation.
verdict verify(const std::vector<const persistence::store*>& dbs, const verify_options& opts = {});

/// The admission order of a shuffled pre-queue, computed from the revealed seed as published
/// (SHA-256 Fisher–Yates), written here a second time on purpose.
std::vector<uint64_t> published_shuffle(const std::string& seed, std::vector<uint64_t> tickets);

} // namespace seatgrab::scenarios
