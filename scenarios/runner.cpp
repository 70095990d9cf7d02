#include "scenarios/runner.hpp"

#include "cluster/directory.hpp"
#include "domain/payment.hpp"
#include "domain/venue.hpp"
#include "messages/ec.hpp"
#include "messages/system_config.hpp"
#include "persistence/group_commit.hpp"
#include "persistence/store.hpp"
#include "security/admission_token.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/scoped_actor.hpp>
#include <nlohmann/json.hpp>
#include <openssl/sha.h>

#include <algorithm>
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
  explicit sim_node(uint64_t seed)
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
    ctx_ = std::make_shared<actors::actor_context>(actors::actor_context{
        db_.get(), writer_.get(), actors::wall_clock{sys_.clock().now(), sim_epoch}, keys});
    cluster::directory_options opts;
    opts.accounts.detached = false;
    directory_ = cluster::spawn_directory(sys_, ctx_, opts);
    sched_.run();
  }

  ~sim_node() {
    if (directory_) {
      caf::anon_send_exit(directory_, caf::exit_reason::user_shutdown);
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

  void advance(std::chrono::milliseconds d) {
    sched_.advance_time(std::chrono::duration_cast<caf::timespan>(d));
    sched_.run();
  }

  domain::time_point now() { return ctx_->clock.now(sys_.clock()); }

  directory_actor directory() const { return directory_; }
  persistence::store& db() { return *db_; }

private:
  sim_config cfg_;
  caf::actor_system sys_;
  caf::scheduler::test_coordinator& sched_;
  caf::error error_;
  std::unique_ptr<persistence::store> db_;
  std::unique_ptr<persistence::group_commit> writer_;
  actors::context_ptr ctx_;
  directory_actor directory_;
};

caf::expected<domain::venue> venue_of(const scenario& s, const std::filesystem::path& dir) {
  if (s.venue == "theatre")
    return domain::generate_theatre();
  if (s.venue == "stadium")
    return domain::generate_stadium();
  auto path = dir / s.venue;
  std::ifstream in{path};
  if (!in)
    return caf::make_error(ec::invalid_input, "venue: cannot read " + path.string());
  std::stringstream buf;
  buf << in.rdbuf();
  return domain::parse_venue(buf.str(), path.string());
}

struct fan {
  std::string account;
  uint32_t arrive_s = 0;
  uint32_t wanted = 1;
  uint32_t think_s = 0;
  bool abandons = false;
  bool declines = false;
  enum class step { coming, waiting, shopping, thinking, done } at = step::coming;
  uint32_t next_s = 0;
  std::string token;
  int64_t admission_ends_ms = 0;
  std::string hold_id;
  uint32_t attempts = 0;
};

} // namespace

