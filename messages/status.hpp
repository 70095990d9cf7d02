#pragma once

// What an actor tells an operator about itself (`atom::status`): the admin shell's `inspect`
// and `actors` commands and the tests read it. Plain structs with CAF 0.17 `inspect`.

#include <cstdint>
#include <string>
#include <vector>

namespace seatgrab {

/// One named figure of an actor's state (times as milliseconds since the Unix epoch, flags as
/// 0 or 1).
struct status_counter {
  std::string name;
  int64_t value = 0;
  friend bool operator==(const status_counter&, const status_counter&) = default;
};

/// An actor's answer to `atom::status`.
struct actor_status {
  std::string kind;                     ///< "section", "event", "queue", "session", ...
  std::string id;                       ///< its entity id, e.g. "<event>/<section>"
  uint64_t version = 0;                 ///< events applied to its state (0 if it keeps none)
  uint64_t mailbox = 0;                 ///< messages waiting in its mailbox
  std::vector<status_counter> counters; ///< its key figures, in display order

  /// The counter `name`, or `fallback` if the actor has none of that name.
  int64_t counter(const std::string& name, int64_t fallback = -1) const {
    for (const auto& c : counters)
      if (c.name == name)
        return c.value;
    return fallback;
  }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, status_counter& x) {
  return f(x.name, x.value);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, actor_status& x) {
  return f(x.kind, x.id, x.version, x.mailbox, x.counters);
}

} // namespace seatgrab
