#include "messages/system_config.hpp"

#include "messages/type_ids.hpp"

#include <caf/actor_system_config.hpp>

namespace seatgrab {

void register_types(caf::actor_system_config& cfg) {
  cfg.add_message_types<caf::id_block::seatgrab>();
  cfg.add_error_category(caf::atom("seatgrab"),
                         [](uint8_t code, caf::atom_value, const caf::message& ctx) {
                           return render(caf::make_error(static_cast<ec>(code), ctx));
                         });
}

} // namespace seatgrab
