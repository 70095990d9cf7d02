#pragma once

#include "actors/context.hpp"
#include "actors/resolver.hpp"
#include "cluster/catalog.hpp"
#include "cluster/membership.hpp"
#include "cluster/peering.hpp"
#include "cluster/registry.hpp"
#include "messages/ec.hpp"
#include "persistence/durability.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include <filesystem>
#include <memory>
#include <optional>
#include <type_traits>

namespace seatgrab::persistence {
class store;
class group_commit;
} // namespace seatgrab::persistence

namespace seatgrab::cluster {

struct node_options {
  std::filesystem::path data_dir = "./data";
  persistence::durability durability = persistence::durability::fsync;
  size_t threads = 0;             ///< CAF worker threads; 0 = one per core
  domain::time_point wall_origin; ///< wall time "now" at start, read once by the caller
  registry_options actors;        ///< payment provider and box office settings
  /// The cluster file's members and which one this node is; none: a cluster of one.
  std::optional<membership> cluster{};
  peering_options peering{}; ///< how members reconnect
  /// The members' shared secret (--cluster-secret-file): every member derives the same
  /// admission-token and card-hash keys from it, so a token issued by the room on one member
  /// is checked by a session on another. Empty: the keys are the data dir's own.
  std::string cluster_secret{};
  /// The operators' token (`--admin-token`): the admin shell's commands need it. Empty: the
  /// admin actor refuses every command.
  std::string admin_token{};
  /// The bot guard's rules of events whose operator set none.
  bot_rules bot_defaults{};
  /// Whether joins and checkouts pass the events' bot guards at all (`serve --bot-guard off`).
  bool bot_guard = true;
  /// Mutual TLS between members (and with the admin shell): this node's certificate chain and
  /// key, and the cluster's CA whose certificates alone are accepted. All empty: plain TCP.
  struct {
    std::string cert, key, ca;
  } cluster_tls{};
};

/// One SeatGrab node: its database, the journal writer thread, the actor system on the real
/// scheduler, the catalog (which recovers every event on start), the placement registry (which
/// activates each event's actors) and the resolver that caches the registry's answers.
class node {
public:
  /// Opens the data dir (errors name it), checks every journal record, starts the actors.
  static caf::expected<std::unique_ptr<node>> start(const node_options& opts);

  /// Stops every actor, then writes what is pending and closes the journal.
  ~node();

  caf::actor_system& sys() { return sys_; }
  /// The venues and events on sale.
  catalog_actor catalog() const { return catalog_; }
  /// Entity id -> actor; a lookup activates the actor if it is not running.
  registry_actor registry() const { return registry_; }
  /// What the admin shell talks to.
  admin_actor admin() const { return admin_; }
  /// The registry's answers, cached: what the edge and the actors look actors up with.
  actors::resolver& resolver() { return *resolver_; }
  /// The node's bridge actors, for threads that are not actors (the edge) to ask actors.
  actors::lanes& lanes() { return *lanes_; }
  /// Which member owns what (the edge routes account calls by it).
  placement_ptr placement() const { return placement_; }
  /// What the node's actors share (store, journal writer, clock, keys).
  actors::context_ptr context() const { return ctx_; }
  persistence::store& db() { return *db_; }

  /// A blocking request from a thread that is not an actor (command line, tests); `T` may be
  /// void.
  template <class T, class Handle, class... Ts>
  caf::expected<T> call(const Handle& dest, Ts&&... xs) {
    caf::scoped_actor self{sys_};
    caf::expected<T> result{caf::make_error(ec::unavailable, "no reply")};
    auto req = self->request(dest, std::chrono::seconds{30}, std::forward<Ts>(xs)...);
    if constexpr (std::is_void_v<T>)
      req.receive([&] { result = caf::expected<void>{}; },
                  [&](caf::error& err) { result = std::move(err); });
    else
      req.receive([&](T& x) { result = std::move(x); },
                  [&](caf::error& err) { result = std::move(err); });
    return result;
  }

private:
  struct config : caf::actor_system_config {
    /// With `remoting`, CAF's middleman with heartbeats (a silent peer is dropped).
    config(size_t threads, bool remoting, const node_options& opts);
  };

  node(std::unique_ptr<persistence::store> db, std::shared_ptr<const security::key_ring> keys,
       std::string card_key, std::string edge_key, const node_options& opts);

  std::unique_ptr<persistence::store> db_;
  std::unique_ptr<persistence::group_commit> writer_;
  config cfg_;
  caf::actor_system sys_;
  actors::context_ptr ctx_;
  actors::resolver_ptr resolver_;
  std::unique_ptr<actors::lanes> lanes_;
  registry_actor registry_;
  catalog_actor catalog_;
  admin_actor admin_;
  placement_ptr placement_;
  caf::actor peering_; // none in a cluster of one
};

} // namespace seatgrab::cluster
