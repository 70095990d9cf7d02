#pragma once

// The actor kit's common handlers: `atom::status` (kind, id, mailbox, plus the actor's own
// version and counters), and the behavior of a journaling actor, which appends the status and
// durable handlers to the actor's own (as Broker's `store_actor_state` appends its common ones).

#include "actors/journal_client.hpp"
#include "messages/status.hpp"
#include "messages/type_ids.hpp"

#include <cstdint>
#include <string>
#include <utility>

namespace seatgrab::actors {

/// Who an actor is, for its status and its log lines.
struct actor_identity {
  std::string kind; ///< "section", "event", "queue", "box_office", "accounts", "session", ...
  std::string id;   ///< its entity id
};

/// The `(atom::status)` handler of `status_client_actor`, written once. `figures(status)` fills
/// in the actor's own part: the version of its state class and its key counters.
template <class Self, class Figures>
auto status_handler(Self* self, actor_identity who, Figures figures) {
  return [self, who = std::move(who), figures](atom::status) {
    actor_status st;
    st.kind = who.kind;
    st.id = who.id;
    // CAF 0.17 offers only an approximate count (messages not yet taken from the inbox).
    st.mailbox = self->mailbox().size();
    figures(st);
    return st;
  };
}

/// The behavior of an actor that does not journal: its handlers plus the status handler.
template <class Self, class Figures, class... Handlers>
typename Self::behavior_type behavior_with_status(Self* self, actor_identity who, Figures figures,
                                                  Handlers... handlers) {
  return {std::move(handlers)..., status_handler(self, std::move(who), std::move(figures))};
}

/// The behavior of a journaling actor: its handlers plus the status and durable handlers. The
/// actor's state keeps its journal client in `journal`.
template <class Self, class Figures, class... Handlers>
typename Self::behavior_type journaling_behavior(Self* self, actor_identity who, Figures figures,
                                                 Handlers... handlers) {
  auto name = who.kind + " " + who.id;
  return {std::move(handlers)..., durable_handler(self, std::move(name)),
          status_handler(self, std::move(who), std::move(figures))};
}

/// Appends counter `name` with `value` to `st`.
inline void add_counter(actor_status& st, std::string name, int64_t value) {
  st.counters.push_back(status_counter{std::move(name), value});
}

} // namespace seatgrab::actors
