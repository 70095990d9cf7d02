#pragma once

// The node's one cache of placement answers (entity id -> actor), in front of the registry
// (cluster/registry.hpp). Actors and the edge's I/O threads share it: a hit answers without a
// message, a miss asks the registry. The registry alone fills it (when it spawns an actor) and
// empties it (when it sees the actor's down message), so an entry never outlives its actor's
// registration.

#include "actors/lanes.hpp"
#include "messages/interfaces.hpp"

#include <caf/actor.hpp>
#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/expected.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>

namespace seatgrab::actors {

/// The kinds of actor the registry places, one factory each.
enum class actor_kind : uint8_t {
  section,
  event,
  waiting_room,
  box_office,
  session,
  accounts,
  pricing,
  bot_guard
};

/// How a kind is named in logs ("box office").
const char* to_string(actor_kind kind);

/// How a kind is named in its actors' status and by the admin shell ("box_office").
const char* status_kind(actor_kind kind);

/// What the registry answers for one handle type: its kind and the atom of its lookup
/// (`get <atom> ids...`).
template <class Handle>
struct lookup;

template <>
struct lookup<section_actor> {
  static constexpr auto kind = actor_kind::section;
  static constexpr auto what = atom::section_v;
};

template <>
struct lookup<event_actor> {
  static constexpr auto kind = actor_kind::event;
  static constexpr auto what = atom::event_v;
};

template <>
struct lookup<waiting_room_actor> {
  static constexpr auto kind = actor_kind::waiting_room;
  static constexpr auto what = atom::queue_v;
};

template <>
struct lookup<box_office_actor> {
  static constexpr auto kind = actor_kind::box_office;
  static constexpr auto what = atom::box_office_v;
};

template <>
struct lookup<pricing_actor> {
  static constexpr auto kind = actor_kind::pricing;
  static constexpr auto what = atom::pricing_v;
};

template <>
struct lookup<bot_guard_actor> {
  static constexpr auto kind = actor_kind::bot_guard;
  static constexpr auto what = atom::bots_v;
};

template <>
struct lookup<session_actor> {
  static constexpr auto kind = actor_kind::session;
  static constexpr auto what = atom::session_v;
};

template <>
struct lookup<accounts_actor> {
  static constexpr auto kind = actor_kind::accounts;
  static constexpr auto what = atom::accounts_v;
};

/// The id the registry files an actor under, from its lookup's arguments: the event id, the
/// account id (a session), the shard (an account registry), or (event id, section id) for a
/// section.
std::string entity_id(std::string_view id);
std::string entity_id(std::string_view event_id, std::string_view section_id);

/// The local resolver: one thread-safe cache of the registry's answers.
class resolver {
public:
  /// The registry that answers misses; set once, before the first lookup (spawn_registry).
  void attach(registry_actor registry);

  /// The registry that answers misses.
  registry_actor registry() const;

  /// The cached handle of the actor that `ids` name, or an invalid handle. Never a message.
  template <class Handle, class... Ids>
  Handle cached(const Ids&... ids) const {
    auto hdl = find(lookup<Handle>::kind, entity_id(ids...));
    if (!hdl) {
      misses_.fetch_add(1, std::memory_order_relaxed);
      return Handle{};
    }
    hits_.fetch_add(1, std::memory_order_relaxed);
    return caf::actor_cast<Handle>(hdl);
  }

  /// From an actor: calls `f(Handle)` at once on a hit; on a miss asks the registry and calls
  /// `f` with its answer, or `on_error(caf::error&)`, as a response handler of `self`.
  template <class Handle, class Self, class F, class OnError, class... Ids>
  void with(Self* self, caf::timespan timeout, F f, OnError on_error, const Ids&... ids) const {
    if (auto hdl = cached<Handle>(ids...)) {
      f(std::move(hdl));
      return;
    }
    self->request(registry(), timeout, atom::get_v, lookup<Handle>::what, ids...)
        .then([f](Handle& hdl) mutable { f(std::move(hdl)); },
              [on_error](caf::error& err) mutable { on_error(err); });
  }

  /// From an actor: the lookup of `ids`, to be continued with `.then(f, on_error)` as with
  /// `with` (a request's shape, but a hit sends nothing).
  template <class Handle, class Self, class... Ids>
  auto resolve(Self* self, caf::timespan timeout, Ids... ids) const {
    return pending<Handle, Self, Ids...>{*this, self, timeout, {std::move(ids)...}};
  }

  /// A lookup begun by `resolve`.
  template <class Handle, class Self, class... Ids>
  struct pending {
    const resolver& res;
    Self* self;
    caf::timespan timeout;
    std::tuple<Ids...> ids;

    /// Calls `f(Handle)` or `on_error(caf::error&)` with the answer.
    template <class F, class OnError>
    void then(F f, OnError on_error) {
      std::apply(
          [&](const Ids&... xs) {
            res.with<Handle>(self, timeout, std::move(f), std::move(on_error), xs...);
          },
          ids);
    }
  };

  /// From a thread that is not an actor (the edge): calls `k` at once, on the caller's thread,
  /// on a hit; on a miss a bridge lane asks the registry and calls `k` on a CAF worker.
  template <class Handle, class... Ids>
  void ask(lanes& via, caf::timespan timeout, std::function<void(caf::expected<Handle>)> k,
           Ids... ids) const {
    if (auto hdl = cached<Handle>(ids...)) {
      k(std::move(hdl));
      return;
    }
    via.post([reg = registry(), timeout, k = std::move(k), ids...](caf::event_based_actor* self) {
      self->request(reg, timeout, atom::get_v, lookup<Handle>::what, ids...)
          .then([k](Handle& hdl) { k(std::move(hdl)); },
                [k](caf::error& err) { k(std::move(err)); });
    });
  }

  /// Lookups answered from the cache so far.
  uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }

  /// Lookups that were not in the cache (each asked the registry, but `cached`).
  uint64_t misses() const { return misses_.load(std::memory_order_relaxed); }

  // -- the registry's side ---------------------------------------------------------------

  /// The registry placed `hdl` as (kind, id).
  void put(actor_kind kind, const std::string& id, caf::actor hdl);

  /// The actor of (kind, id) went down: it leaves the cache.
  void drop(actor_kind kind, const std::string& id);

  /// The registry stopped: nothing it placed is an answer any longer.
  void clear();

private:
  caf::actor find(actor_kind kind, const std::string& id) const;

  static std::string key(actor_kind kind, std::string_view id);

  mutable std::shared_mutex mtx_;
  registry_actor registry_;
  std::unordered_map<std::string, caf::actor> cache_; // "<kind>/<id>" -> actor
  mutable std::atomic<uint64_t> hits_{0};
  mutable std::atomic<uint64_t> misses_{0};
};

/// Shared by the registry, the actors it spawns and the edge.
using resolver_ptr = std::shared_ptr<resolver>;

} // namespace seatgrab::actors
