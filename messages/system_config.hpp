#pragma once

namespace caf {
class actor_system_config;
}

namespace seatgrab {

/// Registers SeatGrab's type-id block and error category with a CAF configuration. Every
/// node and every test system calls this, so all agree on the message vocabulary.
void register_types(caf::actor_system_config& cfg);

} // namespace seatgrab
