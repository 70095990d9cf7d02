#include "http/lookup.hpp"

#include "actors/resolver.hpp"
#include "cluster/node.hpp"
#include "http/bridge.hpp"
#include "messages/ec.hpp"

#include <spdlog/spdlog.h>

namespace seatgrab::http {

lookup::lookup(cluster::node& node)
    : sys_(&node.sys()), lanes_(&node.lanes()), resolver_(&node.resolver()),
      catalog_(node.catalog()) {
  // Cached now, so the first sign-up does not wait for it.
  auto acc = node.call<accounts_actor>(node.registry(), atom::get_v, atom::accounts_v);
  if (!acc)
    spdlog::error("no account registry: {}", render(acc.error()));
}

accounts_actor lookup::accounts() const {
  if (auto hdl = resolver_->cached<accounts_actor>())
    return hdl;
  // Its member went (or restarted): asking the registry caches the new one once it is back.
  resolver_->ask<accounts_actor>(*lanes_, call_timeout, [](caf::expected<accounts_actor>) {});
  return {};
}

void lookup::event(const std::string& id, std::function<void(caf::expected<event_actor>)> k) const {
  resolver_->ask<event_actor>(*lanes_, call_timeout, std::move(k), id);
}

void lookup::room(const std::string& id,
                  std::function<void(caf::expected<waiting_room_actor>)> k) const {
  resolver_->ask<waiting_room_actor>(*lanes_, call_timeout, std::move(k), id);
}

void lookup::office(const std::string& id,
                    std::function<void(caf::expected<box_office_actor>)> k) const {
  resolver_->ask<box_office_actor>(*lanes_, call_timeout, std::move(k), id);
}

void lookup::session(const std::string& account,
                     std::function<void(caf::expected<session_actor>)> k) const {
  resolver_->ask<session_actor>(*lanes_, call_timeout, std::move(k), account);
}

void lookup::room_from(caf::event_based_actor* self, const std::string& event_id,
                       std::function<void(waiting_room_actor&)> k) const {
  resolver_->resolve<waiting_room_actor>(self, call_timeout, event_id)
      .then([k](waiting_room_actor r) { k(r); }, [](caf::error&) {});
}

void lookup::events(std::function<void(caf::expected<std::vector<event_info>>)> k) const {
  ask<std::vector<event_info>>(*lanes_, catalog_, std::move(k), atom::get_v, atom::events_v);
}

void lookup::add_venue(std::string venue_json,
                       std::function<void(caf::expected<std::string>)> k) const {
  ask<std::string>(*lanes_, catalog_, std::move(k), atom::put_v, atom::venue_v,
                   std::move(venue_json));
}

void lookup::add_event(event_info ev, std::function<void(caf::expected<std::string>)> k) const {
  ask<std::string>(*lanes_, catalog_, std::move(k), atom::put_v, std::move(ev));
}

} // namespace seatgrab::http
