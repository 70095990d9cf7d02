#pragma once

// The event-sourcing frame every state class in domain/ shares: the version, the next event,
// commit, the version check on apply and the dispatch by kind. Knows nothing of actors.

#include "domain/detail.hpp"
#include "messages/ec.hpp"

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <utility>

namespace seatgrab::domain {

/// Base of an event-sourced state class `Derived` whose journal holds protobuf messages
/// `Event` (fields `version` and `at_ms`, and a oneof `kind`). Every change is an event that
/// `apply` checks and applies, the same path for live operations (`commit`) and for recovery
/// replay, so that replaying the journal on a fresh state rebuilds it.
///
/// `Derived` supplies, privately (declaring this base a friend):
/// - `static std::span<const kind_handler> handlers()`: the handler of each kind;
/// - `std::string corruption_prefix() const`: what a corruption error names, e.g. "session/a1".
template <class Derived, class Event>
class event_sourced {
public:
  /// Applies `ev` to the derived state: checks the version, then runs the handler of its kind.
  /// Deterministic. Fails with `ec::storage_corruption`, changing nothing, if the event does
  /// not fit (wrong version, no kind, or whatever its handler rejects).
  [[nodiscard]] caf::error apply(const Event& ev) {
    if (ev.version() != version_ + 1)
      return corrupt("event version " + std::to_string(ev.version()) + " does not follow " +
                     std::to_string(version_));
    if (ev.kind_case() == Event::KIND_NOT_SET)
      return corrupt("event has no kind");
    for (const auto& h : Derived::handlers()) {
      if (h.kind != ev.kind_case())
        continue;
      if (auto err = h.fn(self(), ev))
        return err;
      ++version_;
      return {};
    }
    return corrupt("event kind " + std::to_string(static_cast<int>(ev.kind_case())) +
                   " has no handler");
  }

  /// Number of events applied so far; the version of the next event is `version() + 1`.
  uint64_t version() const noexcept { return version_; }

  /// Equal versions; lets `Derived` default its own `operator==`.
  friend bool operator==(const event_sourced&, const event_sourced&) = default;

protected:
  /// Applies one kind of event to the state: on failure it returns the error (a `corrupt`
  /// one) and changes nothing. Handlers run only for events with the right version.
  using handler = caf::error (*)(Derived&, const Event&);

  /// One row of the dispatch table: the handler of `kind`.
  struct kind_handler {
    typename Event::KindCase kind;
    handler fn;
  };

  event_sourced() = default;
  event_sourced(const event_sourced&) = default;
  event_sourced(event_sourced&&) noexcept = default;
  event_sourced& operator=(const event_sourced&) = default;
  event_sourced& operator=(event_sourced&&) noexcept = default;
  ~event_sourced() = default;

  /// The next event, without a kind: version `version() + 1`, stamped `now`. The caller sets
  /// the kind and any further fields, then `commit`s it.
  Event next_event(detail::time_point now) const {
    Event ev;
    ev.set_version(version_ + 1);
    ev.set_at_ms(detail::to_ms(now));
    return ev;
  }

  /// Applies `ev` and returns it, for the journal; the operations check first, so a failure
  /// here means they missed what `apply` checks.
  caf::expected<Event> commit(Event ev) {
    if (auto err = apply(ev))
      return err;
    return ev;
  }

  /// An `ec::storage_corruption` error: "<prefix>: <what>".
  caf::error corrupt(std::string what) const {
    return detail::fail(ec::storage_corruption,
                        self().corruption_prefix() + ": " + std::move(what));
  }

  /// Sets the version when the state is restored from a snapshot instead of replayed.
  void restore_version(uint64_t version) noexcept { version_ = version; }

private:
  Derived& self() noexcept { return static_cast<Derived&>(*this); }
  const Derived& self() const noexcept { return static_cast<const Derived&>(*this); }

  uint64_t version_ = 0;
};

} // namespace seatgrab::domain
