#pragma once

// What an actor publishes for the rest of its node to read without a message: a waiting
// room's board (polls of waiting fans), an event's rules of holds (sessions place holds in the
// sections themselves). One directory per kind, in the node's `actor_context`.

#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <utility>

namespace seatgrab::actors {

/// Objects published by the node's actors, by entity id: as many entries as live publishers.
template <class T>
class published {
public:
  /// Publishes `x` for `id`, replacing what was there.
  void put(const std::string& id, std::shared_ptr<T> x) {
    std::unique_lock guard{mtx_};
    entries_[id] = std::move(x);
  }

  /// Removes the entry of `id` if it is still `x` (an actor that started again put its own).
  void erase(const std::string& id, const T* x) {
    std::unique_lock guard{mtx_};
    if (auto i = entries_.find(id); i != entries_.end() && i->second.get() == x)
      entries_.erase(i);
  }

  /// What `id` published, or null.
  std::shared_ptr<T> find(const std::string& id) const {
    std::shared_lock guard{mtx_};
    auto i = entries_.find(id);
    return i == entries_.end() ? nullptr : i->second;
  }

private:
  mutable std::shared_mutex mtx_;
  std::unordered_map<std::string, std::shared_ptr<T>> entries_;
};

/// Publishes `x` for `id` in `dir` while actor `self` lives: the entry goes when it exits.
template <class Self, class T>
void publish_while_alive(Self* self, const std::shared_ptr<published<T>>& dir,
                         const std::string& id, std::shared_ptr<T> x) {
  auto* raw = x.get();
  dir->put(id, std::move(x));
  self->attach_functor([dir, id, raw] { dir->erase(id, raw); });
}

} // namespace seatgrab::actors