caf::expected<run_result> run_in_process(const scenario& s, uint64_t seed,
                                         const std::filesystem::path& venue_dir) {
  auto v = venue_of(s, venue_dir);
  if (!v)
    return v.error();
  sim_node node{seed};
  if (node.error())
    return node.error();
  run_result r;
  r.scenario = s.name;
  r.seed = seed;
  for (const auto& sec : v->sections)
    for (const auto& row : sec.rows)
      r.seats += static_cast<uint32_t>(row.seats.size());
  // The waiting room's seed comes from the run's seed, so the shuffle is reproducible.
  const std::string event_id = "sale";
  persistence::write_set ws;
  ws.put(persistence::column::meta, "queue-seed/" + event_id,
         digest("queue " + std::to_string(seed)));
  if (auto res = node.db().write(ws, true); !res)
    return res.error();
  if (auto id =
          node.call<std::string>(node.directory(), atom::put_v, atom::venue_v, domain::to_json(*v));
      !id)
    return id.error();
  event_info ev;
  ev.id = event_id;
  ev.venue_id = v->id;
  ev.name = s.name;
  ev.opens_at_ms = (sim_epoch + std::chrono::seconds{s.opens_after_s}).time_since_epoch().count();
  ev.hold_ttl_s = s.hold_ttl_s;
  ev.max_hold_total_s = std::max<uint32_t>(600, s.hold_ttl_s);
  ev.max_seats_per_hold = std::max<uint32_t>(8, s.seats_max);
  ev.max_tickets_per_account = s.max_tickets_per_account;
  ev.admission_per_min = s.admission_per_min;
  ev.max_active_shoppers = s.max_active_shoppers;
  ev.queue_mode = s.queue_mode;
  if (auto id = node.call<std::string>(node.directory(), atom::put_v, ev); !id)
    return id.error();
  auto room = node.call<waiting_room_actor>(node.directory(), atom::get_v, atom::queue_v, event_id);
  if (!room)
    return room.error();

  // The population, drawn from the seed alone.
  std::mt19937_64 rng{seed};
  auto uniform = [&](uint32_t lo, uint32_t hi) {
    return lo + static_cast<uint32_t>(rng() % (uint64_t{hi} - lo + 1));
  };
  auto chance = [&](double p) { return static_cast<double>(rng() % 1'000'000) < p * 1e6; };
  std::vector<fan> fans(s.fans);
  for (uint32_t i = 0; i < s.fans; ++i) {
    auto& f = fans[i];
    f.account = "f" + std::to_string(i + 1);
    f.arrive_s = i < s.pre_queue ? uniform(0, s.opens_after_s > 0 ? s.opens_after_s - 1 : 0)
                                 : s.opens_after_s + uniform(0, s.arrival_spread_s);
    f.wanted = uniform(s.seats_min, s.seats_max);
    f.think_s = uniform(s.think_min_s, s.think_max_s);
    f.abandons = chance(s.abandon_rate);
    f.declines = chance(s.decline_rate);
  }
  std::vector<std::string> sections;
  for (const auto& sec : v->sections)
    sections.push_back(sec.id);

  auto session = [&](const fan& f) {
    return node.call<session_actor>(node.directory(), atom::get_v, atom::session_v, f.account);
  };
  uint32_t t = 0;
  for (; t <= s.max_duration_s; ++t) {
    size_t open_fans = 0;
    for (auto& f : fans) {
      if (f.at == fan::step::done)
        continue;
      ++open_fans;
      if (f.at == fan::step::coming && f.arrive_s <= t) {
        auto sess = session(f);
        if (!sess)
          return sess.error();
        auto st = node.call<queue_status>(*sess, atom::join_v, event_id, "dev-" + f.account);
        if (!st)
          return st.error();
        ++r.joined;
        f.at = fan::step::waiting;
        f.next_s = t;
      }
      if (f.next_s > t)
        continue;
      auto sess = session(f);
      if (!sess)
        return sess.error();
      if (f.at == fan::step::waiting) {
        auto st = node.call<queue_status>(*sess, atom::get_v, atom::queue_v, event_id);
        if (!st)
          return st.error();
        if (st->state == "admitted") {
          ++r.admitted;
          f.token = st->admission_token;
          f.admission_ends_ms = st->admission_expires_at_ms;
          f.at = fan::step::shopping;
        } else if (st->state != "waiting") {
          ++r.gave_up;
          f.at = fan::step::done;
          continue;
        } else {
          f.next_s = t + s.poll_every_s;
          continue;
        }
      }
      if (f.at == fan::step::shopping) {
        if (node.now().time_since_epoch().count() >= f.admission_ends_ms) {
          ++r.gave_up; // admitted, but found nothing in time
          f.at = fan::step::done;
          continue;
        }
        // Best available, starting in a random section and going round.
        auto first = static_cast<size_t>(rng() % sections.size());
        bool got = false;
        for (size_t k = 0; k < sections.size() && !got; ++k) {
          const auto& sec = sections[(first + k) % sections.size()];
          auto key = f.account + "-" + std::to_string(++f.attempts);
          auto hold = node.call<hold_receipt>(
              *sess, atom::hold_v, event_id, hold_request{{}, {}, {}, sec, f.wanted}, f.token, key);
          if (hold) {
            got = true;
            ++r.holds;
            f.hold_id = hold->hold_id;
          } else if (auto why = ec_of(hold.error()); why != ec::no_seats_available &&
                                                     why != ec::seat_taken &&
                                                     why != ec::too_many_seats) {
            return caf::make_error(ec::invalid_input,
                                   "fan " + f.account + ": hold: " + render(hold.error()));
          }
        }
        if (!got) {
          ++r.hold_failures; // look again later: abandoned holds come back
          f.next_s = t + s.poll_every_s;
          continue;
        }
        if (f.abandons) {
          ++r.abandoned;
          f.at = fan::step::done;
          continue;
        }
        f.at = fan::step::thinking;
        f.next_s = t + f.think_s;
        continue;
      }
      if (f.at == fan::step::thinking) {
        auto card = std::string{f.declines ? domain::declining_card : domain::approving_card};
        auto order =
            node.call<order_info>(*sess, atom::confirm_v, f.hold_id, card, f.account + "-pay");
        if (order) {
          ++r.orders;
          r.seats_sold += order->tickets.size();
        } else if (ec_of(order.error()) == ec::payment_declined) {
          ++r.declined;
        } else if (ec_of(order.error()) != ec::hold_expired) {
          return caf::make_error(ec::invalid_input,
                                 "fan " + f.account + ": checkout: " + render(order.error()));
        }
        f.at = fan::step::done;
      }
    }
    auto info = node.call<queue_info>(*room, atom::get_v, atom::info_v);
    if (!info)
      return info.error();
    r.series.push_back(sample{t, info->waiting, info->admitted, r.seats_sold});
    if (open_fans == 0)
      break;
    node.advance(1s);
  }
  r.duration_s = t;
  for (const auto& f : fans)
    if (f.at != fan::step::done)
      ++r.gave_up;
  // Let every hold run out, then check the journals on their own.
  node.advance(std::chrono::seconds{s.hold_ttl_s + 1});
  r.checked = verify(node.db(), {node.now().time_since_epoch().count(), true, true});
  if (r.checked.seats_sold != r.seats_sold)
    r.unmet.push_back("the journals show " + std::to_string(r.checked.seats_sold) +
                      " seats sold, the fans were told " + std::to_string(r.seats_sold));
  if (static_cast<double>(r.seats_sold) < s.expect_sold_share * r.seats)
    r.unmet.push_back("expected at least " + std::to_string(s.expect_sold_share * 100) +
                      " % of the seats sold: " + std::to_string(r.seats_sold) + " of " +
                      std::to_string(r.seats));
  return r;
}

