#include "actors/resolver.hpp"

#include "domain/event.hpp"

#include <mutex>

namespace seatgrab::actors {

const char* to_string(actor_kind kind) {
  switch (kind) {
  case actor_kind::section:
    return "section";
  case actor_kind::event:
    return "event";
  case actor_kind::waiting_room:
    return "waiting room";
  case actor_kind::box_office:
    return "box office";
  case actor_kind::session:
    return "session";
  case actor_kind::accounts:
    return "accounts";
  case actor_kind::pricing:
    return "pricing";
  case actor_kind::bot_guard:
    return "bot guard";
  }
  return "actor";
}

const char* status_kind(actor_kind kind) {
  switch (kind) {
  case actor_kind::section:
    return "section";
  case actor_kind::event:
    return "event";
  case actor_kind::waiting_room:
    return "queue";
  case actor_kind::box_office:
    return "box_office";
  case actor_kind::session:
    return "session";
  case actor_kind::accounts:
    return "accounts";
  case actor_kind::pricing:
    return "pricing";
  case actor_kind::bot_guard:
    return "bot_guard";
  }
  return "actor";
}

std::string entity_id(std::string_view id) {
  return std::string{id};
}

std::string entity_id(std::string_view event_id, std::string_view section_id) {
  return domain::section_entity(event_id, section_id);
}

void resolver::attach(registry_actor registry) {
  std::unique_lock lock{mtx_};
  registry_ = std::move(registry);
}

registry_actor resolver::registry() const {
  std::shared_lock lock{mtx_};
  return registry_;
}

void resolver::put(actor_kind kind, const std::string& id, caf::actor hdl) {
  auto k = key(kind, id);
  std::unique_lock lock{mtx_};
  cache_[std::move(k)] = std::move(hdl);
}

void resolver::drop(actor_kind kind, const std::string& id) {
  auto k = key(kind, id);
  std::unique_lock lock{mtx_};
  cache_.erase(k);
}

void resolver::clear() {
  std::unique_lock lock{mtx_};
  cache_.clear();
}

caf::actor resolver::find(actor_kind kind, const std::string& id) const {
  auto k = key(kind, id);
  std::shared_lock lock{mtx_};
  if (auto i = cache_.find(k); i != cache_.end())
    return i->second;
  return caf::actor{};
}

std::string resolver::key(actor_kind kind, std::string_view id) {
  std::string k;
  k.reserve(id.size() + 2);
  k += static_cast<char>('0' + static_cast<int>(kind));
  k += '/';
  k += id;
  return k;
}

} // namespace seatgrab::actors
