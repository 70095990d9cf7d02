#include "http/lookup.hpp"

#include "actors/resolver.hpp"
#include "cluster/node.hpp"
#include "cluster/placement.hpp"
#include "domain/accounts.hpp"
#include "http/bridge.hpp"
#include "messages/ec.hpp"

#include <spdlog/spdlog.h>

namespace seatgrab::http {

lookup::lookup(cluster::node& node)
    : sys_(&node.sys()), lanes_(&node.lanes()), resolver_(&node.resolver()),
      catalog_(node.catalog()), placement_(node.placement()) {
  // Cached now, so the first sign-up does not wait for it.
  auto acc = node.call<accounts_actor>(node.registry(), atom::get_v, atom::accounts_v,
                                       placement_->own_shard());
  if (!acc)
    spdlog::error("no account registry: {}", render(acc.error()));
}

void lookup::accounts_for_email(const std::string& email,
                                std::function<void(caf::expected<accounts_actor>)> k) const {
  auto normalized = domain::normalize_email(email);
  auto shard = normalized ? placement_->account_shard(*normalized) : placement_->own_shard();
  resolver_->ask<accounts_actor>(*lanes_, call_timeout, std::move(k), shard);
}

void lookup::accounts_for_token(const std::string& token,
                                std::function<void(caf::expected<accounts_actor>)> k) const {
  // The prefix is the client's to choose: a shard that does not exist is an unknown token, and
  // costs no lookup.
  auto shard = std::string{domain::shard_of(token)};
  auto known = placement_->own_shard().empty() ? shard.empty() : placement_->is_member(shard);
  if (!known)
    return k(caf::make_error(ec::unauthenticated, "unknown or expired token"));
  resolver_->ask<accounts_actor>(*lanes_, call_timeout, std::move(k), std::move(shard));
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

void lookup::bots(const std::string& id,
                  std::function<void(caf::expected<bot_guard_actor>)> k) const {
  resolver_->ask<bot_guard_actor>(*lanes_, call_timeout, std::move(k), id);
}

void lookup::pricing(const std::string& id,
                     std::function<void(caf::expected<pricing_actor>)> k) const {
  resolver_->ask<pricing_actor>(*lanes_, call_timeout, std::move(k), id);
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

void lookup::bots_from(caf::event_based_actor* self, const std::string& event_id,
                       std::function<void(bot_guard_actor&)> k) const {
  resolver_->resolve<bot_guard_actor>(self, call_timeout, event_id)
      .then([k](bot_guard_actor g) { k(g); }, [](caf::error&) {});
}

void lookup::events(std::function<void(caf::expected<std::vector<event_info>>)> k) const {
  ask<std::vector<event_info>>(*lanes_, catalog_, std::move(k), atom::get_v, atom::events_v);
}

void lookup::venue(const std::string& id, std::function<void(caf::expected<std::string>)> k) const {
  ask<std::string>(*lanes_, catalog_, std::move(k), atom::get_v, atom::venue_v, id);
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
