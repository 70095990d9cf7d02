#include "messages/system_config.hpp"

#include "messages/interfaces.hpp"
#include "messages/type_ids.hpp"

#include <caf/actor_system_config.hpp>

namespace seatgrab {

void register_types(caf::actor_system_config& cfg) {
  cfg.add_message_types<caf::id_block::seatgrab>();
  // Handles that cross nodes in lookups' answers: CAF 0.17 serializes a typed handle only if
  // its type was added, and refuses the whole message otherwise.
  cfg.add_message_type<status_client_actor>("sg_status");
  cfg.add_message_type<section_actor>("sg_section");
  cfg.add_message_type<event_actor>("sg_event");
  cfg.add_message_type<waiting_room_actor>("sg_queue");
  cfg.add_message_type<box_office_actor>("sg_office");
  cfg.add_message_type<pricing_actor>("sg_pricing");
  cfg.add_message_type<bot_guard_actor>("sg_bot_guard");
  cfg.add_message_type<accounts_actor>("sg_accounts");
  cfg.add_message_type<session_actor>("sg_session");
  cfg.add_message_type<catalog_actor>("sg_catalog");
  cfg.add_message_type<registry_actor>("sg_registry");
  cfg.add_message_type<admin_actor>("sg_admin");
  cfg.add_error_category(caf::atom("seatgrab"),
                         [](uint8_t code, caf::atom_value, const caf::message& ctx) {
                           return render(caf::make_error(static_cast<ec>(code), ctx));
                         });
}

} // namespace seatgrab
