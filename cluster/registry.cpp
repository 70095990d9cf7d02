#include "cluster/registry.hpp"

#include "actors/bot_guard.hpp"
#include "actors/clock.hpp"
#include "actors/event.hpp"
#include "actors/gather.hpp"
#include "actors/pricing.hpp"
#include "actors/resolver.hpp"
#include "actors/section.hpp"
#include "actors/status.hpp"
#include "actors/waiting_room.hpp"
#include "domain/event.hpp"

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include <array>
#include <map>
#include <set>
#include <utility>

namespace seatgrab::cluster {

using actors::actor_kind;

/// An event the catalog registered: what its actors are spawned from.
struct event_spec {
  event_info info;
  std::shared_ptr<const domain::venue> venue;
};

struct registry_state {
  registry_state() = default; // see tests/support/test_system.hpp for why

  using key = std::pair<actor_kind, std::string>;

  actors::context_ptr ctx;
  actors::resolver_ptr resolver;
  placement_ptr placement;
  registry_options opts;
  std::map<std::string, event_spec> events;
  std::map<std::string, domain::section_config> section_configs; // by section entity id
  std::map<key, caf::actor> placed;                              // the live actors
  std::map<caf::actor_addr, key> keys;                           // down messages name the actor
  std::set<caf::actor_addr> children;          // every actor it linked, to tell exits apart
  std::map<key, caf::actor_addr> remote;       // other members' actors in the resolver's cache
  std::map<std::string, caf::actor> peers;     // connected members' registries, by member name
  std::map<std::string, peer_state> peer_info; // every member that ever joined, by name
  bool pinging = false;                        // the ping timer is armed
  catalog_actor catalog;                       // this node's, handed to the members that connect
  admin_actor admin;                           // this node's, handed to the admin shell