// -- reports ------------------------------------------------------------------------------

std::string run_result::json() const {
  nlohmann::ordered_json j;
  j["scenario"] = scenario;
  j["seed"] = seed;
  j["mode"] = "in-process, virtual time";
  j["ok"] = ok();
  j["duration_s"] = duration_s;
  j["seats"] = seats;
  j["fans"] = {{"joined", joined},       {"admitted", admitted},
               {"holds", holds},         {"hold_failures", hold_failures},
               {"abandoned", abandoned}, {"orders", orders},
               {"declined", declined},   {"gave_up", gave_up}};
  j["seats_sold"] = seats_sold;
  j["verifier"] = {{"violations", checked.violations}, {"events", checked.events},
                   {"seats_sold", checked.seats_sold}, {"tickets_valid", checked.tickets_valid},
                   {"admissions", checked.admissions}, {"holds", checked.holds},
                   {"expiries", checked.expiries}};
  j["unmet_expectations"] = unmet;
  auto series_json = nlohmann::ordered_json::array();
  for (const auto& x : series)
    series_json.push_back({x.t_s, x.waiting, x.admitted, x.sold});
  j["series"] = {{"columns", {"t_s", "waiting", "admitted", "sold"}}, {"rows", series_json}};
  return j.dump(2) + "\n";
}

