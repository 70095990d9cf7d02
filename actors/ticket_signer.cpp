#include "actors/ticket_signer.hpp"

#include "messages/type_ids.hpp"

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>

namespace seatgrab::actors {

void sign_codes_elsewhere(caf::actor_system& sys, box_office_actor reply_to, std::string order_id,
                          security::ed25519_key key, std::optional<domain::rotation_key> rotation,
                          std::vector<domain::ticket_payload> payloads, int64_t now_ms) {
  sys.spawn([reply_to = std::move(reply_to), order_id = std::move(order_id), key = std::move(key),
             rotation = std::move(rotation), payloads = std::move(payloads),
             now_ms](caf::event_based_actor* self) {
    std::vector<std::string> codes;
    codes.reserve(payloads.size());
    caf::error err;
    for (const auto& p : payloads) {
      auto code = domain::make_code(key, p, rotation ? &*rotation : nullptr, now_ms);
      if (!code) {
        err = std::move(code.error());
        codes.clear();
        break;
      }
      codes.push_back(std::move(*code));
    }
    self->send(reply_to, atom::ticket_v, order_id, std::move(codes), std::move(err));
  });
}

} // namespace seatgrab::actors
