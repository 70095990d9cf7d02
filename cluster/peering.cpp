#include "cluster/peering.hpp"

#include "messages/ec.hpp"
#include "messages/type_ids.hpp"

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>
#include <caf/openssl/publish.hpp>
#include <caf/send.hpp>
#include <spdlog/spdlog.h>

#include <map>
#include <set>

namespace seatgrab::cluster {

namespace {

struct peer {
  endpoint address;
  std::chrono::milliseconds backoff;
  caf::actor_addr connected; // null while not connected
};

void connect(caf::event_based_actor* self, std::shared_ptr<std::map<std::string, peer>> peers,
             registry_actor registry, peering_options opts, const std::string& name);

/// Tries `name` again after its backoff, which doubles up to the maximum.
void retry(caf::event_based_actor* self, std::map<std::string, peer>& peers,
           const peering_options& opts, const std::string& name) {
  auto& p = peers.at(name);
  self->delayed_send(self, p.backoff, atom::tick_v, name);
  p.backoff = std::min(p.backoff * 2, opts.retry_max);
}

void connect(caf::event_based_actor* self, std::shared_ptr<std::map<std::string, peer>> peers,
             registry_actor registry, peering_options opts, const std::string& name) {
  const auto& address = peers->at(name).address;
  auto& sys = self->home_system();
  auto mm = opts.tls ? sys.openssl_manager().actor_handle() : sys.middleman().actor_handle();
  self->request(mm, opts.connect_timeout, caf::connect_atom::value, address.host, address.port)
      .then(
          [=](const caf::node_id&, caf::strong_actor_ptr& ptr, const std::set<std::string>&) {
            auto remote = caf::actor_cast<caf::actor>(ptr);
            if (!remote) {
              retry(self, *peers, opts, name);
              return;
            }
            auto& p = peers->at(name);
            p.backoff = opts.retry_min;
            p.connected = remote.address();
            self->monitor(remote);
            self->send(registry, atom::join_v, name, remote);
          },
          [=](caf::error& err) {
            spdlog::debug("cluster member {} at {}: {}", name, to_string(peers->at(name).address),
                          render(err));
            retry(self, *peers, opts, name);
          });
}

} // namespace

caf::expected<caf::actor> start_peering(caf::actor_system& sys, const membership& members,
                                        registry_actor registry, peering_options opts) {
  const auto& me = members.me();
  auto published =
      opts.tls ? caf::openssl::publish(registry, me.cluster.port, me.cluster.host.c_str(), true)
               : sys.middleman().publish(registry, me.cluster.port, me.cluster.host.c_str(), true);
  if (!published)
    return caf::make_error(ec::unavailable, "cannot publish the registry on " +
                                                to_string(me.cluster) + ": " +
                                                sys.render(published.error()));
  auto peers = std::make_shared<std::map<std::string, peer>>();
  for (const auto& m : members.members)
    if (m.name != me.name)
      peers->emplace(m.name, peer{m.cluster, opts.retry_min, {}});
  return sys.spawn([peers, registry, opts](caf::event_based_actor* self) -> caf::behavior {
    for (const auto& [name, p] : *peers)
      connect(self, peers, registry, opts, name);
    self->set_down_handler([=](caf::down_msg& msg) {
      for (auto& [name, p] : *peers)
        if (p.connected == msg.source) {
          spdlog::warn("lost the connection to cluster member {}: {}", name, render(msg.reason));
          p.connected = caf::actor_addr{};
          retry(self, *peers, opts, name);
        }
    });
    return {[=](atom::tick, std::string& name) {
      if (peers->count(name) != 0 && !peers->at(name).connected)
        connect(self, peers, registry, opts, name);
    }};
  });
}

} // namespace seatgrab::cluster
