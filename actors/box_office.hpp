#pragma once

#include "actors/context.hpp"
#include "actors/resolver.hpp"
#include "domain/payment.hpp"
#include "messages/interfaces.hpp"

#include <caf/fwd.hpp>

#include <chrono>
#include <cstdint>
#include <string>

namespace seatgrab::actors {

/// Knobs of the box office; the defaults suit production.
struct box_office_options {
  /// Tests only: after this many journal writes of the saga the actor quits with
  /// `sec::runtime_error` without doing anything further (a kill -9 between saga steps).
  /// 0 = off.
  uint32_t crash_after_writes = 0;
  /// How long to wait before retrying a step that met `unavailable`.
  std::chrono::milliseconds retry_delay{100};
  /// Currency of every order of the event (ISO 4217).
  std::string currency = "EUR";
};

/// Spawns the box office of `info`: loads (or, on first start, makes and journals) the event's
/// Ed25519 ticket key and, for rotating codes, its rotation key, kept in the meta column as
/// "ticket-key/<event>" and "rotation-key/<event>"; recovers orders, payments and tickets from
/// the journal; resumes every open order and puts the seats of refunded tickets back on sale.
/// It finds the event's actor through `resolver` at each use, so a restarted one is found.
box_office_actor spawn_box_office(caf::actor_system& sys, event_info info, resolver_ptr resolver,
                                  context_ptr ctx, domain::payment_settings payments,
                                  box_office_options opts = {});

} // namespace seatgrab::actors
