#include "actors/hasher.hpp"

#include "actors/status.hpp"

#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <string>

namespace seatgrab::actors {

struct hasher_state {
  hasher_state() = default; // see tests/support/test_system.hpp for why

  security::scrypt_params params;
  int64_t hashed = 0;
  int64_t verified = 0;

  static inline const char* name = "hasher";
};

namespace {

using self_ptr = hasher_actor::stateful_pointer<hasher_state>;

hasher_actor::behavior_type hasher(self_ptr self, size_t index, security::scrypt_params params) {
  self->state.params = params;
  return behavior_with_status(
      self, actor_identity{"hasher", std::to_string(index)},
      [self](actor_status& out) {
        add_counter(out, "hashed", self->state.hashed);
        add_counter(out, "verified", self->state.verified);
      },
      [self](atom::put, std::string& password) -> caf::result<std::string> {
        ++self->state.hashed;
        auto hash = security::hash_password(password, self->state.params);
        if (!hash)
          return hash.error();
        return std::move(*hash);
      },
      [self](atom::get, std::string& password, std::string& encoded) -> caf::result<bool> {
        ++self->state.verified;
        return security::verify_password(password, encoded);
      });
}

} // namespace

hasher_actor spawn_hasher(caf::actor_system& sys, size_t index, security::scrypt_params params,
                          bool detached) {
  if (detached)
    return sys.spawn<caf::detached>(hasher, index, params);
  return sys.spawn(hasher, index, params);
}

} // namespace seatgrab::actors
