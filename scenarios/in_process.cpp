#include "actors/lanes.hpp"
#include "actors/waiting_room.hpp"
#include "cluster/catalog.hpp"
#include "cluster/registry.hpp"
#include "domain/bot_guard.hpp"
#include "domain/payment.hpp"
#include "domain/venue.hpp"
#include "messages/ec.hpp"
#include "messages/system_config.hpp"
#include "persistence/group_commit.hpp"
#include "persistence/store.hpp"
#include "scenarios/runner.hpp"
#include "security/admission_token.hpp"
#include "security/fingerprint.hpp"
#include "security/rate_limiter.hpp"
#include "security/retry_watch.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/scoped_actor.hpp>
#include <nlohmann/json.hpp>
#include <openssl/sha.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <random>
#include <sstream>

namespace seatgrab::scenarios {

namespace {

using namespace std::chrono_literals;

/// Every run starts at the same wall time: 2026-12-01T10:00:00Z.
const domain::time_point sim_epoch{std::chrono::milliseconds{1'796'119'200'000}};

std::string digest(const std::string& x) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(x.data()), x.size(), d);
  return std::string{reinterpret_cast<const char*>(d), sizeof(d)};
}

struct sim_config : caf::actor_system_config {
  sim_config() {
    set("scheduler.policy", caf::atom("testing"));
    set("logger.verbosity", caf::atom("quiet"));
    register_types(*this);
  }
};

/// A node on virtual time: every actor runs on this thread when `run` or `advance` is called.
class sim_node {
public:
  sim_node(uint64_t seed, bool skip_price_caps, bot_rules bots)
      : sys_(cfg_), sched_(dynamic_cast<caf::scheduler::test_coordinator&>(sys_.scheduler())) {
    auto db = persistence::store::open(
        {"mem-scenario-" + std::to_string(seed), persistence::durability::none});
    if (!db) {
      error_ = db.error();
      return;
    }
    db_ = std::move(*db);
    writer_ = std::make_unique<persistence::group_commit>(*db_, false);
    auto keys = std::make_shared<security::key_ring>();
    auto secret = digest("admission " + std::to_string(seed));
    if (auto err = keys->add("sim", std::vector<uint8_t>(secret.begin(), secret.end()))) {
      error_ = err;
      return;
    }
    auto ctx = std::make_shared<actors::actor_context>(actors::actor_context{
        db_.get(), writer_.get(), actors::wall_clock{sys_.clock().now(), sim_epoch}, keys});
    ctx->test_skip_price_caps = skip_price_caps;
    ctx->bot_defaults = std::move(bots);
    ctx_ = std::move(ctx);
    cluster::registry_options opts;
    opts.accounts.detached = false;
    resolver_ = std::make_shared<actors::resolver>();
    registry_ = cluster::spawn_registry(sys_, ctx_, resolver_, opts);
    catalog_ = cluster::spawn_catalog(sys_, ctx_, registry_);
    sched_.run();
  }

  ~sim_node() {
    if (registry_) {
      caf::anon_send_exit(catalog_, caf::exit_reason::user_shutdown);
      caf::anon_send_exit(registry_, caf::exit_reason::user_shutdown);
      sched_.run();
    }
  }

  const caf::error& error() const { return error_; }

  template <class T, class Handle, class... Ts>
  caf::expected<T> call(const Handle& dest, Ts&&... xs) {
    caf::scoped_actor self{sys_};
    auto req = self->request(dest, caf::infinite, std::forward<Ts>(xs)...);
    sched_.run();
    caf::expected<T> result{caf::make_error(ec::unavailable, "no reply")};
    if (self->mailbox().empty())
      return result; // nobody answered: never block the simulation
    if constexpr (std::is_void_v<T>)
      req.receive([&] { result = caf::expected<void>{}; },
                  [&](caf::error& err) { result = std::move(err); });
    else
      req.receive([&](T& x) { result = std::move(x); },
                  [&](caf::error& err) { result = std::move(err); });
    return result;
  }

  template <class F>
  caf::actor spawn(F fun) {
    auto hdl = sys_.spawn(std::move(fun));
    sched_.run();
    return hdl;
  }

  void run() { sched_.run(); }

  void advance(std::chrono::milliseconds d) {
    sched_.advance_time(std::chrono::duration_cast<caf::timespan>(d));
    sched_.run();
  }

  domain::time_point now() { return ctx_->clock.now(sys_.clock()); }

  caf::actor_system& sys() { return sys_; }
  const actors::actor_context& context() const { return *ctx_; }

