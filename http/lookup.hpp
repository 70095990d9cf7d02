#pragma once

// Every actor the edge finds, it finds here: the one place that knows where an event's actors,
// a fan's session and the account registry live: the node's resolver (one cache of the
// placement registry's answers, shared with the actors) and its catalog.

#include "messages/interfaces.hpp"

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace seatgrab::cluster {
class node;
class placement;
} // namespace seatgrab::cluster

namespace seatgrab::actors {
class lanes;
class resolver;
} // namespace seatgrab::actors

namespace seatgrab::http {

/// Finds actors for the edge, without blocking (except once, at construction). Cheap to copy;
/// a lookup the resolver has cached continues at once on the caller's thread, any other on a
/// CAF worker.
class lookup {
public:
  /// Uses `node`'s resolver, placement and catalog; asks for its account shard now (blocking,
  /// at start).
  explicit lookup(cluster::node& node);

  /// The actor system every request goes through.
  caf::actor_system& sys() const { return *sys_; }

  /// The node's bridge actors: every call from the edge is a job on one of them.
  actors::lanes& lanes() const { return *lanes_; }

  /// The account shard that keeps `email` (sign-up, log-in, a transfer's recipient): the
  /// placement's shard of the normalized e-mail, or this node's own for an e-mail that does
  /// not normalize (its registry answers the error, as for any). While the member that keeps
  /// it is away: `unavailable` (503).
  void accounts_for_email(const std::string& email,
                          std::function<void(caf::expected<accounts_actor>)> k) const;

  /// The account shard that issued bearer `token` (its prefix, domain::shard_of);
  /// `unauthenticated` for a prefix that names no shard.
  void accounts_for_token(const std::string& token,
                          std::function<void(caf::expected<accounts_actor>)> k) const;

  /// The actor of event `id`.
  void event(const std::string& id, std::function<void(caf::expected<event_actor>)> k) const;

  /// The waiting room of event `id`.
  void room(const std::string& id, std::function<void(caf::expected<waiting_room_actor>)> k) const;

  /// The box office of event `id`.
  void office(const std::string& id, std::function<void(caf::expected<box_office_actor>)> k) const;

  /// The pricing engine of event `id`.
  void pricing(const std::string& id, std::function<void(caf::expected<pricing_actor>)> k) const;

  /// The bot guard of event `id`.
  void bots(const std::string& id, std::function<void(caf::expected<bot_guard_actor>)> k) const;

  /// The session of `account`.
  void session(const std::string& account,
               std::function<void(caf::expected<session_actor>)> k) const;

  /// The waiting room of `event_id`, asked from inside actor `self` (its continuation runs there;
  /// errors are dropped).
  void room_from(caf::event_based_actor* self, const std::string& event_id,
                 std::function<void(waiting_room_actor&)> k) const;

  /// The bot guard of `event_id`, asked from inside actor `self`, as `room_from`.
  void bots_from(caf::event_based_actor* self, const std::string& event_id,
                 std::function<void(bot_guard_actor&)> k) const;

  /// Every event of the catalog.
  void events(std::function<void(caf::expected<std::vector<event_info>>)> k) const;

  /// The JSON of venue `id`, as it was added.
  void venue(const std::string& id, std::function<void(caf::expected<std::string>)> k) const;

  /// Adds a venue from its JSON; `k` gets its id.
  void add_venue(std::string venue_json, std::function<void(caf::expected<std::string>)> k) const;

  /// Adds an event; `k` gets its id once its actors are live.
  void add_event(event_info ev, std::function<void(caf::expected<std::string>)> k) const;

private:
  caf::actor_system* sys_;
  actors::lanes* lanes_;
  actors::resolver* resolver_;
  catalog_actor catalog_;
  std::shared_ptr<const cluster::placement> placement_;
};

} // namespace seatgrab::http
