#pragma once

// Message types of the box office: orders, tickets, gate scans. Money in minor units; times in
// milliseconds since the Unix epoch.

#include "messages/inventory.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace seatgrab {

/// A ticket as its owner (or an operator) sees it.
struct ticket_info {
  std::string id;
  std::string event;
  std::string order_id;
  std::string seat;
  std::string owner;
  uint32_t version = 1;
  int64_t price = 0;
  int64_t issued_at_ms = 0; ///< of the current version
  std::string status;       ///< "valid", "used" or "refunded"
  std::string code;         ///< the QR code's text now; empty unless valid
  friend bool operator==(const ticket_info&, const ticket_info&) = default;
};

/// An order as its buyer sees it.
struct order_info {
  std::string id;
  std::string event;
  std::string hold_id;
  std::string state;   ///< "pending", "completed" or "failed"
  std::string failure; ///< failed only: an `ec` name, e.g. "payment_declined"
  int64_t total = 0;   ///< what the seats were charged (the locked prices until sold)
  std::string currency;
  int64_t created_at_ms = 0;
  std::vector<ticket_info> tickets; ///< completed only, in seat order, as they are now
  std::vector<seat_price> seats;    ///< each seat with what it was charged
  int64_t locked_total = 0;         ///< the hold's locked prices: what was authorized
};

/// What the gate answers for a scanned code.
struct scan_info {
  std::string result; ///< "valid", "already_used", "revoked" or "invalid"
  std::string ticket_id;
  std::string seat;
  uint32_t version = 0;
};

/// What a gate device needs to check codes offline: the event's Ed25519 public key, the
/// rotation key (events with rotating codes), and the revocation list (ticket id -> highest
/// revoked version).
struct gate_keys {
  std::string event;
  std::vector<uint8_t> public_key;
  std::vector<uint8_t> rotation_key;
  std::map<std::string, uint32_t> revoked;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ticket_info& x) {
  return f(x.id, x.event, x.order_id, x.seat, x.owner, x.version, x.price, x.issued_at_ms, x.status,
           x.code);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, order_info& x) {
  return f(x.id, x.event, x.hold_id, x.state, x.failure, x.total, x.currency, x.created_at_ms,
           x.tickets, x.seats, x.locked_total);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, scan_info& x) {
  return f(x.result, x.ticket_id, x.seat, x.version);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, gate_keys& x) {
  return f(x.event, x.public_key, x.rotation_key, x.revoked);
}

} // namespace seatgrab