  catalog_actor catalog() const { return catalog_; }
  registry_actor registry() const { return registry_; }
  persistence::store& db() { return *db_; }

private:
  sim_config cfg_;
  caf::actor_system sys_;
  caf::scheduler::test_coordinator& sched_;
  caf::error error_;
  std::unique_ptr<persistence::store> db_;
  std::unique_ptr<persistence::group_commit> writer_;
  actors::context_ptr ctx_;
  actors::resolver_ptr resolver_;
  registry_actor registry_;
  catalog_actor catalog_;
};

caf::expected<domain::venue> venue_of(const scenario& s, const std::filesystem::path& dir) {
  if (s.venue == "theatre")
    return domain::generate_theatre();
  if (s.venue == "stadium")
    return domain::generate_stadium();
  if (s.venue == "arena") // 2,000 seats: ten sections of ten rows of twenty
    return domain::generate_stadium({10, 10, 20});
  auto path = dir / s.venue;
  std::ifstream in{path};
  if (!in)
    return caf::make_error(ec::invalid_input, "venue: cannot read " + path.string());
  std::stringstream buf;
  buf << in.rdbuf();
  return domain::parse_venue(buf.str(), path.string());
}

/// The bot guard's rules of a run: with a `[bots]` section enforced (unless `bots.guard` says
/// "shadow"), with its base proof of work; without one counted only (the fans of other
/// scenarios are not its subject).
bot_rules guard_rules(const scenario& s) {
  bot_rules r;
  if (s.bots) {
    r.pow_base_bits = s.pow_bits;
    r.pow_max_bits = std::max(r.pow_max_bits, s.pow_bits);
    if (s.guard == "enforce")
      return r;
  }
  for (auto rule : domain::all_bot_rules)
    r.modes[std::string{domain::name_of(rule)}] = rule_mode::shadow;
  return r;
}

/// The wait a limit's error carries (its second context element).
uint32_t second_of(const caf::error& err) {
  const auto& m = err.context();
  return m.size() == 2 && m.match_element<uint32_t>(1) ? m.get_as<uint32_t>(1) : 0;
}

/// The fans' calls as requests of actors on the test coordinator (a lane per group of fans):
/// every reply arrives within the same `run` of the scheduler, on this thread. What the edge
/// does before a join is done here as the edge does it: the device is derived from the
/// client's device string, signals and headers (with this run's key), the prefix from its
/// address, and the challenges are answered as the client would (its pace at the proof of
/// work, its success at the step-up); status polls are limited per account as at the edge.
class actor_fans : public fan_api {
public:
  actor_fans(sim_node& node, actors::lanes& lanes, std::string event_id, waiting_room_actor room,
             event_actor event, box_office_actor office, bot_guard_actor guard, size_t fans,
             uint64_t seed)
      : node_(node), lanes_(lanes), registry_(node.registry()), event_id_(std::move(event_id)),
        room_(std::move(room)), event_(std::move(event)), office_(std::move(office)),
        guard_(std::move(guard)), sessions_(fans), tickets_(fans, 0), rng_(seed ^ 0x9a7eULL),
        fingerprints_("scenario " + std::to_string(seed)), polls_(1, 10) {}

  void join(uint32_t fan, const client& who, join_notes& notes, callback<queue_status> k) override {
    auto print = fingerprints_.derive(who.device, who.signals, who.traits);
    client_facts facts{print.device};
    facts.device_class = print.device_class;
    facts.anomalies = print.anomalies;
    facts.prefix = security::address_prefix(who.address);
    // The base challenge first, as a browser fetches it.
    ask<uint32_t>(
        fan, guard_,
        [this, fan, &who, &notes, facts, k](caf::expected<uint32_t> bits) mutable {
          if (!bits)
            return k(bits.error());
          facts.pow_bits = *bits;
          facts.pow_solve_ms = *bits ? solve_ms(who, *bits, rng_) : -1;
          attempt(fan, who, notes, facts, 0, k);
        },
        atom::get_v, atom::challenge_v);
  }

