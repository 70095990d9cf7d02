#include "actors/session.hpp"

#include "actors/clock.hpp"
#include "actors/hold_placement.hpp"
#include "actors/journal_client.hpp"
#include "actors/replay.hpp"
#include "actors/session_guard.hpp"
#include "actors/session_state.hpp"
#include "actors/status.hpp"
#include "actors/waiting_room.hpp"
#include "domain/session.hpp"
#include "domain/ticket_limit.hpp"
#include "persistence/hold_index.hpp"
#include "security/admission_token.hpp"
#include "security/encoding.hpp"

#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include <list>
#include <map>
#include <memory>
#include <optional>
#include <set>

namespace seatgrab::actors {

namespace {

using self_ptr = session_actor::stateful_pointer<session_actor_state>;

const std::string kind = "session";

void touch(self_ptr self) {
  self->state.last_active = self->clock().now();
}

void journal(self_ptr self, const pb::session_event& ev) {
  journal_event(self, kind, self->state.account, ev);
}

/// A random suffix for hold ids (see `session_state::hold_id_prefix`).
std::string random_suffix() {
  return security::random_hex(6);
}

/// A hold id suffix derived from the client's idempotency key.
std::string key_suffix(const std::string& key) {
  return "k" + security::sha256_hex(key).substr(0, 16);
}

hold_receipt receipt_of(const std::string& account, const domain::session_hold& h) {
  hold_receipt r;
  r.hold_id = h.hold_id;
  r.holder = account;
  r.expires_at_ms = to_ms(h.expires_at);
  for (const auto& s : h.seats) {
    auto part = std::find_if(r.parts.begin(), r.parts.end(),
                             [&](const hold_part& p) { return p.section == s.section; });
    if (part == r.parts.end()) {
      r.parts.push_back(hold_part{s.section, {}, r.expires_at_ms, 0});
      part = r.parts.end() - 1;
    }
    part->seats.push_back(seat_price{s.seat, s.price});
    r.total += s.price;
  }
  return r;
}

// -- holds, one at a time -----------------------------------------------------

void next_hold(self_ptr self);

/// Ends the current hold job with `result` and starts the next one.
template <class T>
void finish_hold(self_ptr self, hold_promise& rp, T&& result) {
  rp.deliver(std::forward<T>(result));
  self->state.holding = false;
  next_hold(self);
}

/// Records the hold the sections placed (`receipt`) and answers the fan.
void record_hold(self_ptr self, const std::shared_ptr<pending_hold>& job, hold_receipt& receipt) {
  auto& st = self->state;
  domain::session_hold h{receipt.hold_id,
                         job->event_id,
                         {},
                         domain::time_point{std::chrono::milliseconds{receipt.expires_at_ms}},
                         job->key};
  for (const auto& part : receipt.parts)
    for (const auto& s : part.seats)
      h.seats.push_back(domain::session_seat{part.section, s.seat, s.price});
  auto ev = st.session->held(std::move(h), now(self));
  if (!ev) {
    // The sections hold seats the session cannot record: let them expire.
    spdlog::error("session {}: {}", st.account, render(ev.error()));
    finish_hold(self, job->rp, ev.error());
    return;
  }
  // The one durable round of a hold was the sections' write, which noted the hold for this
  // session too: the fan has it now. This record follows without a wait; should a crash take
  // it, the next start finds the hold in the notes (recover_hold).
  journal(self, *ev);
  finish_hold(self, job->rp, std::move(receipt));
}

/// Asks the event's sections for the seats and records the hold: itself when the event's
/// rules of holds are published on this node, else through the event actor.
void place_hold(self_ptr self, std::shared_ptr<pending_hold> job, event_actor ev) {
  auto& st = self->state;
  auto suffix = job->key.empty() ? random_suffix() : key_suffix(job->key);
  if (suffix.empty()) {
    finish_hold(self, job->rp, caf::make_error(ec::unavailable, "RAND_bytes failed"));
    return;
  }
  job->req.hold_id = st.session->hold_id_prefix() + suffix;
  job->req.holder = st.account;
  job->req.key = job->key;
  auto placed = [self, job](caf::expected<hold_receipt> x) {
    if (x)
      record_hold(self, job, *x);
    else
      finish_hold(self, job->rp, std::move(x.error()));
  };
  if (auto rules = st.ctx->hold_rules->find(job->event_id)) {
    place_hold_across(self, *st.resolver, st.ctx->call_timeout, std::move(rules), job->event_id,
                      job->req, std::move(placed));
    return;
  }
  self->request(ev, st.ctx->call_timeout, atom::hold_v, job->req)
      .then([placed](hold_receipt& receipt) mutable { placed(std::move(receipt)); },
            [placed](caf::error& err) mutable { placed(std::move(err)); });
}

/// How long a session counts on the box office's count of the account's tickets: holds in
/// between need no request to the box office.
constexpr auto bought_count_ttl = std::chrono::seconds{10};

/// Checks the per-account limit against `bought` tickets, and places the hold if it fits.
void limit_and_hold(self_ptr self, std::shared_ptr<pending_hold> job, event_actor ev,
                    const event_info& info, uint32_t bought) {
  auto& st = self->state;
  auto limit = domain::check_ticket_limit(
      st.session->held_seats(job->event_id, now(self)), bought,
      domain::seats_asked(job->req.seats.size(), job->req.quantity), info.max_tickets_per_account);
  if (limit) {
    finish_hold(self, job->rp, std::move(limit));
    return;
  }
  place_hold(self, job, ev);
}

/// Checks the per-account limit: seats in the session's live holds for the event, tickets in
/// the box office's orders, and the seats asked for.
void count_and_hold(self_ptr self, std::shared_ptr<pending_hold> job, event_actor ev,
                    event_info info, box_office_actor office) {
  auto& st = self->state;
  self->request(office, st.ctx->call_timeout, atom::get_v, atom::count_v, st.account)
      .then(
          [self, job, ev, info](uint32_t bought) {
            self->state.bought[job->event_id] = {bought, self->clock().now()};
            limit_and_hold(self, job, ev, info, bought);
          },
          [self, job](caf::error& err) { finish_hold(self, job->rp, std::move(err)); });
}

/// Checks the per-account limit: seats in the session's live holds for the event, tickets in
/// the box office's orders, and the seats asked for.
void check_limit(self_ptr self, std::shared_ptr<pending_hold> job, event_actor ev,
                 event_info info) {
  auto& st = self->state;
  if (auto i = st.bought.find(job->event_id);
      i != st.bought.end() && self->clock().now() - i->second.second < bought_count_ttl) {
    limit_and_hold(self, job, ev, info, i->second.first);
    return;
  }
  st.resolver->resolve<box_office_actor>(self, st.ctx->call_timeout, job->event_id)
      .then([self, job, ev,
             info](box_office_actor office) { count_and_hold(self, job, ev, info, office); },
            [self, job](caf::error& err) { finish_hold(self, job->rp, std::move(err)); });
}

void next_hold(self_ptr self) {
  auto& st = self->state;
  if (st.holding || st.holds_waiting.empty())
    return;
  auto job = std::make_shared<pending_hold>(std::move(st.holds_waiting.front()));
  st.holds_waiting.pop_front();
  st.holding = true;
  if (!job->key.empty()) {
    if (auto id = st.session->hold_for_key(job->key)) {
      // A retry of a hold the session recorded: the same hold, while it lives.
      auto hold = st.session->find_hold(*id);
      if (hold && now(self) < hold->expires_at) {
        auto again = receipt_of(st.account, *hold);
        again.replayed = true;
        finish_hold(self, job->rp, std::move(again));
      } else
        finish_hold(self, job->rp,
                    caf::make_error(ec::hold_expired, "the hold of this key has ended"));
      return;
    }
  }
  auto place = st.session->queue_place(job->event_id);
  if (!place) {
    finish_hold(self, job->rp,
                caf::make_error(ec::admission_invalid, "join the event's queue first"));
    return;
  }
  auto claims =
      security::verify(*st.ctx->admission_keys, job->admission_token, job->event_id, st.account,
                       device_claim(fan_key(place->second)), to_ms(now(self)));
  if (!claims) {
    finish_hold(self, job->rp, claims.error());
    return;
  }
  // No seat locks above its price at the admission (dynamic pricing, guarantee 2).
  job->req.price_cap = st.ctx->test_skip_price_caps ? UINT64_MAX : claims->price_version;
  if (job->req.seats.empty() && job->req.quantity == 0) {
    finish_hold(self, job->rp, caf::make_error(ec::invalid_argument, "no seats asked for"));
    return;
  }
  // The event actor comes from the resolver; its settings are asked once per session.
  st.resolver->resolve<event_actor>(self, st.ctx->call_timeout, job->event_id)
      .then(
          [self, job](event_actor ev) {
            if (auto i = self->state.events.find(job->event_id); i != self->state.events.end()) {
              check_limit(self, job, ev, i->second);
              return;
            }
            self->request(ev, self->state.ctx->call_timeout, atom::get_v, atom::info_v)
                .then(
                    [self, job, ev](event_info& info) {
                      self->state.events.emplace(job->event_id, info);
                      check_limit(self, job, ev, info);
                    },
                    [self, job](caf::error& err) { finish_hold(self, job->rp, std::move(err)); });
          },
          [self, job](caf::error& err) { finish_hold(self, job->rp, std::move(err)); });
}

// -- the rest -----------------------------------------------------------------

/// Records that hold `hold_id` ended, if the session still knows it.
void end_hold(self_ptr self, const std::string& hold_id, std::string_view reason,
              std::string_view order_id = {}) {
  auto ev = self->state.session->hold_ended(hold_id, reason, order_id, now(self));
  if (ev)
    journal(self, *ev);
}

/// Tells the waiting room that the fan's shopping for `event_id` is done (their slot frees).
void leave_queue(self_ptr self, const std::string& event_id) {
  auto& st = self->state;
  auto place = st.session->queue_place(event_id);
  if (!place)
    return;
  auto ticket = place->first;
  st.resolver->resolve<waiting_room_actor>(self, st.ctx->call_timeout, event_id)
      .then(
          [self, ticket](waiting_room_actor room) {
            self->request(room, self->state.ctx->call_timeout, atom::leave_v, ticket)
                .then([] {}, [](caf::error&) {}); // best effort: admissions expire anyway
          },
          [](caf::error&) {});
}

/// Records the hold the sections noted for this session that its journal lacks, if any (see
/// `session_state::unrecorded_hold`): a crash took the record the session wrote after
/// answering the fan.
caf::error recover_hold(self_ptr self) {
  auto& st = self->state;
  auto notes = persistence::hold_notes(*st.ctx->db, st.account);
  if (!notes)
    return notes.error();
  auto hold = st.session->unrecorded_hold(*notes);
  if (!hold)
    return {};
  spdlog::info("session {}: hold {} recovered from the sections' notes", st.account, hold->hold_id);
  auto ev = st.session->held(std::move(*hold), now(self));
  if (!ev)
    return ev.error();
  journal(self, *ev);
  return {};
}

session_actor::behavior_type session(self_ptr self, std::string account, resolver_ptr resolver,
                                     context_ptr ctx, session_options opts) {
  auto& st = self->state;
  st.account = std::move(account);
  st.resolver = std::move(resolver);
  st.ctx = std::move(ctx);
  st.opts = opts;
  st.journal.emplace(*st.ctx->journal);
  touch(self);
  if (auto restored = replay_journal<domain::session_state, pb::session_event>(
          *st.ctx, kind, st.account, domain::session_state{st.account});
      !restored) {
    spdlog::error("session {} cannot start: {}", st.account, render(restored.error()));
    self->quit(restored.error());
  } else {
    st.session.emplace(std::move(*restored));
    if (auto err = recover_hold(self)) {
      spdlog::error("session {} cannot start: {}", st.account, render(err));
      self->quit(err);
    }
    self->delayed_send(self, opts.idle_timeout, atom::tick_v);
  }
  auto timeout = st.ctx->call_timeout;
  // Any failed step of a chain ends it: answer the error, count the request as done.
  auto fail_with = [self](auto rp) {
    return [self, rp](caf::error& err) mutable {
      --self->state.busy;
      rp.deliver(std::move(err));
    };
  };
  return journaling_behavior(
      self, actor_identity{kind, st.account},
      [self](actor_status& out) {
        if (const auto& ses = self->state.session) {
          out.version = ses->version();
          add_counter(out, "live_holds", static_cast<int64_t>(ses->live_holds(now(self)).size()));
          add_counter(out, "orders", static_cast<int64_t>(ses->orders().size()));
        }
      },
      [=](atom::join, std::string& event_id, client_facts& facts) -> caf::result<queue_status> {
        touch(self);
        if (facts.device.empty())
          return caf::make_error(ec::invalid_argument, "no device");
        auto rp = self->make_response_promise<queue_status>();
        ++self->state.busy;
        auto joined = [=](queue_status& status) mutable {
          auto& st = self->state;
          --st.busy;
          // The room keeps the device a ticket was issued to (its admissions are bound to it),
          // even when a rejoin's derived device differs (a browser's signals may change).
          auto place = st.session->queue_place(event_id);
          auto device = place && place->first == status.ticket ? place->second : facts.device;
          auto ev = st.session->queued(event_id, status.ticket, device, now(self));
          if (!ev) {
            rp.deliver(ev.error());
            return;
          }
          if (*ev)
            journal(self, **ev);
          deliver_when_durable(*st.journal, rp, std::move(status));
        };
        // The guard first: only an allowed join reaches the room.
        guarded_join(self, event_id, facts, joined, fail_with(rp));
        return rp;
      },
      [=](atom::get, atom::queue, std::string& event_id) -> caf::result<queue_status> {
        touch(self);
        auto place = self->state.session->queue_place(event_id);
        if (!place)
          return caf::make_error(ec::unknown_ticket, "not in the queue of " + event_id);
        auto rp = self->make_response_promise<queue_status>();
        ++self->state.busy;
        self->state.resolver->resolve<waiting_room_actor>(self, timeout, event_id)
            .then(
                [=](waiting_room_actor room) mutable {
                  self->request(room, timeout, atom::get_v, place->first, self->state.account)
                      .then(
                          [=](queue_status& status) mutable {
                            --self->state.busy;
                            rp.deliver(std::move(status));
                          },
                          [=](caf::error& err) mutable {
                            if (ec_of(err) != ec::unknown_ticket)
                              return fail_with(rp)(err);
                            // Not the room's: a place the bot guard shadowed, if any.
                            self->state.resolver->resolve<bot_guard_actor>(self, timeout, event_id)
                                .then(
                                    [=](bot_guard_actor guard) mutable {
                                      self->request(guard, timeout, atom::get_v, place->first,
                                                    self->state.account)
                                          .then(
                                              [=](queue_status& status) mutable {
                                                --self->state.busy;
                                                rp.deliver(std::move(status));
                                              },
                                              fail_with(rp));
                                    },
                                    fail_with(rp));
                          });
                },
                fail_with(rp));
        return rp;
      },
      [=](atom::hold, std::string& event_id, hold_request& req, std::string& admission_token,
          std::string& key) -> caf::result<hold_receipt> {
        touch(self);
        auto rp = self->make_response_promise<hold_receipt>();
        self->state.holds_waiting.push_back(pending_hold{
            std::move(event_id), std::move(req), std::move(admission_token), std::move(key), rp});
        next_hold(self);
        return rp;
      },
      [=](atom::release, std::string& hold_id) -> caf::result<void> {
        touch(self);
        auto hold = self->state.session->find_hold(hold_id);
        if (!hold)
          return caf::make_error(ec::hold_not_found, hold_id);
        auto rp = self->make_response_promise<void>();
        ++self->state.busy;
        self->state.resolver->resolve<event_actor>(self, timeout, hold->event_id)
            .then(
                [=](event_actor ev) mutable {
                  auto done = [=]() mutable {
                    --self->state.busy;
                    end_hold(self, hold_id, "released");
                    deliver_when_durable(*self->state.journal, rp);
                  };
                  self->request(ev, timeout, atom::release_v, hold_id, self->state.account,
                                hold->sections())
                      .then([=]() mutable { done(); },
                            [=](caf::error& err) mutable {
                              // Gone already (expired): released all the same.
                              if (err == ec::hold_not_found) {
                                done();
                                return;
                              }
                              --self->state.busy;
                              rp.deliver(std::move(err));
                            });
                },
                fail_with(rp));
        return rp;
      },
      [=](atom::confirm, std::string& hold_id, std::string& payment_method,
          std::string& key) -> caf::result<order_info> {
        touch(self);
        auto& st = self->state;
        auto hold = st.session->find_hold(hold_id);
        if (!hold) {
          auto ordered = st.session->order_of_hold(hold_id);
          if (!ordered)
            return caf::make_error(ec::hold_not_found, hold_id);
          // Bought already (a retry whose first answer was lost): the same order.
          auto rp = self->make_response_promise<order_info>();
          ++st.busy;
          st.resolver->resolve<box_office_actor>(self, timeout, ordered->event_id)
              .then(
                  [=](box_office_actor office) mutable {
                    self->request(office, timeout, atom::get_v, atom::order_v, ordered->order_id,
                                  self->state.account)
                        .then(
                            [=](order_info& order) mutable {
                              --self->state.busy;
                              rp.deliver(std::move(order));
                            },
                            fail_with(rp));
                  },
                  fail_with(rp));
          return rp;
        }
        if (now(self) >= hold->expires_at) {
          st.guard_cleared.erase(hold_id);
          end_hold(self, hold_id, "hold_expired");
          return caf::make_error(ec::hold_expired, hold_id);
        }
        std::vector<std::string> seats;
        std::vector<int64_t> prices;
        for (const auto& s : hold->seats) {
          seats.push_back(s.seat);
          prices.push_back(s.price);
        }
        auto rp = self->make_response_promise<order_info>();
        ++st.busy;
        auto event_id = hold->event_id;
        auto sections = hold->sections();
        auto card = card_hash(self, payment_method);
        auto n = static_cast<uint32_t>(seats.size());
        // The bot guard counts the card first; the box office hears of allowed checkouts only.
        auto buy = [=](bot_guard_actor guard, box_office_actor office) mutable {
          auto& st = self->state;
          // Keys are the fan's own: scoped by account, so fans cannot collide.
          self->request(office, timeout, atom::confirm_v, st.account + ":" + key, st.account,
                        hold_id, sections, seats, prices, payment_method)
              .then(
                  [=](order_info& order) mutable {
                    checkout_ended(self, guard, card, n, n, false);
                    --self->state.busy;
                    if (auto i = self->state.bought.find(event_id); i != self->state.bought.end())
                      i->second.first += n;
                    self->state.guard_cleared.erase(hold_id);
                    end_hold(self, hold_id, "ordered", order.id);
                    leave_queue(self, event_id);
                    deliver_when_durable(*self->state.journal, rp, std::move(order));
                  },
                  [=](caf::error& err) mutable {
                    auto why = ec_of(err);
                    if (why == ec::payment_declined || why == ec::hold_expired ||
                        why == ec::hold_not_found || why == ec::not_holder ||
                        why == ec::invalid_argument || why == ec::seat_taken ||
                        why == ec::ticket_limit) {
                      checkout_ended(self, guard, card, n, 0, why == ec::payment_declined);
                      self->state.guard_cleared.erase(hold_id);
                    }
                    --self->state.busy;
                    if (why == ec::hold_expired || why == ec::hold_not_found ||
                        why == ec::not_holder)
                      end_hold(self, hold_id, to_string(why));
                    rp.deliver(std::move(err));
                  });
        };
        auto fail = fail_with(rp);
        auto cleared = st.guard_cleared.find(hold_id);
        if (!st.ctx->bot_guard || (cleared != st.guard_cleared.end() && cleared->second == card)) {
          st.resolver->resolve<box_office_actor>(self, timeout, event_id)
              .then([=](box_office_actor office) mutable { buy(bot_guard_actor{}, office); }, fail);
          return rp;
        }
        st.resolver->resolve<bot_guard_actor>(self, timeout, event_id)
            .then(
                [=](bot_guard_actor guard) mutable {
                  self->request(guard, timeout, atom::confirm_v, self->state.account, card, n)
                      .then(
                          [=](bot_decision& d) mutable {
                            if (d.verdict != bot_verdict::allow) {
                              auto err = refusal(d, true);
                              if (ec_of(err) != ec::suspected_bot) {
                                fail(err);
                                return;
                              }
                              // A suspected bot's seats go back on sale now, not at the hold's
                              // expiry; the answer once they have.
                              auto me = caf::actor_cast<session_actor>(self);
                              self->request(me, timeout, atom::release_v, hold_id)
                                  .then([=]() mutable { fail(err); },
                                        [=](caf::error& why) mutable {
                                          spdlog::warn("session: hold {} of a suspected bot not "
                                                       "released (it expires): {}",
                                                       hold_id, render(why));
                                          fail(err);
                                        });
                              return;
                            }
                            self->state.guard_cleared[hold_id] = card;
                            self->state.resolver->resolve<box_office_actor>(self, timeout, event_id)
                                .then([=](box_office_actor office) mutable { buy(guard, office); },
                                      [=](caf::error& err) mutable {
                                        // The box office never heard of it: nothing was bought.
                                        checkout_ended(self, guard, card, n, 0, false);
                                        self->state.guard_cleared.erase(hold_id);
                                        fail(err);
                                      });
                          },
                          fail);
                },
                fail);
        return rp;
      },
      [=](atom::get, atom::holds) {
        touch(self);
        std::vector<hold_receipt> result;
        for (const auto& h : self->state.session->live_holds(now(self)))
          result.push_back(receipt_of(self->state.account, h));
        return result;
      },
      [=](atom::tick) {
        auto& st = self->state;
        st.session->forget_expired(now(self) - std::chrono::minutes{1});
        auto idle = self->clock().now() - st.last_active;
        if (idle >= st.opts.idle_timeout && st.busy == 0 && !st.holding &&
            st.holds_waiting.empty() && st.journal->in_flight() == 0) {
          self->quit(); // passivate; the registry brings the session back on its next request
          return;
        }
        auto wait = idle < st.opts.idle_timeout
                        ? std::chrono::duration_cast<caf::timespan>(st.opts.idle_timeout - idle)
                        : caf::timespan{std::chrono::seconds{1}};
        self->delayed_send(self, wait, atom::tick_v);
      });
}

} // namespace

session_actor spawn_session(caf::actor_system& sys, std::string account, resolver_ptr resolver,
                            context_ptr ctx, session_options opts) {
  return sys.spawn(session, std::move(account), std::move(resolver), std::move(ctx), opts);
}

} // namespace seatgrab::actors
