#pragma once

// Ed25519 signing off the box office: a checkout's ticket codes (~22 µs a signature) are signed
// on a short-lived actor of their own, which the scheduler runs on another core when one is
// free, while the box office goes on with other orders and the journal makes the order durable.

#include "domain/ticket.hpp"
#include "messages/interfaces.hpp"
#include "security/ticket_signature.hpp"

#include <caf/fwd.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace seatgrab::actors {

/// Signs the codes of `payloads` at `now_ms` with `key` (and `rotation`, if the event rotates
/// codes) on an actor of its own, then sends `(atom::ticket, order_id, codes, error)` to
/// `reply_to`: the codes in the order of `payloads`, or the first error.
void sign_codes_elsewhere(caf::actor_system& sys, box_office_actor reply_to, std::string order_id,
                          security::ed25519_key key, std::optional<domain::rotation_key> rotation,
                          std::vector<domain::ticket_payload> payloads, int64_t now_ms);

} // namespace seatgrab::actors