  /// As the edge polls, once the fan has a ticket: the room's board while the fan waits
  /// (answered at once), the room itself when the board cannot answer, and a place the bot
  /// guard shadowed when the room knows none.
  void status(uint32_t fan, callback<queue_status> k) override {
    auto account = crowd::account_of(fan);
    auto since = node_.now().time_since_epoch();
    auto at = security::rate_limiter::clock::time_point{since};
    if (auto wait = polls_.admit(account, at)) {
      if (node_.context().bot_guard && poll_watch_.refused(account, at, wait)) // as the edge
        lanes_.post(fan, [guard = guard_, account](caf::event_based_actor* self) {
          self->request(guard, caf::infinite, atom::flag_v, account,
                        std::string{ignores_retry_after})
              .then([] {}, [](const caf::error&) {});
        });
      return k(caf::make_error(ec::velocity_limited, std::string{"too many queue polls"},
                               static_cast<uint32_t>(wait)));
    }
    if (tickets_[fan] == 0) {
      ask_session(fan, std::move(k), atom::get_v, atom::queue_v, event_id_);
      return;
    }
    auto ticket = tickets_[fan];
    auto answered = actors::poll_board(node_.context(), node_.sys(), event_id_, ticket, account);
    if (answered && (*answered || ec_of(answered->error()) != ec::unknown_ticket))
      return k(std::move(*answered));
    callback<queue_status> or_shadowed = [this, fan, ticket, account,
                                          k](caf::expected<queue_status> st) {
      if (st || ec_of(st.error()) != ec::unknown_ticket)
        return k(std::move(st));
      ask(fan, guard_, k, atom::get_v, ticket, account);
    };
    ask(fan, room_, std::move(or_shadowed), atom::get_v, ticket, std::move(account));
  }

  void hold(uint32_t fan, const std::string& section, uint32_t quantity,
            const std::string& admission_token, const std::string& key,
            callback<hold_receipt> k) override {
    ask_session(fan, std::move(k), atom::hold_v, event_id_,
                hold_request{{}, {}, {}, section, quantity, {}, {}}, admission_token, key);
  }

  void checkout(uint32_t fan, const std::string& hold_id, const std::string& card,
                const std::string& key, callback<order_info> k) override {
    ask_session(fan, std::move(k), atom::confirm_v, hold_id, card, key);
  }

  void refund(uint32_t fan, const std::string& ticket_id, callback<ticket_info> k) override {
    ask(fan, office_, std::move(k), atom::refund_v, ticket_id, crowd::account_of(fan), false,
        std::string{});
  }

  void transfer(uint32_t fan, const std::string& ticket_id, uint32_t to,
                callback<ticket_info> k) override {
    ask(fan, office_, std::move(k), atom::transfer_v, ticket_id, crowd::account_of(fan),
        crowd::account_of(to), std::string{});
  }

  void load(callback<std::vector<section_load>> k) override {
    lanes_.post(0, [this, k](caf::event_based_actor* self) {
      self->request(event_, caf::infinite, atom::get_v, atom::demand_v)
          .then(
              [k](std::vector<section_demand>& demand) {
                std::vector<section_load> result;
                result.reserve(demand.size());
                for (const auto& d : demand)
                  result.push_back({d.section, d.free_now, d.held_now, d.sold_now});
                k(std::move(result));
              },
              [k](caf::error& err) { k(std::move(err)); });
    });
  }

private:
  /// One join of `facts`; a harder proof of work or a step-up asked for is answered as `who`
  /// would, and the join made again.
  void attempt(uint32_t fan, const client& who, join_notes& notes, client_facts facts,
               uint32_t step_ups, callback<queue_status> k) {
    callback<queue_status> next = [this, fan, &who, &notes, facts, step_ups,
                                   k](caf::expected<queue_status> st) mutable {
      if (st) {
        tickets_[fan] = st->ticket;
        return k(std::move(st));
      }
      auto why = ec_of(st.error());
      if (why == ec::challenge_required) {
        ++notes.challenges;
        facts.pow_bits = second_of(st.error());
        facts.pow_solve_ms = solve_ms(who, facts.pow_bits, rng_);
        return attempt(fan, who, notes, facts, step_ups, k);
      }
      if (why != ec::step_up_required)
        return k(std::move(st));
      // Shown a step-up, with the work to bring along: answered right, or wrong (the edge then
      // shows a fresh one), until the client's tries run out.
      if (auto bits = second_of(st.error()); bits > 0) {
        facts.pow_bits = bits;
        facts.pow_solve_ms = solve_ms(who, bits, rng_);
      }
      for (auto tries = step_ups; tries < who.step_up_tries; ++tries) {
        ++notes.step_ups;
        if (static_cast<double>(rng_() % 1'000'000) < who.step_up_rate * 1e6) {
          facts.step_up_passed = true;
          return attempt(fan, who, notes, facts, tries + 1, k);
        }
      }
      k(std::move(st));
    };
    ask_session(fan, std::move(next), atom::join_v, event_id_, facts);
  }

