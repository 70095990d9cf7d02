#include "cluster/placement.hpp"

#include <algorithm>
#include <utility>

namespace seatgrab::cluster {

node_id single_member::owner(actors::actor_kind, std::string_view) const {
  return self_;
}

rendezvous::rendezvous(std::vector<node_id> members, node_id self)
    : members_(std::move(members)), self_(std::move(self)) {}

uint64_t rendezvous::weight(std::string_view member, std::string_view id) {
  uint64_t h = 14695981039346656037ull; // FNV-1a 64
  auto mix = [&h](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ull;
    }
  };
  mix(member);
  mix(std::string_view{"\0", 1}); // "ab"+"c" and "a"+"bc" differ
  mix(id);
  // SplitMix64's finalizer: FNV alone leaves the high bits of similar keys correlated.
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebull;
  h ^= h >> 31;
  return h;
}

node_id rendezvous::owner(actors::actor_kind kind, std::string_view id) const {
  if (kind == actors::actor_kind::accounts && members_.size() > 1)
    for (const auto& m : members_)
      if (m == id)
        return m;
  return highest(id);
}

node_id rendezvous::highest(std::string_view id) const {
  const node_id* best = nullptr;
  uint64_t best_weight = 0;
  for (const auto& m : members_) {
    auto w = weight(m, id);
    // Ties (never seen in practice) go to the smaller name, the same on every node.
    if (best == nullptr || w > best_weight || (w == best_weight && m < *best)) {
      best = &m;
      best_weight = w;
    }
  }
  return best != nullptr ? *best : self_;
}

std::string rendezvous::account_shard(std::string_view email) const {
  if (members_.size() == 1)
    return {};
  return highest(email);
}

bool rendezvous::is_member(const node_id& name) const {
  return std::find(members_.begin(), members_.end(), name) != members_.end();
}

std::vector<node_id> rendezvous::ranked(std::string_view id) const {
  std::vector<std::pair<uint64_t, const node_id*>> ws;
  ws.reserve(members_.size());
  for (const auto& m : members_)
    ws.emplace_back(weight(m, id), &m);
  std::sort(ws.begin(), ws.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : *a.second < *b.second;
  });
  std::vector<node_id> out;
  out.reserve(ws.size());
  for (const auto& [w, m] : ws)
    out.push_back(*m);
  return out;
}

} // namespace seatgrab::cluster
