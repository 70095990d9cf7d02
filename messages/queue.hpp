#pragma once

// Message types of the waiting room. Ticket numbers are per event; times in milliseconds
// since the Unix epoch.

#include <cstdint>
#include <string>

namespace seatgrab {

/// Where a fan stands: "waiting", "admitted", "expired", "skipped" or "done".
struct queue_status {
  uint64_t ticket = 0;
  std::string state;
  uint64_t position = 0;       ///< 1 = next; 0 once admitted, or before the sale opens
  uint64_t eta_s = 0;          ///< estimated seconds until admission
  std::string admission_token; ///< set while admitted: proof for holds, bound to account+device
  int64_t admission_expires_at_ms = 0;
  /// The event's price range now (all-in, minor units; 0 when not known yet), and for an
  /// admitted fan the price version of their admission: they pay no more than its prices.
  int64_t price_min = 0;
  int64_t price_max = 0;
  uint64_t price_version = 0;
  bool paused = false; ///< waiting: the operator stopped admissions for now (the place is kept)
};

/// What anyone may know about an event's queue.
struct queue_info {
  std::string event;
  std::string seed_commitment; ///< hex SHA-256 of the shuffle seed, published at creation
  std::string revealed_seed;   ///< hex seed, empty until the sale opens
  bool opened = false;
  bool paused = false;
  bool closed = false; ///< the operator ended the sale
  uint32_t admission_per_min = 0;
  uint64_t joined = 0;
  uint64_t waiting = 0;
  uint64_t admitted = 0;
  uint64_t active = 0;
  uint64_t skipped = 0; ///< abandoned: not seen when their turn came
  uint64_t expired = 0;
  int64_t price_min = 0; ///< the event's price range now (0: not known yet)
  int64_t price_max = 0;
  uint64_t price_version = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, queue_status& x) {
  return f(x.ticket, x.state, x.position, x.eta_s, x.admission_token, x.admission_expires_at_ms,
           x.price_min, x.price_max, x.price_version, x.paused);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, queue_info& x) {
  return f(x.event, x.seed_commitment, x.revealed_seed, x.opened, x.paused, x.closed,
           x.admission_per_min, x.joined, x.waiting, x.admitted, x.active, x.skipped, x.expired,
           x.price_min, x.price_max, x.price_version);
}

} // namespace seatgrab
