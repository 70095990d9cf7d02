#pragma once

// The box office's state and the parts of its behavior split across files by concern:
// box_office.cpp (the saga, transfers, refunds, the gate) and box_office_answers.cpp (orders
// and tickets as their owners see them, and the answer of a completed checkout).

#include "actors/box_office.hpp"
#include "actors/context.hpp"
#include "actors/journal_client.hpp"
#include "actors/resolver.hpp"
#include "domain/checkout.hpp"
#include "domain/payment.hpp"
#include "domain/ticket.hpp"
#include "domain/ticket_registry.hpp"
#include "messages/interfaces.hpp"
#include "security/ticket_signature.hpp"

#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace seatgrab::actors {

using order_promise = caf::typed_response_promise<order_info>;

/// A completed order's answer, waiting for its ticket codes (signed off the actor) and for
/// its journal writes to be durable.
struct pending_answer {
  std::vector<order_promise> promises;
  order_info result;
  bool durable = false;
  bool coded = false;
  caf::error error; // the journal's or the signer's
};

struct box_office_state {
  box_office_state() = default; // see tests/support/test_system.hpp for why

  std::string entity;
  context_ptr ctx;
  event_info info;
  resolver_ptr resolver; // finds the event actor, also after it restarted
  box_office_options opts;
  std::optional<domain::checkout_state> orders;
  std::optional<domain::simulated_gateway> gateway;
  std::optional<domain::ticket_registry> tickets;
  std::optional<journal_client> journal;
  std::optional<security::ed25519_key> key;
  std::optional<domain::rotation_key> rotation;
  /// Requesters waiting for an order to become final, by order id.
  std::map<std::string, std::vector<order_promise>, std::less<>> waiting;
  /// Answers of completed orders waiting for their codes, by order id.
  std::map<std::string, pending_answer, std::less<>> answering;
  /// Orders with a step in flight (a request to the event actor or a retry timer).
  std::set<std::string, std::less<>> busy;
  /// Refunded tickets whose seats are being put back on sale.
  std::set<std::string, std::less<>> releasing;
  uint32_t writes = 0;
  bool crashed = false;

  static inline const char* name = "box_office";
};

using box_office_self = box_office_actor::stateful_pointer<box_office_state>;

/// The ticket as its owner sees it, with its code at `t` (valid tickets only, unless
/// `with_code` is false: the caller has it signed elsewhere).
caf::expected<ticket_info> info_of(box_office_self self, const domain::ticket_view& v,
                                   domain::time_point t, bool with_code = true);

/// The order as its buyer sees it, its tickets' codes at `t` (unless `with_codes` is false).
caf::expected<order_info> order_of(box_office_self self, const domain::order_view& o,
                                   domain::time_point t, bool with_codes = true);

/// Answers everyone waiting for `order_id` once its final step is durable; a completed
/// order's codes are signed off the actor meanwhile (actors/ticket_signer.hpp).
void answer(box_office_self self, const std::string& order_id);

/// The codes of `order_id` signed off the actor, or the error that stopped the signing: its
/// answer goes out once it is also durable. Codes for an order not being answered are ignored.
void take_codes(box_office_self self, const std::string& order_id, std::vector<std::string>& codes,
                caf::error& err);

} // namespace seatgrab::actors