  static inline const char* name = "registry";
};

namespace {

using self_ptr = registry_actor::stateful_pointer<registry_state>;

caf::expected<caf::actor> place(self_ptr self, actor_kind kind, const std::string& id);

caf::error unknown_event(const std::string& id) {
  return caf::make_error(ec::not_found, "event " + id);
}

const event_spec* find_event(self_ptr self, const std::string& id) {
  auto& events = self->state.events;
  auto i = events.find(id);
  return i == events.end() ? nullptr : &i->second;
}

// -- the factories: how each kind is spawned (it recovers from its journal) -------------------

/// How to spawn one kind of actor.
struct factory {
  /// Spawns the actor of `id`; an error if `id` names nothing of this kind.
  caf::expected<caf::actor> (*spawn)(self_ptr self, const std::string& id);
  /// Linked actors end with the registry; sessions come and go, so they are only monitored
  /// (and stopped by hand).
  bool linked;
};

caf::expected<caf::actor> spawn_section(self_ptr self, const std::string& entity) {
  auto& st = self->state;
  auto cfg = st.section_configs.find(entity);
  if (cfg == st.section_configs.end())
    return caf::make_error(ec::unknown_section, entity);
  return caf::actor_cast<caf::actor>(actors::spawn_section(self->system(), cfg->second, st.ctx));
}

caf::expected<caf::actor> spawn_event(self_ptr self, const std::string& id) {
  auto ev = find_event(self, id);
  if (!ev)
    return unknown_event(id);
  auto& st = self->state;
  return caf::actor_cast<caf::actor>(
      actors::spawn_event(self->system(), ev->info, ev->venue, st.resolver, st.ctx));
}

caf::expected<caf::actor> spawn_waiting_room(self_ptr self, const std::string& id) {
  auto ev = find_event(self, id);
  if (!ev)
    return unknown_event(id);
  return caf::actor_cast<caf::actor>(
      actors::spawn_waiting_room(self->system(), ev->info, self->state.ctx));
}

caf::expected<caf::actor> spawn_box_office(self_ptr self, const std::string& id) {
  auto ev = find_event(self, id);
  if (!ev)
    return unknown_event(id);
  auto& st = self->state;
  auto opts = st.opts.box_office;
  opts.currency = ev->venue->currency; // orders are in the venue's currency
  return caf::actor_cast<caf::actor>(actors::spawn_box_office(self->system(), ev->info, st.resolver,
                                                              st.ctx, st.opts.payments, opts));
}

caf::expected<caf::actor> spawn_pricing(self_ptr self, const std::string& id) {
  auto ev = find_event(self, id);
  if (!ev)
    return unknown_event(id);
  auto& st = self->state;
  return caf::actor_cast<caf::actor>(
      actors::spawn_pricing(self->system(), ev->info, ev->venue, st.resolver, st.ctx));
}

caf::expected<caf::actor> spawn_bot_guard(self_ptr self, const std::string& id) {
  auto ev = find_event(self, id);
  if (!ev)
    return unknown_event(id);
  return caf::actor_cast<caf::actor>(
      actors::spawn_bot_guard(self->system(), ev->info, self->state.ctx));
}

caf::expected<caf::actor> spawn_session(self_ptr self, const std::string& account) {
  if (account.empty() || account.size() > 255)
    return caf::make_error(ec::invalid_argument, "malformed account id");
  auto& st = self->state;
  return caf::actor_cast<caf::actor>(
      actors::spawn_session(self->system(), account, st.resolver, st.ctx, st.opts.session));
}

caf::expected<caf::actor> spawn_accounts(self_ptr self, const std::string& shard) {
  auto& st = self->state;
  // Only this member's own shard: another name would start a second registry on its journal.
  if (shard != st.placement->own_shard())
    return caf::make_error(ec::not_found, "no account shard \"" + shard + "\"");
  auto opts = st.opts.accounts;
  opts.shard = shard;
  return caf::actor_cast<caf::actor>(actors::spawn_accounts(self->system(), st.ctx, opts));
}

/// The factory table, by `actor_kind`.
constexpr std::array<factory, 8> factories{{
    {spawn_section, true},
    {spawn_event, true},
    {spawn_waiting_room, true},
    {spawn_box_office, true},
    {spawn_session, false},
    {spawn_accounts, true},
    {spawn_pricing, true},
    {spawn_bot_guard, true},
}};

// -- placement and supervision ---------------------------------------------------------------

/// The live actor of (kind, id), spawned if it is not running.
caf::expected<caf::actor> place(self_ptr self, actor_kind kind, const std::string& id) {
  auto& st = self->state;
  auto k = registry_state::key{kind, id};
  if (auto i = st.placed.find(k); i != st.placed.end())
    return i->second;
  if (!st.placement->local(kind, id))
    return caf::make_error(ec::unavailable, std::string{actors::to_string(kind)} + " " + id +
                                                " lives on node " + st.placement->owner(kind, id));
  const auto& f = factories[static_cast<size_t>(kind)];
  auto hdl = f.spawn(self, id);
  if (!hdl)
    return hdl.error();
  self->monitor(*hdl);
  if (f.linked) {
    self->link_to(*hdl); // the registry's end is its children's end
    st.children.insert(hdl->address());
  }
  st.placed.emplace(k, *hdl);
  st.keys.emplace(hdl->address(), k);
  st.resolver->put(kind, id, *hdl);
  return hdl;
}

/// Caches `hdl`, the actor of (kind, id) on another member, and monitors it: when it stops, or
/// its member goes, it leaves the cache and the next lookup asks the owner again.
template <class Handle>
void cache_remote(self_ptr self, actor_kind kind, const std::string& id, const Handle& hdl) {
  auto& st = self->state;
  auto k = registry_state::key{kind, id};
  if (!hdl || st.remote.contains(k))
    return;
  auto remote = caf::actor_cast<caf::actor>(hdl);
  self->monitor(remote);
  st.remote.emplace(k, remote.address());
  st.keys.emplace(remote.address(), k);
  st.resolver->put(kind, id, remote);
}

/// A lookup of what member `owner` places goes to its registry, which answers the requester
/// itself; an unconnected owner is `unavailable` (the edge says 503 with Retry-After).
template <class Handle, class... Ts>
caf::result<Handle> forward(self_ptr self, actor_kind kind, const std::string& id, Ts&&... xs) {
  auto& st = self->state;
  auto owner = st.placement->owner(kind, id);
  auto i = st.peers.find(owner);
  if (i == st.peers.end())
    return caf::make_error(ec::unavailable, std::string{actors::to_string(kind)} + " " + id +
                                                " lives on node " + owner +
                                                ", which is not connected");
  ++st.peer_info[owner].lookups_forwarded;
  // Other members' actors are cached like local ones (cache_remote): a session that
  // passivates there leaves the cache here through its down message, as a local one does.
  auto rp = self->make_response_promise<Handle>();
  self->request(caf::actor_cast<registry_actor>(i->second), st.ctx->call_timeout, atom::get_v,
                std::forward<Ts>(xs)...)
      .then(
          [self, rp, kind, id](Handle& hdl) mutable {
            cache_remote(self, kind, id, hdl);
            rp.deliver(std::move(hdl));
          },
          [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
  return rp;
}

/// Answers a lookup with the typed handle of (kind of `Handle`, id): placed here, or asked of
/// its owner (`xs` are the lookup's arguments after `get`).
template <class Handle, class... Ts>
caf::result<Handle> answer(self_ptr self, const std::string& id, Ts&&... xs) {
  constexpr auto kind = actors::lookup<Handle>::kind;
  if (!self->state.placement->local(kind, id))
    return forward<Handle>(self, kind, id, actors::lookup<Handle>::what, std::forward<Ts>(xs)...);
  auto hdl = place(self, kind, id);
  if (!hdl)
    return hdl.error();
  return caf::actor_cast<Handle>(*hdl);
}

/// A stopped actor is forgotten, here and in the resolver's cache; the next lookup spawns it
/// again from its journal. A passivated session leaves quietly, and so does an actor stopped by
/// a failed journal write while writes are suspended (the writer logs that once).
void on_down(self_ptr self, const caf::down_msg& msg) {
  auto& st = self->state;
  for (auto p = st.peers.begin(); p != st.peers.end(); ++p)
    if (p->second.address() == msg.source) {
      spdlog::warn("cluster member {} is down: {}", p->first, render(msg.reason));
      auto& info = st.peer_info[p->first];
      info.up = false;
      info.since_ms = actors::to_ms(actors::now(self));
      st.peers.erase(p);
      return;
    }
  auto i = st.keys.find(msg.source);
  if (i == st.keys.end())
    return;
  auto [kind, id] = i->second;
  if (auto r = st.remote.find(i->second); r != st.remote.end() && r->second == msg.source) {
    // Another member's actor (or the member) went: ask its owner again next time.
    spdlog::debug("{} {} on another member is gone: {}", actors::to_string(kind), id,
                  render(msg.reason));
    st.resolver->drop(kind, id);
    st.remote.erase(r);
    st.keys.erase(i);
    return;
  }
  auto cause = ec_of(msg.reason);
  if (cause == ec::storage_full || cause == ec::storage_io)
    spdlog::debug("{} {} stopped: {}", actors::to_string(kind), id, render(msg.reason));
  else if (kind != actor_kind::session || (msg.reason && msg.reason != caf::exit_reason::normal))
    spdlog::warn("{} {} stopped: {}", actors::to_string(kind), id, render(msg.reason));
  st.resolver->drop(kind, id);
  st.placed.erase(i->second);
  st.keys.erase(i);
}

// -- what the registry tells operators ------------------------------------------------------

/// How often connected members are pinged (their round trip and actors for `nodes`).
constexpr auto ping_interval = std::chrono::seconds{1};

/// Pings every connected member with a status request: its answer is its last heartbeat.
void ping_peers(self_ptr self) {
  auto& st = self->state;
  for (auto& [name, peer] : st.peers) {
    auto sent = self->clock().now();
    self->request(caf::actor_cast<status_client_actor>(peer), ping_interval * 2, atom::status_v)
        .then(
            [self, name = name, sent](actor_status& status) {
              auto& info = self->state.peer_info[name];
              info.last_seen_ms = actors::to_ms(actors::now(self));
              info.rtt_us =
                  std::chrono::duration_cast<std::chrono::microseconds>(self->clock().now() - sent)
                      .count();
              info.actors = status.counter("live_actors");
              ++info.pings_ok;
            },
            [self, name = name](caf::error&) { ++self->state.peer_info[name].pings_failed; });
  }
  self->delayed_send(self, ping_interval, atom::tick_v);
}

/// The statuses of the actors placed here of `kind` (empty: all), at most `max_listed_actors`.
caf::result<std::vector<actor_status>> list_actors(self_ptr self, const std::string& kind) {
  std::vector<caf::actor> targets;
  for (const auto& [k, hdl] : self->state.placed) {
    if (!kind.empty() && kind != actors::status_kind(k.first))
      continue;
    if (targets.size() == max_listed_actors)
      break;
    targets.push_back(hdl);
  }
  auto rp = self->make_response_promise<std::vector<actor_status>>();
  auto g = actors::gather<actor_status>::make(targets.size(),
                                              [rp](actors::gathered<actor_status>& got) mutable {
                                                // An actor that stopped meanwhile is left out; the
                                                // registry forgets it on its down.
                                                rp.deliver(std::move(got.results));
                                              });
  for (size_t i = 0; i < targets.size(); ++i)
    actors::gather<actor_status>::await(
        g, i,
        self->request(caf::actor_cast<status_client_actor>(targets[i]),
                      self->state.ctx->call_timeout, atom::status_v));
  return rp;
}

/// Registers event `info` on `venue_json` and activates its actors: sections (which recover
/// and re-arm their timers), event actor, waiting room and box office (which resumes orders).
caf::error activate_event(self_ptr self, const event_info& info, const std::string& venue_json) {
  auto& st = self->state;
  if (!st.events.contains(info.id)) {
    auto v = domain::parse_venue(venue_json, "venue/" + info.venue_id);
    if (!v)
      return caf::make_error(ec::invalid_input, render(v.error()));
    auto venue = std::make_shared<const domain::venue>(std::move(*v));
    for (auto& cfg : domain::section_configs(info, *venue))
      st.section_configs.emplace(domain::section_entity(cfg.event_id, cfg.section_id),
                                 std::move(cfg));
    st.events.emplace(info.id, event_spec{info, std::move(venue)});
  }
  // Each member activates what it owns; the others' lookups come to it.
  for (const auto& sec : st.events.at(info.id).venue->sections) {
    auto entity = domain::section_entity(info.id, sec.id);
    if (!st.placement->local(actor_kind::section, entity))
      continue;
    if (auto hdl = place(self, actor_kind::section, entity); !hdl)
      return hdl.error();
  }
  for (auto kind : {actor_kind::event, actor_kind::waiting_room, actor_kind::box_office,
                    actor_kind::pricing, actor_kind::bot_guard}) {
    if (!st.placement->local(kind, info.id))
      continue;
    if (auto hdl = place(self, kind, info.id); !hdl)
      return hdl.error();
  }
  return {};
}

registry_actor::behavior_type registry(self_ptr self, actors::context_ptr ctx,
                                       actors::resolver_ptr resolver, registry_options opts,
                                       placement_ptr placement) {
  auto& st = self->state;
  st.ctx = std::move(ctx);
  st.resolver = std::move(resolver);
  st.opts = std::move(opts);
  st.placement = std::move(placement);
  // Every member keeps its own account shard, from the start.
  if (auto accounts = place(self, actor_kind::accounts, st.placement->own_shard()); !accounts) {
    spdlog::error("registry cannot start the account registry: {}", render(accounts.error()));
    self->quit(accounts.error());
  }
  // A child's exit is handled as a down message; only the registry's own shutdown request
  // ends it, and with it (through the links) every child.
  self->set_exit_handler([=](caf::exit_msg& msg) {
    auto& st = self->state;
    if (st.children.contains(msg.source))
      return;
    // Sessions come and go, so they are not linked: stop them by hand.
    for (auto& [k, hdl] : st.placed)
      if (k.first == actor_kind::session)
        self->send_exit(hdl, msg.reason);
    st.resolver->clear();
    self->quit(msg.reason);
  });
  self->set_down_handler([=](caf::down_msg& msg) { on_down(self, msg); });
  return {
      [=](atom::put, event_info& info, std::string& venue_json) -> caf::result<void> {
        if (auto err = activate_event(self, info, venue_json))
          return err;
        return caf::unit;
      },
      [=](atom::get, atom::event, std::string& id) { return answer<event_actor>(self, id, id); },
      [=](atom::get, atom::queue, std::string& id) {
        return answer<waiting_room_actor>(self, id, id);
      },
      [=](atom::get, atom::accounts, std::string& shard) {
        return answer<accounts_actor>(self, shard, shard);
      },
      [=](atom::get, atom::session, std::string& account) {
        return answer<session_actor>(self, account, account);
      },
      [=](atom::get, atom::box_office, std::string& id) {
        return answer<box_office_actor>(self, id, id);
      },
      [=](atom::get, atom::pricing, std::string& id) {
        return answer<pricing_actor>(self, id, id);
      },
      [=](atom::get, atom::bots, std::string& id) { return answer<bot_guard_actor>(self, id, id); },
      [=](atom::get, atom::section, std::string& event_id,
          std::string& section_id) -> caf::result<section_actor> {
        auto& st = self->state;
        auto entity = domain::section_entity(event_id, section_id);
        if (!st.section_configs.contains(entity)) {
          if (!st.events.contains(event_id))
            return unknown_event(event_id);
          return caf::make_error(ec::unknown_section, section_id);
        }
        return answer<section_actor>(self, entity, event_id, section_id);
      },
      [=](atom::join, std::string& member, caf::actor& peer) {
        auto& st = self->state;
        // Only the cluster file's members: the map stays bounded by it.
        if (member == st.placement->self() || !st.placement->is_member(member) || !peer) {
          spdlog::warn("a join as \"{}\", not another member of the cluster, was ignored", member);
          return;
        }
        self->monitor(peer);
        spdlog::info("cluster member {} is connected", member);
        st.peers[member] = peer;
        auto& info = st.peer_info[member];
        info.name = member;
        info.up = true;
        info.since_ms = actors::to_ms(actors::now(self));
        if (!st.pinging) {
          st.pinging = true;
          self->send(self, atom::tick_v);
        }
        // The edge checks tokens with the shard that issued them: have the member's shard cached
        // before the first request needs it.
        self->request(caf::actor_cast<registry_actor>(peer), st.ctx->call_timeout, atom::get_v,
                      atom::accounts_v, member)
            .then(
                [self, member](accounts_actor& hdl) {
                  cache_remote(self, actor_kind::accounts, member, hdl);
                },
                [member](caf::error& err) {
                  spdlog::warn("cluster member {}: no account registry: {}", member, render(err));
                });
        // The catalogs meet: each sends the other what it has (operator writes made while
        // one of them was down included).
        self->request(caf::actor_cast<registry_actor>(peer), st.ctx->call_timeout, atom::get_v,
                      atom::catalog_v)
            .then(
                [self, member](catalog_actor& remote) {
                  if (self->state.catalog)
                    self->send(self->state.catalog, atom::join_v, member,
                               caf::actor_cast<caf::actor>(remote));
                },
                [member](caf::error& err) {
                  spdlog::warn("cluster member {}: no catalog: {}", member, render(err));
                });
      },
      [=](atom::put, atom::catalog, catalog_actor& catalog) {
        self->state.catalog = std::move(catalog);
      },
      [=](atom::get, atom::catalog) -> caf::result<catalog_actor> {
        if (!self->state.catalog)
          return caf::make_error(ec::unavailable, "the catalog is not started yet");
        return self->state.catalog;
      },
      [=](atom::put, atom::admin, admin_actor& admin) { self->state.admin = std::move(admin); },
      [=](atom::get, atom::admin) -> caf::result<admin_actor> {
        if (!self->state.admin)
          return caf::make_error(ec::unavailable, "the admin actor is not started yet");
        return self->state.admin;
      },
      [=](atom::get, atom::admin, std::string& member) -> caf::result<admin_actor> {
        auto& st = self->state;
        if (member == st.placement->self())
          return st.admin ? caf::result<admin_actor>{st.admin}
                          : caf::make_error(ec::unavailable, "the admin actor is not started");
        auto i = st.peers.find(member);
        if (i == st.peers.end())
          return caf::make_error(ec::unavailable, "member " + member + " is not connected");
        return self->delegate(caf::actor_cast<registry_actor>(i->second), atom::get_v,
                              atom::admin_v);
      },
      [=](atom::get, atom::actors, std::string& kind) { return list_actors(self, kind); },
      [=](atom::get, atom::peers) {
        std::vector<peer_state> out;
        for (const auto& [name, info] : self->state.peer_info)
          out.push_back(info);
        return out;
      },
      [=](atom::tick) { ping_peers(self); },
      actors::status_handler(
          self, actors::actor_identity{"registry", "node"},
          [self](actor_status& out) {
            const auto& st = self->state;
            actors::add_counter(out, "events", static_cast<int64_t>(st.events.size()));
            actors::add_counter(out, "live_actors", static_cast<int64_t>(st.placed.size()));
            actors::add_counter(out, "peers_up", static_cast<int64_t>(st.peers.size()));
            actors::add_counter(out, "resolver_hits", static_cast<int64_t>(st.resolver->hits()));
            actors::add_counter(out, "resolver_misses",
                                static_cast<int64_t>(st.resolver->misses()));
          }),
  };
}

} // namespace

registry_actor spawn_registry(caf::actor_system& sys, actors::context_ptr ctx,
                              actors::resolver_ptr resolver, registry_options opts,
                              placement_ptr placement) {
  auto hdl = sys.spawn(registry, std::move(ctx), resolver, std::move(opts), std::move(placement));
  resolver->attach(hdl);
  return hdl;
}

} // namespace seatgrab::cluster
