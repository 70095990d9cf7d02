#include "cluster/directory.hpp"

#include "actors/accounts.hpp"
#include "actors/box_office.hpp"
#include "actors/event.hpp"
#include "actors/journal_client.hpp"
#include "actors/section.hpp"
#include "actors/session.hpp"
#include "actors/status.hpp"
#include "actors/waiting_room.hpp"
#include "domain/event.hpp"
#include "messages/catalog.pb.h"

#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include <map>
#include <optional>
#include <set>
#include <unordered_map>

namespace seatgrab::cluster {

struct directory_state {
  directory_state() = default; // see tests/support/test_system.hpp for why

  actors::context_ptr ctx;
  directory_options opts;
  std::optional<actors::journal_client> journal;
  std::map<std::string, std::pair<std::string, std::shared_ptr<const domain::venue>>> venues;
  std::map<std::string, event_info> events;
  std::map<std::string, event_actor> event_actors;
  std::map<std::string, waiting_room_actor> waiting_rooms;
  std::map<std::string, box_office_actor> box_offices;
  std::map<std::string, session_actor> sessions; // by account; monitored, not linked
  std::unordered_map<caf::actor_id, std::string> session_accounts; // down messages name the actor
  accounts_actor accounts;
  std::map<std::string, section_actor> section_actors; // by section entity id
  std::map<std::string, domain::section_config> section_configs;
  std::set<caf::actor_addr> children; // every actor it ever spawned, to tell exits apart

