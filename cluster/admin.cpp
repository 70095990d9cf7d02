#include "cluster/admin.hpp"

#include "actors/clock.hpp"
#include "actors/journal_client.hpp"
#include "actors/replay.hpp"
#include "actors/status.hpp"
#include "cluster/admin_command.hpp"
#include "cluster/admin_views.hpp"
#include "cluster/audit_log.hpp"
#include "messages/audit.pb.h"
#include "security/encoding.hpp"

#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>

namespace seatgrab::cluster {

namespace {

// Bounds of what a shell may send: a command line is short.
constexpr size_t max_words = 64;
constexpr size_t max_word = 1000;
constexpr size_t max_who = 64;
constexpr size_t max_token = 1024;

// Lines of `top` and `audit` without a number.
constexpr size_t default_top = 10;
constexpr size_t default_audit = 50;

struct admin_state {
  admin_state() = default; // see tests/support/test_system.hpp for why

  actors::context_ptr ctx;
  registry_actor registry;
  catalog_actor catalog;
  admin_options opts;
  std::optional<security::sha256_digest> token_hash; // none: no token, everything refused
  std::optional<audit_log> log;
  std::optional<actors::journal_client> journal;
  uint64_t commands = 0; // answered (refused ones included)
  uint64_t refused = 0;  // for a wrong token

  const std::string& me() const { return opts.members.me().name; }

