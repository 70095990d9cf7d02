#pragma once

#include "messages/ec.hpp"
#include "persistence/store.hpp"

#include <caf/expected.hpp>

#include <string_view>

namespace seatgrab::persistence {

/// Rebuilds an entity from its latest snapshot plus the journal tail.
/// `restore(std::string_view snapshot) -> caf::expected<State>` builds the state from a
/// snapshot, `fresh() -> State` the state of an entity without one, and
/// `apply(State&, std::string_view event) -> caf::expected<void>` replays one event.
/// Returns the state and the sequence number of its last event.
template <class State, class Fresh, class Restore, class Apply>
caf::expected<std::pair<State, uint64_t>> recover(const store& db, std::string_view kind,
                                                  std::string_view entity, Fresh fresh,
                                                  Restore restore, Apply apply) {
  auto log = db.load(kind, entity);
  if (!log)
    return log.error();
  auto state = [&]() -> caf::expected<State> {
    if (log->snapshot)
      return restore(std::string_view{*log->snapshot});
    return fresh();
  }();
  if (!state)
    return state.error();
  for (auto& [seq, payload] : log->tail) {
    if (auto res = apply(*state, std::string_view{payload}); !res)
      return caf::make_error(ec::storage_corruption, std::string{kind} + "/" + std::string{entity} +
                                                         "/" + std::to_string(seq) + ": " +
                                                         render(res.error()));
  }
  return std::pair<State, uint64_t>{std::move(*state), log->last_seq()};
}

} // namespace seatgrab::persistence