  static inline const char* name = "directory";
};

namespace {

using self_ptr = directory_actor::stateful_pointer<directory_state>;

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

section_actor activate_section(self_ptr self, const std::string& entity) {
  auto& st = self->state;
  auto hdl = actors::spawn_section(self->system(), st.section_configs.at(entity), st.ctx);
  self->monitor(hdl);
  self->link_to(hdl); // the directory's end is its children's end
  st.children.insert(hdl.address());
  st.section_actors[entity] = hdl;
  return hdl;
}

box_office_actor activate_box_office(self_ptr self, const std::string& event_id) {
  auto& st = self->state;
  auto hdl =
      actors::spawn_box_office(self->system(), st.events.at(event_id), st.event_actors.at(event_id),
                               st.ctx, st.opts.payments, st.opts.box_office);
  self->monitor(hdl);
  self->link_to(hdl);
  st.children.insert(hdl.address());
  st.box_offices[event_id] = hdl;
  return hdl;
}

// Spawns the event's sections (which recover and re-arm their timers) and its event actor.
void activate_event(self_ptr self, const event_info& ev) {
  auto& st = self->state;
  const auto& v = st.venues.at(ev.venue_id).second;
  for (auto& cfg : domain::section_configs(ev, *v)) {
    auto entity = domain::section_entity(cfg.event_id, cfg.section_id);
    st.section_configs.emplace(entity, std::move(cfg));
    activate_section(self, entity);
  }
  auto hdl = actors::spawn_event(self->system(), ev, v, directory_actor{self}, st.ctx);
  self->link_to(hdl);
  st.children.insert(hdl.address());
  st.event_actors[ev.id] = hdl;
  auto room = actors::spawn_waiting_room(self->system(), ev, st.ctx);
  self->link_to(room);
  st.children.insert(room.address());
  st.waiting_rooms[ev.id] = room;
  activate_box_office(self, ev.id);
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
    activate_event(self, ev);
  }
  return {};
}

directory_actor::behavior_type directory(self_ptr self, actors::context_ptr ctx,
                                         directory_options opts) {
  auto& st = self->state;
  st.ctx = std::move(ctx);
  st.opts = std::move(opts);
  st.journal.emplace(*st.ctx->journal);
  if (auto err = load_catalog(self)) {
    spdlog::error("directory cannot load the catalog: {}", render(err));
    self->quit(err);
  } else {
    st.accounts = actors::spawn_accounts(self->system(), st.ctx, st.opts.accounts);
    self->link_to(st.accounts);
    st.children.insert(st.accounts.address());
  }
  // A child's exit is handled as a down message (below); only the directory's own shutdown
  // request ends it, and with it (through the links) every child.
  self->set_exit_handler([=](caf::exit_msg& msg) {
    if (self->state.children.contains(msg.source))
      return;
    // Sessions come and go, so they are not linked: stop them by hand.
    for (auto& [account, hdl] : self->state.sessions)
      self->send_exit(hdl, msg.reason);
    self->quit(msg.reason);
  });
  // A stopped section or box office is forgotten; the next lookup activates it again from its
  // journal.
  self->set_down_handler([=](caf::down_msg& msg) {
    auto forget = [&](auto& actors, const char* what) {
      for (auto i = actors.begin(); i != actors.end(); ++i)
        if (i->second.address() == msg.source) {
          spdlog::warn("{} {} stopped: {}", what, i->first, render(msg.reason));
          actors.erase(i);
          return;
        }
    };
    forget(self->state.section_actors, "section");
    forget(self->state.box_offices, "box office");
    // A passivated session leaves quietly.
    auto& st = self->state;
    if (auto i = st.session_accounts.find(msg.source.id()); i != st.session_accounts.end()) {
      if (msg.reason && msg.reason != caf::exit_reason::normal)
        spdlog::warn("session {} stopped: {}", i->second, render(msg.reason));
      st.sessions.erase(i->second);
      st.session_accounts.erase(i);
    }
  });
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
        st.journal->write(std::move(ws), directory_actor{self});
        st.venues.emplace(id,
                          std::pair{json, std::make_shared<const domain::venue>(std::move(*v))});
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
        st.journal->write(std::move(ws), directory_actor{self});
        st.events.emplace(ev.id, ev);
        activate_event(self, ev);
        return actors::reply_when_durable(self, *st.journal, ev.id);
      },
      [=](atom::get, atom::events) {
        std::vector<event_info> result;
        for (const auto& [id, ev] : self->state.events)
          result.push_back(ev);
        return result;
      },
      [=](atom::get, atom::event, std::string& id) -> caf::result<event_actor> {
        auto& actors = self->state.event_actors;
        if (auto i = actors.find(id); i != actors.end())
          return i->second;
        return caf::make_error(ec::not_found, "event " + id);
      },
      [=](atom::get, atom::queue, std::string& id) -> caf::result<waiting_room_actor> {
        auto& rooms = self->state.waiting_rooms;
        if (auto i = rooms.find(id); i != rooms.end())
          return i->second;
        return caf::make_error(ec::not_found, "event " + id);
      },
      [=](atom::get, atom::accounts) { return self->state.accounts; },
      [=](atom::get, atom::session, std::string& account) -> caf::result<session_actor> {
        auto& st = self->state;
        if (auto i = st.sessions.find(account); i != st.sessions.end())
          return i->second;
        if (account.empty() || account.size() > 255)
          return caf::make_error(ec::invalid_argument, "malformed account id");
        auto hdl = actors::spawn_session(self->system(), account, directory_actor{self}, st.ctx,
                                         st.opts.session);
        self->monitor(hdl);
        st.sessions.emplace(account, hdl);
        st.session_accounts.emplace(hdl.id(), account);
        return hdl;
      },
      [=](atom::get, atom::box_office, std::string& id) -> caf::result<box_office_actor> {
        auto& st = self->state;
        if (auto i = st.box_offices.find(id); i != st.box_offices.end())
          return i->second;
        if (!st.events.contains(id))
          return caf::make_error(ec::not_found, "event " + id);
        return activate_box_office(self, id);
      },
      [=](atom::get, atom::section, std::string& event_id,
          std::string& section_id) -> caf::result<section_actor> {
        auto& st = self->state;
        auto entity = domain::section_entity(event_id, section_id);
        if (auto i = st.section_actors.find(entity); i != st.section_actors.end())
          return i->second;
        if (!st.section_configs.contains(entity)) {
          if (!st.events.contains(event_id))
            return caf::make_error(ec::not_found, "event " + event_id);
          return caf::make_error(ec::unknown_section, section_id);
        }
        return activate_section(self, entity);
      },
      actors::durable_handler(self, "directory"),
      actors::status_handler(self, actors::actor_identity{"directory", "node"},
                             [self](actor_status& out) {
                               const auto& st = self->state;
                               auto live = st.event_actors.size() + st.waiting_rooms.size() +
                                           st.box_offices.size() + st.sessions.size() +
                                           st.section_actors.size() + (st.accounts ? 1 : 0);
                               actors::add_counter(out, "events",
                                                   static_cast<int64_t>(st.events.size()));
                               actors::add_counter(out, "live_actors", static_cast<int64_t>(live));
                             }),
  };
}

} // namespace

directory_actor spawn_directory(caf::actor_system& sys, actors::context_ptr ctx,
                                directory_options opts) {
  return sys.spawn(directory, std::move(ctx), std::move(opts));
}

} // namespace seatgrab::cluster