  template <class T, class Handle, class... Ts>
  void ask(uint32_t fan, const Handle& dest, callback<T> k, Ts... xs) {
    lanes_.post(fan, [dest, k, xs...](caf::event_based_actor* self) {
      self->request(dest, caf::infinite, xs...)
          .then([k](T& x) { k(std::move(x)); }, [k](caf::error& err) { k(std::move(err)); });
    });
  }

  /// Asks the fan's session, looking it up first; a session that passivated meanwhile is
  /// looked up again (the request never reached it).
  template <class T, class... Ts>
  void ask_session(uint32_t fan, callback<T> k, Ts... xs) {
    lanes_.post(fan, [this, fan, k, xs...](caf::event_based_actor* self) {
      auto send = [this, self, fan, k, xs...](const session_actor& s) {
        self->request(s, caf::infinite, xs...)
            .then([k](T& x) { k(std::move(x)); },
                  [this, fan, k, xs...](caf::error& err) {
                    if (err != caf::sec::request_receiver_down) {
                      k(std::move(err));
                      return;
                    }
                    sessions_[fan] = nullptr;
                    ask_session(fan, k, xs...);
                  });
      };
      if (sessions_[fan]) {
        send(sessions_[fan]);
        return;
      }
      self->request(registry_, caf::infinite, atom::get_v, atom::session_v, crowd::account_of(fan))
          .then(
              [this, fan, send](session_actor& s) {
                sessions_[fan] = s;
                send(s);
              },
              [k](caf::error& err) { k(std::move(err)); });
    });
  }

  sim_node& node_;
  actors::lanes& lanes_;
  registry_actor registry_;
  std::string event_id_;
  waiting_room_actor room_;
  event_actor event_;
  box_office_actor office_;
  bot_guard_actor guard_;
  std::vector<session_actor> sessions_;
  std::vector<uint64_t> tickets_; // by fan, once joined
  std::mt19937_64 rng_;
  security::fingerprinter fingerprints_;
  security::rate_limiter polls_;
  security::retry_watch poll_watch_;
};

} // namespace