  static inline const char* name = "admin";
};

using self_ptr = admin_actor::stateful_pointer<admin_state>;

/// Compares digests, so the time taken says nothing of the token.
bool token_ok(const admin_state& st, const std::string& token) {
  if (!st.token_hash)
    return false;
  auto given = security::sha256(token);
  return CRYPTO_memcmp(given.data(), st.token_hash->data(), given.size()) == 0;
}

/// Writes an audit entry; `reply` runs once it is durable (or with the write's error).
void audit(self_ptr self, const std::string& who, const std::string& command, bool ok,
           const std::string& outcome, std::function<void(const caf::error&)> reply) {
  auto& st = self->state;
  auto e = st.log->record(actors::to_ms(actors::now(self)), who, command, ok, outcome);
  persistence::write_set ws;
  ws.append(audit_log::journal_kind, st.me(), e.seq(), e.SerializeAsString());
  actors::write_journal(self, std::move(ws));
  st.journal->then(std::move(reply));
}

// -- asking every member ---------------------------------------------------------------------

/// What came back from asking several members: each answer with its member, and the members
/// that did not answer.
template <class T>
struct from_members {
  std::vector<std::pair<std::string, T>> answers;
  std::vector<std::string> unreachable;
};

/// Asks each of `members`: this member through `local(ok, fail)`, another through its admin
/// actor with `remote(peer)` (a response handle of `T`), and calls `done` once all answered or
/// failed.
template <class T, class Local, class Remote>
void ask_members(self_ptr self, const std::vector<std::string>& members, Local local, Remote remote,
                 std::function<void(from_members<T>&)> done) {
  struct acc {
    size_t left;
    from_members<T> got;
    std::function<void(from_members<T>&)> done;
    void ok(const std::string& m, T x) {
      got.answers.emplace_back(m, std::move(x));
      step();
    }
    void fail(const std::string& m) {
      got.unreachable.push_back(m);
      step();
    }
    void step() {
      if (--left == 0)
        done(got);
    }
  };
  if (members.empty()) {
    from_members<T> none;
    done(none);
    return;
  }
  auto a = std::make_shared<acc>(acc{members.size(), {}, std::move(done)});
  auto timeout = self->state.ctx->call_timeout;
  for (const auto& m : members) {
    if (m == self->state.me()) {
      local([a, m](T x) { a->ok(m, std::move(x)); }, [a, m] { a->fail(m); });
      continue;
    }
    self->request(self->state.registry, timeout, atom::get_v, atom::admin_v, m)
        .then(
            [a, m, remote](admin_actor& peer) {
              remote(peer).then([a, m](T& x) { a->ok(m, std::move(x)); },
                                [a, m](caf::error&) { a->fail(m); });
            },
            [a, m](caf::error&) { a->fail(m); });
  }
}

/// Every member's name, or just `only` (if it is one).
caf::expected<std::vector<std::string>> member_names(self_ptr self, const std::string& only) {
  auto names = self->state.opts.members.names();
  if (only.empty())
    return names;
  if (std::find(names.begin(), names.end(), only) == names.end())
    return caf::make_error(ec::invalid_argument, "no member named \"" + only + "\"");
  return std::vector<std::string>{only};
}

/// Every actor of `kind` (empty: all) on `members`, with their member.
void gather_actors(self_ptr self, const std::vector<std::string>& members, const std::string& kind,
                   const std::string& token,
                   std::function<void(std::vector<hosted_actor>, std::vector<std::string>)> done) {
  auto timeout = self->state.ctx->call_timeout;
  ask_members<std::vector<actor_status>>(
      self, members,
      [self, kind, timeout](auto ok, auto fail) {
        self->request(self->state.registry, timeout, atom::get_v, atom::actors_v, kind)
            .then([ok](std::vector<actor_status>& xs) { ok(std::move(xs)); },
                  [fail](caf::error&) { fail(); });
      },
      [self, kind, token, timeout](admin_actor& peer) {
        return self->request(peer, timeout, atom::get_v, atom::actors_v, token, kind);
      },
      [done](from_members<std::vector<actor_status>>& got) {
        std::vector<hosted_actor> all;
        for (auto& [m, list] : got.answers)
          for (auto& s : list)
            all.push_back(hosted_actor{m, std::move(s)});
        std::sort(all.begin(), all.end(), [](const auto& x, const auto& y) {
          return std::tie(x.node, x.status.kind, x.status.id) <
                 std::tie(y.node, y.status.kind, y.status.id);
        });
        done(std::move(all), std::move(got.unreachable));
      });
}

// -- the commands ----------------------------------------------------------------------------

using reply_fn = std::function<void(caf::expected<std::string>)>;

void run_nodes(self_ptr self, bool json, reply_fn reply) {
  auto timeout = self->state.ctx->call_timeout;
  self->request(self->state.registry, timeout, atom::status_v)
      .then(
          [=](actor_status& mine) {
            self->request(self->state.registry, timeout, atom::get_v, atom::peers_v)
                .then(
                    [=](std::vector<peer_state>& peers) {
                      std::map<std::string, peer_state> by_name;
                      for (auto& p : peers)
                        by_name[p.name] = p;
                      std::vector<node_row> rows;
                      auto now = actors::to_ms(actors::now(self));
                      for (const auto& m : self->state.opts.members.members) {
                        node_row r{m.name, to_string(m.cluster), to_string(m.http)};
                        if (m.name == self->state.me()) {
                          r.self = r.up = true;
                          r.last_seen_ms = now;
                          r.actors = mine.counter("live_actors");
                        } else if (auto i = by_name.find(m.name); i != by_name.end()) {
                          r.up = i->second.up;
                          r.last_seen_ms = i->second.last_seen_ms;
                          r.rtt_us = i->second.rtt_us;
                          r.actors = i->second.up ? i->second.actors : -1;
                        }
                        rows.push_back(std::move(r));
                      }
                      reply(render_nodes(rows, now, json));
                    },
                    [=](caf::error& err) { reply(err); });
          },
          [=](caf::error& err) { reply(err); });
}

/// The status of the actor (of handle type `Handle`) a registry lookup `(get, xs...)` finds.
template <class Handle, class... Ts>
void status_via(self_ptr self, std::function<void(caf::expected<actor_status>)> k, Ts... xs) {
  auto timeout = self->state.ctx->call_timeout;
  self->request(self->state.registry, timeout, atom::get_v, xs...)
      .then(
          [self, k, timeout](Handle& hdl) {
            self->request(caf::actor_cast<status_client_actor>(hdl), timeout, atom::status_v)
                .then([k](actor_status& s) { k(std::move(s)); }, [k](caf::error& e) { k(e); });
          },
          [k](caf::error& e) { k(e); });
}

void run_inspect(self_ptr self, const admin_command& c, bool json, reply_fn reply) {
  using actors::actor_kind;
  auto& placement = *self->state.opts.placement;
  actor_kind kind = actor_kind::section;
  std::string id = c.id;
  auto k = [reply, json, &placement](actor_kind kind, std::string id) {
    return [reply, json, node = placement.owner(kind, id)](caf::expected<actor_status> s) {
      if (!s)
        reply(s.error());
      else
        reply(render_status(hosted_actor{node, std::move(*s)}, json));
    };
  };
  if (c.kind == "section") {
    auto slash = c.id.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == c.id.size()) {
      reply(caf::make_error(ec::invalid_argument, "a section's id is EVENT/SECTION"));
      return;
    }
    status_via<section_actor>(self, k(kind, id), atom::section_v, c.id.substr(0, slash),
                              c.id.substr(slash + 1));
  } else if (c.kind == "event") {
    status_via<event_actor>(self, k(actor_kind::event, id), atom::event_v, id);
  } else if (c.kind == "queue") {
    status_via<waiting_room_actor>(self, k(actor_kind::waiting_room, id), atom::queue_v, id);
  } else if (c.kind == "box_office") {
    status_via<box_office_actor>(self, k(actor_kind::box_office, id), atom::box_office_v, id);
  } else if (c.kind == "pricing") {
    status_via<pricing_actor>(self, k(actor_kind::pricing, id), atom::pricing_v, id);
  } else if (c.kind == "bot_guard") {
    status_via<bot_guard_actor>(self, k(actor_kind::bot_guard, id), atom::bots_v, id);
  } else if (c.kind == "session") {
    status_via<session_actor>(self, k(actor_kind::session, id), atom::session_v, id);
  } else {
    // A shard is named by its member ("inspect accounts b"); a cluster of one has one
    // registry, whatever the id ("registry" in its status).
    auto shard = placement.own_shard().empty() ? std::string{} : id;
    status_via<accounts_actor>(self, k(actor_kind::accounts, shard), atom::accounts_v, shard);
  }
}

void run_audit(self_ptr self, size_t n, const std::string& token, bool json, reply_fn reply) {
  auto timeout = self->state.ctx->call_timeout;
  ask_members<std::vector<audit_record>>(
      self, self->state.opts.members.names(),
      [self](auto ok, auto) { ok(self->state.log->recent(audit_log::kept)); },
      [self, token, timeout](admin_actor& peer) {
        return self->request(peer, timeout, atom::get_v, atom::audit_v, token);
      },
      [n, json, reply](from_members<std::vector<audit_record>>& got) {
        std::vector<audit_record> all;
        for (auto& [m, list] : got.answers)
          all.insert(all.end(), list.begin(), list.end());
        reply(render_audit(std::move(all), n, got.unreachable, json));
      });
}

/// A change to an event's waiting room.
void run_queue(self_ptr self, const admin_command& c, bool json, reply_fn reply) {
  auto timeout = self->state.ctx->call_timeout;
  self->request(self->state.registry, timeout, atom::get_v, atom::queue_v, c.event)
      .then(
          [=](waiting_room_actor& room) {
            auto done = [=](const char* what) {
              return [=]() { reply(render_done("queue " + c.event + " " + what, json)); };
            };
            auto fail = [=](caf::error& err) { reply(err); };
            switch (c.verb) {
            case admin_verb::queue_open:
              self->request(room, timeout, atom::open_v).then(done("opened"), fail);
              break;
            case admin_verb::queue_pause:
              self->request(room, timeout, atom::pause_v).then(done("paused"), fail);
              break;
            case admin_verb::queue_resume:
              self->request(room, timeout, atom::resume_v).then(done("resumed"), fail);
              break;
            default: {
              auto text = "admits " + std::to_string(c.number) + " per minute";
              self->request(room, timeout, atom::rate_v, c.number)
                  .then([=]() { reply(render_done("queue " + c.event + " " + text, json)); }, fail);
            }
            }
          },
          [=](caf::error& err) { reply(err); });
}

void run_hold_release(self_ptr self, const admin_command& c, bool json, reply_fn reply) {
  auto timeout = self->state.ctx->call_timeout;
  self->request(self->state.registry, timeout, atom::get_v, atom::event_v, c.event)
      .then(
          [=](event_actor& ev) {
            // The event asks its sections, which may take their own call timeout.
            self->request(ev, timeout * 2, atom::release_v, c.id, atom::admin_v)
                .then(
                    [=](std::vector<std::string>& seats) {
                      std::string list;
                      for (const auto& s : seats)
                        list += (list.empty() ? "" : " ") + s;
                      reply(render_done("hold " + c.id + " of event " + c.event + " released (" +
                                            std::to_string(seats.size()) + " seats: " + list + ")",
                                        json));
                    },
                    [=](caf::error& err) { reply(err); });
          },
          [=](caf::error& err) { reply(err); });
}

/// Ends an event's sale: its waiting room, then every section (each step idempotent, so a
/// failure part way is retried by running the command again).
void run_event_close(self_ptr self, const admin_command& c, bool json, reply_fn reply) {
  auto timeout = self->state.ctx->call_timeout;
  auto fail = [=](caf::error& err) { reply(err); };
  auto close_sections = [=]() {
    self->request(self->state.registry, timeout, atom::get_v, atom::event_v, c.event)
        .then(
            [=](event_actor& ev) {
              // The event asks its sections, which may take their own call timeout.
              self->request(ev, timeout * 2, atom::close_v)
                  .then([=]() { reply(render_done("event " + c.event + " closed", json)); }, fail);
            },
            fail);
  };
  self->request(self->state.registry, timeout, atom::get_v, atom::queue_v, c.event)
      .then(
          [=](waiting_room_actor& room) {
            self->request(room, timeout, atom::close_v).then(close_sections, fail);
          },
          fail);
}

/// A change to an event's pricing: freeze, unfreeze or a manual level.
void run_price(self_ptr self, const admin_command& c, bool json, reply_fn reply) {
  auto timeout = self->state.ctx->call_timeout;
  auto fail = [=](caf::error& err) { reply(err); };
  auto where = c.section.empty() ? "event " + c.event : "section " + c.event + "/" + c.section;
  auto done = [=](const std::string& what) {
    return [=](pricing_info&) { reply(render_done("prices of " + where + " " + what, json)); };
  };
  self->request(self->state.registry, timeout, atom::get_v, atom::pricing_v, c.event)
      .then(
          [=](pricing_actor& p) {
            switch (c.verb) {
            case admin_verb::price_freeze:
              self->request(p, timeout, atom::freeze_v, c.section).then(done("frozen"), fail);
              break;
            case admin_verb::price_unfreeze:
              self->request(p, timeout, atom::unfreeze_v, c.section).then(done("unfrozen"), fail);
              break;
            default:
              self->request(p, timeout, atom::level_v, c.section, c.number)
                  .then(done("set to level " + std::to_string(c.number)), fail);
            }
          },
          fail);
}

/// `bots EVENT`, or a change of one rule's mode.
void run_bots(self_ptr self, const admin_command& c, bool json, reply_fn reply) {
  auto timeout = self->state.ctx->call_timeout;
  auto fail = [=](caf::error& err) { reply(err); };
  self->request(self->state.registry, timeout, atom::get_v, atom::bots_v, c.event)
      .then(
          [=](bot_guard_actor& g) {
            if (c.verb == admin_verb::bots) {
              self->request(g, timeout, atom::get_v, atom::bots_v)
                  .then([=](bot_guard_info& info) { reply(render_bots(info, json)); }, fail);
              return;
            }
            // A mode changes on top of the rules in force.
            self->request(g, timeout, atom::get_v, atom::bots_v)
                .then(
                    [=](bot_guard_info& info) {
                      auto rules = info.rules;
                      rules.modes[c.reason] = c.mode == "enforce"  ? rule_mode::enforce
                                              : c.mode == "shadow" ? rule_mode::shadow
                                                                   : rule_mode::off;
                      self->request(g, timeout, atom::put_v, rules)
                          .then(
                              [=](bot_guard_info&) {
                                reply(render_done("bot rule " + c.reason + " of " + c.event +
                                                      " set to " + c.mode,
                                                  json));
                              },
                              fail);
                    },
                    fail);
          },
          fail);
}

/// Runs a checked command; `reply` gets its output or error.
void run(self_ptr self, const admin_command& c, const std::string& token, bool json,
         reply_fn reply) {
  switch (c.verb) {
  case admin_verb::help:
    reply(json ? render_done(admin_help(), true) : admin_help());
    return;
  case admin_verb::nodes:
    run_nodes(self, json, std::move(reply));
    return;
  case admin_verb::events:
    self->request(self->state.catalog, self->state.ctx->call_timeout, atom::get_v, atom::events_v)
        .then([=](std::vector<event_info>& evs) { reply(render_events(evs, json)); },
              [=](caf::error& err) { reply(err); });
    return;
  case admin_verb::actors:
  case admin_verb::top: {
    auto members = member_names(self, c.node);
    if (!members) {
      reply(members.error());
      return;
    }
    auto top = c.verb == admin_verb::top;
    size_t n = c.number == 0 ? default_top : c.number;
    gather_actors(self, *members, c.kind, token,
                  [=](std::vector<hosted_actor> all, std::vector<std::string> unreachable) {
                    reply(top ? render_top(std::move(all), n, unreachable, json)
                              : render_actors(all, unreachable, json));
                  });
    return;
  }
  case admin_verb::inspect:
    run_inspect(self, c, json, std::move(reply));
    return;
  case admin_verb::audit:
    run_audit(self, c.number == 0 ? default_audit : c.number, token, json, std::move(reply));
    return;
  case admin_verb::hold_release:
    run_hold_release(self, c, json, std::move(reply));
    return;
  case admin_verb::bots:
  case admin_verb::bots_mode:
    run_bots(self, c, json, std::move(reply));
    return;
  case admin_verb::event_close:
    run_event_close(self, c, json, std::move(reply));
    return;
  case admin_verb::price_freeze:
  case admin_verb::price_unfreeze:
  case admin_verb::price_level:
    run_price(self, c, json, std::move(reply));
    return;
  default:
    run_queue(self, c, json, std::move(reply));
  }
}

/// Checks what a shell sent: bounded sizes. Errors: `invalid_argument`.
caf::error check_request(const admin_request& req) {
  if (req.token.size() > max_token || req.who.size() > max_who || req.words.size() > max_words)
    return caf::make_error(ec::invalid_argument, "command, name or token too long");
  for (const auto& w : req.words)
    if (w.size() > max_word)
      return caf::make_error(ec::invalid_argument, "a word longer than 1000 bytes");
  return {};
}

/// The operator's name for the audit log: printable ASCII only.
std::string printable(const std::string& who) {
  std::string out;
  for (char c : who)
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return out.empty() ? "unknown" : out;
}

caf::result<std::string> on_command(self_ptr self, admin_request& req) {
  auto& st = self->state;
  ++st.commands;
  if (auto err = check_request(req))
    return err;
  auto who = printable(req.who);
  auto line = join_command_line(req.words);
  if (!token_ok(st, req.token)) {
    ++st.refused;
    auto why = st.token_hash ? "wrong admin token" : "this node has no admin token";
    // Past the cap a refusal is only counted: nothing is written, nothing is logged.
    if (!st.log->log_refusal(actors::to_ms(actors::now(self))))
      return caf::make_error(ec::unauthenticated, why);
    spdlog::warn("admin: a wrong token from \"{}\" for \"{}\" was refused", who, line);
    std::string outcome = std::string{"refused: "} + why;
    if (auto before = st.log->take_unlogged(); before > 0)
      outcome += " (" + std::to_string(before) + " refusals before this one were not logged)";
    auto rp = self->make_response_promise<std::string>();
    audit(self, who, line, false, outcome, [rp, why](const caf::error&) mutable {
      rp.deliver(caf::make_error(ec::unauthenticated, why));
    });
    return rp;
  }
  auto cmd = parse_admin_command(req.words);
  if (!cmd)
    return cmd.error();
  auto changes = cmd->changes();
  auto rp = self->make_response_promise<std::string>();
  run(self, *cmd, req.token, req.json,
      [self, rp, who, line, changes](caf::expected<std::string> out) mutable {
        if (!changes) {
          actors::deliver_expected(rp, std::move(out));
          return;
        }
        auto outcome = out ? *out : render(out.error());
        while (!outcome.empty() && outcome.back() == '\n')
          outcome.pop_back();
        audit(self, who, line, static_cast<bool>(out), outcome,
              [rp, out = std::move(out)](const caf::error& err) mutable {
                if (err)
                  rp.deliver(err);
                else
                  actors::deliver_expected(rp, std::move(out));
              });
      });
  return rp;
}

admin_actor::behavior_type admin(self_ptr self, actors::context_ptr ctx, registry_actor registry,
                                 catalog_actor catalog, admin_options opts) {
  auto& st = self->state;
  st.ctx = std::move(ctx);
  st.registry = std::move(registry);
  st.catalog = std::move(catalog);
  st.opts = std::move(opts);
  if (!st.opts.token.empty())
    st.token_hash = security::sha256(st.opts.token);
  st.opts.token.clear(); // only its digest stays
  st.journal.emplace(*st.ctx->journal);
  auto restored = actors::replay_journal<audit_log, pb::audit_entry>(
      *st.ctx, audit_log::journal_kind, st.me(), audit_log{st.me()});
  if (!restored) {
    spdlog::error("admin: the audit log does not load: {}", render(restored.error()));
    self->quit(restored.error());
    st.log.emplace(st.me());
  } else {
    st.log.emplace(std::move(*restored));
  }
  return actors::journaling_behavior(
      self, actors::actor_identity{"admin", st.me()},
      [self](actor_status& out) {
        const auto& st = self->state;
        out.version = st.log->version();
        actors::add_counter(out, "commands", static_cast<int64_t>(st.commands));
        actors::add_counter(out, "refused", static_cast<int64_t>(st.refused));
        actors::add_counter(out, "refused_unlogged",
                            static_cast<int64_t>(st.log->unlogged_total()));
      },
      [=](atom::admin, admin_request& req) { return on_command(self, req); },
      [=](atom::get, atom::actors, std::string& token,
          std::string& kind) -> caf::result<std::vector<actor_status>> {
        if (!token_ok(self->state, token))
          return caf::make_error(ec::unauthenticated, "wrong admin token");
        return self->delegate(self->state.registry, atom::get_v, atom::actors_v, kind);
      },
      [=](atom::get, atom::audit, std::string& token) -> caf::result<std::vector<audit_record>> {
        if (!token_ok(self->state, token))
          return caf::make_error(ec::unauthenticated, "wrong admin token");
        return self->state.log->recent(audit_log::kept);
      });
}

} // namespace

caf::expected<admin_actor> spawn_admin(caf::actor_system& sys, actors::context_ptr ctx,
                                       registry_actor registry, catalog_actor catalog,
                                       admin_options opts) {
  if (!opts.placement)
    return caf::make_error(ec::invalid_argument, "the admin actor needs the placement");
  return sys.spawn(admin, std::move(ctx), std::move(registry), std::move(catalog), std::move(opts));
}

} // namespace seatgrab::cluster
