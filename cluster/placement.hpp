#pragma once

// Placement: which node owns an entity. A cluster of one owns everything (single_member);
// a cluster of several ranks its members per entity by rendezvous hashing (rendezvous), so that
// every node computes the same owner without asking anyone, and a member that leaves moves
// only its own entities.

#include "actors/resolver.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace seatgrab::cluster {

/// A cluster member, by its id.
using node_id = std::string;

/// Maps an entity (kind, id) to the node that owns it.
class placement {
public:
  virtual ~placement() = default;

  /// The node that owns (kind, id).
  virtual node_id owner(actors::actor_kind kind, std::string_view id) const = 0;

  /// This node's id.
  virtual const node_id& self() const = 0;

  /// Whether `name` is a member of the cluster (what a peer's `join` names must be).
  virtual bool is_member(const node_id& name) const = 0;

  /// Whether this node owns (kind, id).
  bool local(actors::actor_kind kind, std::string_view id) const {
    return owner(kind, id) == self();
  }

  /// The account shard that keeps `email` (normalized): accounts are placed by e-mail, so
  /// sign-ups and log-ins spread over the members and one member's death locks out only its
  /// own shard's fans. A shard is named by the member that keeps it (the actor kind
  /// `accounts`, id = shard, lives there); a cluster of one has the one shard "".
  virtual std::string account_shard(std::string_view email) const = 0;

  /// The shard this node keeps.
  virtual std::string own_shard() const = 0;
};

/// The placement of a cluster of one: this node owns every entity.
class single_member : public placement {
public:
  explicit single_member(node_id self = "local") : self_(std::move(self)) {}

  node_id owner(actors::actor_kind kind, std::string_view id) const override;

  const node_id& self() const override { return self_; }

  bool is_member(const node_id& name) const override { return name == self_; }

  std::string account_shard(std::string_view) const override { return {}; }

  std::string own_shard() const override { return {}; }

private:
  node_id self_;
};

/// Rendezvous (highest random weight) hashing over a static member list: the owner of an
/// entity is the member with the highest `weight(member, placement key)`. An event's waiting
/// room, event actor and box office share the event id as their key, so they live together;
/// a section's key is "event/section", so one event's sections spread over the members.
class rendezvous : public placement {
public:
  /// `members` (at least one, no duplicates) in any order; `self` must be one of them.
  rendezvous(std::vector<node_id> members, node_id self);

  /// Rendezvous by id, but for an account shard, which lives on the member it is named by.
  node_id owner(actors::actor_kind kind, std::string_view id) const override;

  const node_id& self() const override { return self_; }

  bool is_member(const node_id& name) const override;

  /// The rendezvous owner of `email`; "" in a cluster of one member (as `single_member`, so
  /// its account ids and tokens stay those of a node without --cluster).
  std::string account_shard(std::string_view email) const override;

  std::string own_shard() const override { return members_.size() > 1 ? self_ : std::string{}; }

  /// Every member, best first: the owner, then the node a backup would go to (DESIGN §9's
  /// next step), and so on.
  std::vector<node_id> ranked(std::string_view id) const;

  /// The weight of `member` for `id`: 64 bits of FNV-1a over both, finished by a SplitMix64
  /// step. Fixed forever: a change would move every entity to another node's data dir.
  static uint64_t weight(std::string_view member, std::string_view id);

private:
  /// The member of the highest weight for `id`.
  node_id highest(std::string_view id) const;

  std::vector<node_id> members_;
  node_id self_;
};

/// Shared by the registry and whoever asks where an entity lives.
using placement_ptr = std::shared_ptr<const placement>;

} // namespace seatgrab::cluster