std::string run_result::summary() const {
  std::ostringstream os;
  os << "scenario " << scenario << " (seed " << seed
     << ", in-process, virtual time): " << (ok() ? "OK" : "FAILED") << "\n"
     << "  " << joined << " fans joined, " << admitted << " admitted, " << holds << " holds ("
     << abandoned << " abandoned, " << hold_failures << " searches found nothing), " << orders
     << " orders, " << declined << " declined, " << gave_up << " gave up\n"
     << "  " << seats_sold << " of " << seats << " seats sold in " << duration_s
     << " s of virtual time\n"
     << "  verifier: " << checked.events << " journal records, " << checked.violations.size()
     << " violations; " << checked.tickets_valid << " valid tickets, " << checked.admissions
     << " admissions in queue order, " << checked.expiries << " expiries\n";
  for (const auto& v : checked.violations)
    os << "  VIOLATION " << v << "\n";
  for (const auto& u : unmet)
    os << "  UNMET " << u << "\n";
  return os.str();
}

namespace {

/// A line chart of (t, value) points as inline SVG.
std::string svg_chart(const std::string& title, const std::vector<sample>& series,
                      uint64_t sample::*field) {
  const double w = 640, h = 200, pad = 30;
  uint64_t max_v = 1;
  uint32_t max_t = 1;
  for (const auto& x : series) {
    max_v = std::max(max_v, x.*field);
    max_t = std::max(max_t, x.t_s);
  }
  std::ostringstream os;
  os << "<figure><figcaption>" << title << " (max " << max_v << ")</figcaption>"
     << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << w << "\" height=\"" << h
     << "\"><rect width=\"100%\" height=\"100%\" fill=\"#fff\" stroke=\"#ccc\"/>"
     << "<polyline fill=\"none\" stroke=\"#1565c0\" stroke-width=\"1.5\" points=\"";
  for (const auto& x : series) {
    auto px = pad + (w - 2 * pad) * x.t_s / max_t;
    auto py = h - pad - (h - 2 * pad) * static_cast<double>(x.*field) / static_cast<double>(max_v);
    os << px << "," << py << " ";
  }
  os << "\"/><text x=\"" << pad << "\" y=\"" << h - 8 << "\" font-size=\"11\">0 s</text>"
     << "<text x=\"" << w - pad - 40 << "\" y=\"" << h - 8 << "\" font-size=\"11\">" << max_t
     << " s</text></svg></figure>\n";
  return os.str();
}

} // namespace

std::string run_result::html() const {
  std::ostringstream os;
  os << "<!doctype html><html><head><meta charset=\"utf-8\"><title>SeatGrab scenario " << scenario
     << "</title><style>body{font-family:sans-serif;margin:2em}"
     << "pre{background:#f5f5f5;padding:1em}</style></head><body><h1>Scenario " << scenario
     << "</h1><pre>" << summary() << "</pre>"
     << svg_chart("Fans waiting in the queue", series, &sample::waiting)
     << svg_chart("Admissions so far", series, &sample::admitted)
     << svg_chart("Seats sold so far", series, &sample::sold)
     << "<p>Latencies are not measured in this mode: every actor runs on virtual time.</p>"
     << "</body></html>\n";
  return os.str();
}

caf::error write_report(const run_result& r, const std::filesystem::path& dir) {
  std::error_code err;
  std::filesystem::create_directories(dir, err);
  if (err)
    return caf::make_error(ec::invalid_input, "--report " + dir.string() + ": " + err.message());
  for (const auto& [name, text] :
       {std::pair{"report.json", r.json()}, std::pair{"summary.txt", r.summary()},
        std::pair{"report.html", r.html()}}) {
    std::ofstream out{dir / name};
    out << text;
    if (!out)
      return caf::make_error(ec::invalid_input, "--report: cannot write " + (dir / name).string());
  }
  return {};
}

} // namespace seatgrab::scenarios