event_info event_of(const scenario& s, std::string id, std::string venue_id, int64_t start_ms,
                    double scale) {
  auto scaled = [scale](uint32_t secs) {
    return std::max<uint32_t>(1, static_cast<uint32_t>(std::lround(secs * scale)));
  };
  event_info ev;
  ev.id = std::move(id);
  ev.venue_id = std::move(venue_id);
  ev.name = s.name;
  ev.opens_at_ms = start_ms + static_cast<int64_t>(std::llround(s.opens_after_s * scale * 1000));
  ev.hold_ttl_s = scaled(s.hold_ttl_s);
  ev.max_hold_total_s = std::max<uint32_t>(scaled(600), ev.hold_ttl_s);
  ev.max_seats_per_hold = std::max<uint32_t>(8, s.seats_max);
  ev.max_tickets_per_account = s.max_tickets_per_account;
  ev.admission_per_min =
      static_cast<uint32_t>(std::min<double>(1'000'000, std::ceil(s.admission_per_min / scale)));
  ev.max_active_shoppers = s.max_active_shoppers;
  ev.queue_mode = s.queue_mode;
  // Refunds stay open a day past the longest run.
  ev.refunds_until_ms = start_ms + (int64_t{s.max_duration_s} + 86'400) * 1000;
  return ev;
}

caf::expected<std::string> venue_json(const scenario& s, const std::filesystem::path& dir) {
  auto v = venue_of(s, dir);
  if (!v)
    return v.error();
  return domain::to_json(*v);
}

caf::expected<run_result> run_in_process(const scenario& s, const run_options& opts) {
  auto v = venue_of(s, opts.venue_dir);
  if (!v)
    return v.error();
  run_result r;
  r.scenario = s.name;
  r.seed = opts.seed;
  r.mode = "in-process, virtual time";
  std::map<std::string, std::string> section_of; // seat -> section
  std::vector<std::string> sections;
  for (const auto& sec : v->sections) {
    sections.push_back(sec.id);
    for (const auto& row : sec.rows)
      for (const auto& seat : row.seats)
        section_of.emplace(seat.id, sec.id);
  }
  r.seats = static_cast<uint32_t>(section_of.size());
  // The crowd outlives the node: its driver actor refers to it until the node has stopped.
  crowd fans{s, opts.seed, sections};
  sim_node node{opts.seed, opts.test_skip_price_caps, guard_rules(s)};
  if (node.error())
    return node.error();
  // The waiting room's seed comes from the run's seed, so the shuffle is reproducible.
  const std::string event_id = "sale";
  persistence::write_set ws;
  ws.put(persistence::column::meta, "queue-seed/" + event_id,
         digest("queue " + std::to_string(opts.seed)));
  if (auto res = node.db().write(ws, true); !res)
    return res.error();
  if (auto id =
          node.call<std::string>(node.catalog(), atom::put_v, atom::venue_v, domain::to_json(*v));
      !id)
    return id.error();
  auto ev = event_of(s, event_id, v->id, sim_epoch.time_since_epoch().count());
  if (auto id = node.call<std::string>(node.catalog(), atom::put_v, ev); !id)
    return id.error();
  auto room = node.call<waiting_room_actor>(node.registry(), atom::get_v, atom::queue_v, event_id);
  if (!room)
    return room.error();
  auto event = node.call<event_actor>(node.registry(), atom::get_v, atom::event_v, event_id);
  if (!event)
    return event.error();
  auto office =
      node.call<box_office_actor>(node.registry(), atom::get_v, atom::box_office_v, event_id);
  if (!office)
    return office.error();
  // Dynamic prices are published before the opening.
  auto pricing = node.call<pricing_actor>(node.registry(), atom::get_v, atom::pricing_v, event_id);
  if (!pricing)
    return pricing.error();
  if (s.priced)
    if (auto p = node.call<pricing_info>(*pricing, atom::put_v, s.pricing); !p)
      return p.error();

  // A fan's calls go through the lane of its number (actors/lanes.hpp); 256 lanes keep a few
  // hundred requests pending in each at the stadium's peak.
  actors::lanes fan_lanes{node.sys(), 256};
  node.run();
  auto guard = node.call<bot_guard_actor>(node.registry(), atom::get_v, atom::bots_v, event_id);
  if (!guard)
    return guard.error();
  actor_fans api{
      node, fan_lanes, event_id, *room, *event, *office, *guard, fans.clients().size(), opts.seed};
  auto driver = node.spawn([&](caf::event_based_actor*) -> caf::behavior {
    return {[&](uint32_t t) { fans.tick(t, api); }};
  });
  auto last_progress = std::chrono::steady_clock::now();
  std::map<std::string, std::string> published; // event -> seed commitment shown
  uint32_t t = 0;
  for (; t <= s.max_duration_s; ++t) {
    caf::anon_send(driver, t);
    node.run();
    auto info = node.call<queue_info>(*room, atom::get_v, atom::info_v);
    if (!info)
      return info.error();
    if (t == 0) // what the fans are shown from the start: the verifier holds the seed to it
      published[event_id] = info->seed_commitment;
    r.series.push_back(
        sample{t, info->waiting, info->admitted, fans.sold_now(), 0, fans.counts().errors});
    if (opts.progress && std::chrono::steady_clock::now() - last_progress >= 1s) {
      last_progress = std::chrono::steady_clock::now();
      r.fans = fans.counts();
      opts.progress(r.series.back(), r);
    }
    if (fans.finished())
      break;
    node.advance(1s);
  }
  caf::anon_send_exit(driver, caf::exit_reason::user_shutdown);
  r.duration_s = t;
  if (s.priced) {
    auto p = node.call<pricing_info>(*pricing, atom::get_v, atom::pricing_v);
    if (!p)
      return p.error();
    r.pricing = std::move(*p);
    r.started_at_ms = sim_epoch.time_since_epoch().count();
  }
  fans.finish();
  // Let every hold run out, then check the journals on their own.
  node.advance(std::chrono::seconds{s.hold_ttl_s + 1});
  if (opts.before_verify)
    if (auto err = opts.before_verify(node.db(), event_id, node.now().time_since_epoch().count()))
      return err;
  if (s.bots) {
    auto g = node.call<bot_guard_info>(*guard, atom::get_v, atom::bots_v);
    if (!g)
      return g.error();
    r.guard = std::move(*g);
  }
  r.journals_checked = true;
  r.checked = verify(node.db(), {node.now().time_since_epoch().count(), true, true, published});
  std::map<std::string, uint32_t> accounts;
  for (uint32_t i = 0; i < fans.clients().size(); ++i)
    accounts.emplace(crowd::account_of(i), i);
  judge(s, r, fans, event_id, accounts);
  return r;
}

} // namespace seatgrab::scenarios
