#pragma once

// Recovery of an actor whose state is its whole journal (no snapshots): a fresh state with
// every event of kind/entity applied in order. Box offices, accounts and sessions use it.

#include "actors/context.hpp"
#include "messages/ec.hpp"
#include "persistence/recovery.hpp"

#include <caf/expected.hpp>

#include <string>
#include <string_view>

namespace seatgrab::actors {

/// `fresh` with every journaled `Event` of `kind`/`entity` applied through `State::apply`.
/// A record that does not parse or does not fit is `storage_corruption`.
template <class State, class Event>
caf::expected<State> replay_journal(const actor_context& ctx, const std::string& kind,
                                    const std::string& entity, State fresh) {
  auto restored = persistence::recover<State>(
      *ctx.db, kind, entity, [&] { return fresh; },
      [&](std::string_view) -> caf::expected<State> {
        return caf::make_error(ec::storage_corruption, kind + " has no snapshots");
      },
      [&](State& st, std::string_view bytes) -> caf::expected<void> {
        Event ev;
        if (!ev.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
          return caf::make_error(ec::storage_corruption, kind + " event does not parse");
        if (auto err = st.apply(ev))
          return err;
        return {};
      });
  if (!restored)
    return restored.error();
  return std::move(restored->first);
}

} // namespace seatgrab::actors
