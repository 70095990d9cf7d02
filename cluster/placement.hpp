#pragma once

// Placement: which node owns an entity. One member for now; a later issue replaces the
// single-member placement with rendezvous hashing over the cluster's members.

#include "actors/resolver.hpp"

#include <memory>
#include <string>
#include <string_view>

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

  /// Whether this node owns (kind, id).
  bool local(actors::actor_kind kind, std::string_view id) const {
    return owner(kind, id) == self();
  }
};

/// The placement of a cluster of one: this node owns every entity.
class single_member : public placement {
public:
  explicit single_member(node_id self = "local") : self_(std::move(self)) {}

  node_id owner(actors::actor_kind kind, std::string_view id) const override;

  const node_id& self() const override { return self_; }

private:
  node_id self_;
};

/// Shared by the registry and whoever asks where an entity lives.
using placement_ptr = std::shared_ptr<const placement>;

} // namespace seatgrab::cluster
