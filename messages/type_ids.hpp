#pragma once

// The one type-id block of SeatGrab: every type that travels in an actor message, and every
// atom. Every node registers the same block (a type unknown to a peer arrives empty).

#include "messages/ec.hpp"

#include <caf/type_id.hpp>

CAF_BEGIN_TYPE_ID_BLOCK(seatgrab, caf::first_custom_type_id)

CAF_ADD_TYPE_ID(seatgrab, (seatgrab::ec))

/// A journal write of the sender's became durable (or failed).
CAF_ADD_ATOM(seatgrab, seatgrab::atom, durable, "durable")
/// A delayed self-message: a hold's time may be up.
CAF_ADD_ATOM(seatgrab, seatgrab::atom, expire, "expire")

CAF_END_TYPE_ID_BLOCK(seatgrab)
