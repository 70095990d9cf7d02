#pragma once

#include "actors/context.hpp"
#include "domain/payment.hpp"
#include "messages/interfaces.hpp"
#include "security/ticket_signature.hpp"

#include <caf/actor_system.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace seatgrab {

namespace actors {

/// Knobs of the coordinator; the defaults suit production.
struct checkout_options {
  /// Tests only: after this many journal writes the actor quits with `sec::runtime_error`
  /// without doing anything further (a kill -9 between saga steps). 0 = off.
  uint32_t crash_after_writes = 0;
  /// How long to wait before retrying a step that met `unavailable`.
  std::chrono::milliseconds retry_delay{100};
  /// Currency of every order of the event (ISO 4217).
  std::string currency = "EUR";
};

/// Spawns the checkout coordinator of `info`, recovering its orders and payments from the
/// journal and resuming every open order.
checkout_actor spawn_checkout(caf::actor_system& sys, event_info info, event_actor event,
                              context_ptr ctx, domain::payment_settings payments,
                              security::ed25519_key ticket_key, checkout_options opts = {});

} // namespace actors
} // namespace seatgrab
