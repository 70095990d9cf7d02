#pragma once

// The actor kit's recovery on start: an actor's state rebuilt from its journal, either from the
// whole journal (box offices, accounts, sessions, waiting rooms) or from its latest snapshot plus
// the journal tail (sections).

#include "actors/context.hpp"
#include "messages/ec.hpp"
#include "persistence/recovery.hpp"

#include <caf/expected.hpp>

#include <string>
#include <string_view>

namespace seatgrab::actors {

namespace detail {

/// Parses one journaled `Event` and applies it through `State::apply`.
template <class Event, class State>
caf::expected<void> apply_record(State& st, std::string_view bytes, const std::string& kind) {
  Event ev;
  if (!ev.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    return caf::make_error(ec::storage_corruption, kind + " event does not parse");
  if (auto err = st.apply(ev))
    return err;
  return {};
}

} // namespace detail

/// `fresh` with every journaled `Event` of `kind`/`entity` applied through `State::apply`.
/// A record that does not parse or does not fit is `storage_corruption`.
template <class State, class Event>
caf::expected<State> replay_journal(const actor_context& ctx, const std::string& kind,
                                    const std::string& entity, State fresh) {
  auto restored = persistence::recover<State>(
      *ctx.db, kind, entity, [&] { return std::move(fresh); },
      [&](std::string_view) -> caf::expected<State> {
        return caf::make_error(ec::storage_corruption, kind + " has no snapshots");
      },
      [&](State& st, std::string_view bytes) {
        return detail::apply_record<Event>(st, bytes, kind);
      });
  if (!restored)
    return restored.error();
  return std::move(restored->first);
}

/// The state of `kind`/`entity` from its latest `Snapshot` (through `restore(const Snapshot&)
/// -> caf::expected<State>`), or `fresh()` without one, plus every later `Event`. A snapshot or
/// record that does not parse or does not fit is `storage_corruption`.
template <class State, class Event, class Snapshot, class Fresh, class Restore>
caf::expected<State> replay_snapshot_and_tail(const actor_context& ctx, const std::string& kind,
                                              const std::string& entity, Fresh fresh,
                                              Restore restore) {
  auto restored = persistence::recover<State>(
      *ctx.db, kind, entity, fresh,
      [&](std::string_view bytes) -> caf::expected<State> {
        Snapshot snap;
        if (!snap.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
          return caf::make_error(ec::storage_corruption,
                                 "snapshot of " + entity + " does not parse");
        return restore(snap);
      },
      [&](State& st, std::string_view bytes) {
        return detail::apply_record<Event>(st, bytes, kind);
      });
  if (!restored)
    return restored.error();
  return std::move(restored->first);
}

} // namespace seatgrab::actors
