#include "http/lookup.hpp"

#include "cluster/node.hpp"
#include "http/bridge.hpp"
#include "messages/ec.hpp"

#include <spdlog/spdlog.h>

namespace seatgrab::http {

lookup::lookup(cluster::node& node) : sys_(&node.sys()), directory_(node.directory()) {
  auto acc = node.call<accounts_actor>(directory_, atom::get_v, atom::accounts_v);
  if (acc)
    accounts_ = *acc;
  else
    spdlog::error("no account registry: {}", render(acc.error()));
}

void lookup::event(const std::string& id, std::function<void(caf::expected<event_actor>)> k) const {
  ask<event_actor>(*sys_, directory_, std::move(k), atom::get_v, atom::event_v, id);
}

void lookup::room(const std::string& id,
                  std::function<void(caf::expected<waiting_room_actor>)> k) const {
  ask<waiting_room_actor>(*sys_, directory_, std::move(k), atom::get_v, atom::queue_v, id);
}

void lookup::office(const std::string& id,
                    std::function<void(caf::expected<box_office_actor>)> k) const {
  ask<box_office_actor>(*sys_, directory_, std::move(k), atom::get_v, atom::box_office_v, id);
}

void lookup::session(const std::string& account,
                     std::function<void(caf::expected<session_actor>)> k) const {
  ask<session_actor>(*sys_, directory_, std::move(k), atom::get_v, atom::session_v, account);
}

void lookup::session_from(caf::event_based_actor* self, const std::string& account,
                          std::function<void(session_actor&)> k) const {
  self->request(directory_, call_timeout, atom::get_v, atom::session_v, account)
      .then([k](session_actor& s) { k(s); }, [](caf::error&) {});
}

void lookup::events(std::function<void(caf::expected<std::vector<event_info>>)> k) const {
  ask<std::vector<event_info>>(*sys_, directory_, std::move(k), atom::get_v, atom::events_v);
}

void lookup::add_venue(std::string venue_json,
                       std::function<void(caf::expected<std::string>)> k) const {
  ask<std::string>(*sys_, directory_, std::move(k), atom::put_v, atom::venue_v,
                   std::move(venue_json));
}

void lookup::add_event(event_info ev, std::function<void(caf::expected<std::string>)> k) const {
  ask<std::string>(*sys_, directory_, std::move(k), atom::put_v, std::move(ev));
}

} // namespace seatgrab::http
