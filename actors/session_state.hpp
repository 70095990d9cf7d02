#pragma once

// Internal to the session actor (actors/session*.cpp): its state, shared by the files its
// behavior is split into.

#include "actors/context.hpp"
#include "actors/journal_client.hpp"
#include "actors/resolver.hpp"
#include "actors/session.hpp"
#include "domain/session.hpp"

#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include <cstdint>
#include <list>
#include <map>
#include <optional>
#include <string>

namespace seatgrab::actors {

using hold_promise = caf::typed_response_promise<hold_receipt>;

/// A hold request waiting for its turn: a session runs one hold at a time, so the limit check
/// sees every earlier hold.
struct pending_hold {
  std::string event_id;
  hold_request req;
  std::string admission_token;
  std::string key; ///< the client's idempotency key, may be empty
  hold_promise rp;
};

struct session_actor_state {
  session_actor_state() = default; // see tests/support/test_system.hpp for why

  std::string account;
  resolver_ptr resolver; // finds events, waiting rooms and box offices
  context_ptr ctx;
  session_options opts;
  std::optional<domain::session_state> session;
  std::optional<journal_client> journal;
  std::list<pending_hold> holds_waiting; // mostly empty: a deque would allocate anyway
  bool holding = false;
  /// Event settings, asked once per event (they never change).
  std::map<std::string, event_info, std::less<>> events;
  /// Tickets the account holds per event, as the event's box office last counted them, and
  /// when. The box office checks the limit again at checkout, so a count up to
  /// `bought_count_ttl` old only moves where a fan near the limit is told so.
  std::map<std::string, std::pair<uint32_t, caf::actor_clock::time_point>, std::less<>> bought;
  /// Holds whose checkout the bot guard allowed: a retry (a lost answer, a timeout) goes to the
  /// box office again without counting against the card a second time.
  std::map<std::string, uint64_t, std::less<>> guard_cleared; ///< hold -> card hash
  /// Requests to other actors in flight; a session passivates only without any.
  uint32_t busy = 0;
  caf::actor_clock::time_point last_active;

  static inline const char* name = "session";
};

using session_self = session_actor::stateful_pointer<session_actor_state>;

} // namespace seatgrab::actors
