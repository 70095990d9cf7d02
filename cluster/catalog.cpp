#include "cluster/catalog.hpp"

#include "actors/journal_client.hpp"
#include "actors/status.hpp"
#include "cluster/membership.hpp"
#include "domain/event.hpp"
#include "domain/venue.hpp"
#include "messages/catalog.pb.h"

#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include <map>
#include <memory>
#include <optional>

namespace seatgrab::cluster {

struct catalog_state {
  catalog_state() = default; // see tests/support/test_system.hpp for why

  actors::context_ptr ctx;
  registry_actor registry;
  std::optional<actors::journal_client> journal;
  std::map<std::string, std::pair<std::string, std::shared_ptr<const domain::venue>>> venues;
  std::map<std::string, event_info> events;
  std::map<std::string, caf::actor> peers; // other members' catalogs, by member name

  static inline const char* name = "catalog";
};

namespace {

using self_ptr = catalog_actor::stateful_pointer<catalog_state>;

constexpr const char* venue_kind = "venue";
constexpr const char* event_kind = "event";

pb::event_created to_record(const event_info& ev) {
  pb::event_created rec;
  rec.set_id(ev.id);
  rec.set_venue_id(ev.venue_id);
  rec.set_name(ev.name);
  rec.set_opens_at_ms(ev.opens_at_ms);
  rec.set_hold_ttl_s(ev.hold_ttl_s);
  rec.set_max_hold_total_s(ev.max_hold_total_s);
  rec.set_max_seats_per_hold(ev.max_seats_per_hold);
  rec.set_max_tickets_per_account(ev.max_tickets_per_account);
  rec.set_admission_per_min(ev.admission_per_min);
  rec.set_max_active_shoppers(ev.max_active_shoppers);
  rec.set_queue_mode(ev.queue_mode);
  rec.set_rotating_codes(ev.rotating_codes);
  rec.set_refunds_until_ms(ev.refunds_until_ms);
  return rec;
}

event_info from_record(const pb::event_created& rec) {
  event_info ev;
  ev.id = rec.id();
  ev.venue_id = rec.venue_id();
  ev.name = rec.name();
  ev.opens_at_ms = rec.opens_at_ms();
  ev.hold_ttl_s = rec.hold_ttl_s();
  ev.max_hold_total_s = rec.max_hold_total_s();
  ev.max_seats_per_hold = rec.max_seats_per_hold();
  ev.max_tickets_per_account = rec.max_tickets_per_account();
  ev.admission_per_min = rec.admission_per_min();
  ev.max_active_shoppers = rec.max_active_shoppers();
  ev.queue_mode = rec.queue_mode();
  ev.rotating_codes = rec.rotating_codes();
  ev.refunds_until_ms = rec.refunds_until_ms();
  return ev;
}

bool same_settings(const event_info& x, const event_info& y) {
  return to_record(x).SerializeAsString() == to_record(y).SerializeAsString();
}

// Has the registry activate the actors of `ev` (its sections recover and re-arm their timers).
template <class Done, class Failed>
void activate(self_ptr self, const event_info& ev, Done done, Failed failed) {
  auto& st = self->state;
  // The registry answers from its own state, so the request needs no timeout.
  self->request(st.registry, caf::infinite, atom::put_v, ev, st.venues.at(ev.venue_id).first)
      .then(std::move(done), std::move(failed));
}

caf::error load_catalog(self_ptr self) {
  auto& st = self->state;
  auto& db = *st.ctx->db;
  auto venue_ids = db.entities(venue_kind);
  if (!venue_ids)
    return venue_ids.error();
  for (const auto& id : *venue_ids) {
    auto log = db.load(venue_kind, id);
    if (!log)
      return log.error();
    if (log->tail.empty())
      return caf::make_error(ec::storage_corruption, "venue/" + id + " has no record");
    const auto& json = log->tail.front().second;
    auto v = domain::parse_venue(json, "venue/" + id);
    if (!v)
      return caf::make_error(ec::storage_corruption, render(v.error()));
    st.venues.emplace(id, std::pair{json, std::make_shared<const domain::venue>(std::move(*v))});
  }
  auto event_ids = db.entities(event_kind);
  if (!event_ids)
    return event_ids.error();
  for (const auto& id : *event_ids) {
    auto log = db.load(event_kind, id);
    if (!log)
      return log.error();
    pb::event_created rec;
    if (log->tail.empty() || !rec.ParseFromString(log->tail.front().second))
      return caf::make_error(ec::storage_corruption, "event/" + id + "/1 does not parse");
    auto ev = from_record(rec);
    if (!st.venues.contains(ev.venue_id))
      return caf::make_error(ec::storage_corruption,
                             "event/" + id + " names unknown venue " + ev.venue_id);
    st.events.emplace(id, ev);
  }
  return {};
}

/// Sends venue `json` to member `name`'s catalog; a put it already has is answered at once.
void send_venue(self_ptr self, const std::string& name, const caf::actor& peer,
                const std::string& json) {
  self->request(caf::actor_cast<catalog_actor>(peer), self->state.ctx->call_timeout, atom::put_v,
                atom::venue_v, json)
      .then([](const std::string&) {},
            [name](caf::error& err) {
              spdlog::warn("cluster member {}: venue not taken: {}", name, render(err));
            });
}

/// Sends event `ev` to member `name`'s catalog (after its venue, in this sender's order).
void send_event(self_ptr self, const std::string& name, const caf::actor& peer,
                const event_info& ev) {
  self->request(caf::actor_cast<catalog_actor>(peer), self->state.ctx->call_timeout, atom::put_v,
                ev)
      .then([](const std::string&) {},
            [name, id = ev.id](caf::error& err) {
              spdlog::warn("cluster member {}: event {} not taken: {}", name, id, render(err));
            });
}

catalog_actor::behavior_type catalog(self_ptr self, actors::context_ptr ctx,
                                     registry_actor registry) {
  auto& st = self->state;
  st.ctx = std::move(ctx);
  st.registry = std::move(registry);
  st.journal.emplace(*st.ctx->journal);
  self->set_down_handler([self](caf::down_msg& msg) {
    auto& peers = self->state.peers;
    for (auto i = peers.begin(); i != peers.end(); ++i)
      if (i->second.address() == msg.source) {
        peers.erase(i);
        return;
      }
  });
  if (auto err = load_catalog(self)) {
    spdlog::error("catalog does not load: {}", render(err));
    self->quit(err);
  } else {
    for (const auto& [id, ev] : st.events)
      activate(
          self, ev, [] {},
          [id = id](caf::error& err) {
            spdlog::error("event {} does not activate: {}", id, render(err));
          });
  }
  return {
      [=](atom::put, atom::venue, std::string& json) -> caf::result<std::string> {
        auto& st = self->state;
        auto v = domain::parse_venue(json, "venue");
        if (!v)
          return v.error();
        auto id = v->id;
        if (auto i = st.venues.find(id); i != st.venues.end()) {
          if (*i->second.second == *v)
            return id; // the same venue again: nothing to do
          return caf::make_error(ec::already_exists, "venue " + id + " exists with other content");
        }
        persistence::write_set ws;
        ws.append(venue_kind, id, 1, json);
        st.journal->write(std::move(ws), catalog_actor{self});
        st.venues.emplace(id,
                          std::pair{json, std::make_shared<const domain::venue>(std::move(*v))});
        // Once durable here, the other members get it too (each forwards only what is new to
        // it, so a write reaches every member and stops there).
        st.journal->then([self, json](const caf::error& err) {
          if (!err)
            for (const auto& [name, peer] : self->state.peers)
              send_venue(self, name, peer, json);
        });
        return actors::reply_when_durable(self, *st.journal, id);
      },
      [=](atom::put, event_info& ev) -> caf::result<std::string> {
        auto& st = self->state;
        auto v = st.venues.find(ev.venue_id);
        if (v == st.venues.end())
          return caf::make_error(ec::invalid_input,
                                 "event.venue_id: unknown venue \"" + ev.venue_id + "\"");
        if (auto err = domain::validate(ev, *v->second.second))
          return err;
        if (auto i = st.events.find(ev.id); i != st.events.end()) {
          if (same_settings(i->second, ev))
            return ev.id;
          return caf::make_error(ec::already_exists,
                                 "event " + ev.id + " exists with other settings");
        }
        persistence::write_set ws;
        ws.append(event_kind, ev.id, 1, to_record(ev).SerializeAsString());
        st.journal->write(std::move(ws), catalog_actor{self});
        st.events.emplace(ev.id, ev);
        // The answer waits for the event's actors and for the record to be durable.
        auto rp = self->make_response_promise<std::string>();
        activate(
            self, ev,
            [self, rp, id = ev.id]() mutable {
              self->state.journal->then([self, rp, id](const caf::error& err) mutable {
                if (err) {
                  rp.deliver(err);
                  return;
                }
                rp.deliver(id);
                const auto& st = self->state;
                for (const auto& [name, peer] : st.peers)
                  send_event(self, name, peer, st.events.at(id));
              });
            },
            [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
        return rp;
      },
      [=](atom::join, std::string& member, caf::actor& peer) {
        auto& st = self->state;
        // Joins come from this node's registry, which admits only the cluster's members; the
        // map is bounded by the largest cluster all the same.
        if (!peer || (!st.peers.contains(member) && st.peers.size() >= max_members))
          return;
        self->monitor(peer);
        st.peers[member] = peer;
        for (const auto& [id, venue] : st.venues)
          send_venue(self, member, peer, venue.first);
        for (const auto& [id, ev] : st.events)
          send_event(self, member, peer, ev);
      },
      [=](atom::get, atom::venue, const std::string& id) -> caf::result<std::string> {
        auto i = self->state.venues.find(id);
        if (i == self->state.venues.end())
          return caf::make_error(ec::not_found, "no venue " + id);
        return i->second.first;
      },
      [=](atom::get, atom::events) {
        std::vector<event_info> result;
        for (const auto& [id, ev] : self->state.events) {
          result.push_back(ev);
          if (auto v = self->state.venues.find(ev.venue_id); v != self->state.venues.end())
            result.back().currency = v->second.second->currency;
        }
        return result;
      },
      actors::durable_handler(self, "catalog"),
      actors::status_handler(
          self, actors::actor_identity{"catalog", "node"},
          [self](actor_status& out) {
            const auto& st = self->state;
            actors::add_counter(out, "venues", static_cast<int64_t>(st.venues.size()));
            actors::add_counter(out, "events", static_cast<int64_t>(st.events.size()));
          }),
  };
}

} // namespace

catalog_actor spawn_catalog(caf::actor_system& sys, actors::context_ptr ctx,
                            registry_actor registry) {
  return sys.spawn(catalog, std::move(ctx), std::move(registry));
}

} // namespace seatgrab::cluster
