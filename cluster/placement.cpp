#include "cluster/placement.hpp"

namespace seatgrab::cluster {

node_id single_member::owner(actors::actor_kind, std::string_view) const {
  return self_;
}

} // namespace seatgrab::cluster
